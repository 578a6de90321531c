import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('flowforge run examples/fetch-and-summarise.json against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          id: 'A-42',
          items: [
            { sku: 'x', price: 2.5, quantity: 2 },
            { sku: 'y', price: 10, quantity: 1 },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches through the http action, summarises with transform and exits 0', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        'bin/flowforge.js',
        'run',
        'examples/fetch-and-summarise.json',
        '--input',
        JSON.stringify({ baseUrl, orderId: '42' }),
        '--json',
      ],
      { env: { ...process.env, FLOWFORGE_HTTP_ALLOW: '127.0.0.1' } },
    );
    const record = JSON.parse(stdout) as {
      status: string;
      nodes: Record<string, { status: string; output?: unknown }>;
    };
    expect(record.status).toBe('SUCCEEDED');
    expect(seen).toEqual(['GET /orders/42']);
    expect(record.nodes.fetchOrder?.output).toMatchObject({ status: 200, body: { id: 'A-42' } });
    expect(record.nodes.summarise?.output).toEqual({ orderId: 'A-42', items: 2, total: 15 });
    expect(record.nodes.report?.output).toEqual({ message: 'order A-42: 2 items' });
  });

  it('is refused by the SSRF guard without the allow-list, and exits 1', async () => {
    const env = { ...process.env };
    delete env.FLOWFORGE_HTTP_ALLOW;
    const failure = await run(
      process.execPath,
      [
        'bin/flowforge.js',
        'run',
        'examples/fetch-and-summarise.json',
        '--input',
        JSON.stringify({ baseUrl, orderId: '1' }),
        '--json',
      ],
      { env },
    ).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const record = JSON.parse(failure?.stdout ?? '{}') as { status: string; error?: { error: string } };
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('TargetRefused');
  });
});
