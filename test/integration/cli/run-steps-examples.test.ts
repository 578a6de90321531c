import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);

interface RunRecord {
  status: string;
  nodes: Record<string, { status: string; output?: Record<string, unknown>; logs?: string[] }>;
}

/**
 * The examples of issue 16 run through the real CLI against local servers: an OpenAI-compatible
 * model server (FLOWFORGE_AI_BASE_URL), an issue tracker, an invoice server; e-mail goes to the
 * outbox of the data dir (FLOWFORGE_LOCAL=1).
 */
describe('examples: support triage, invoice e-mail, price webhook', () => {
  let server: Server;
  let base = '';
  let dataDir = '';
  const invoice = randomBytes(200 * 1024);
  const filed: unknown[] = [];
  let category = 'bug';

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/chat/completions') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              model: 'local',
              choices: [
                {
                  finish_reason: 'stop',
                  message: { content: JSON.stringify({ category, summary: 'The export button crashes.' }) },
                },
              ],
              usage: { prompt_tokens: 40, completion_tokens: 12 },
            }),
          );
        } else if (req.url === '/issues') {
          filed.push(JSON.parse(Buffer.concat(chunks).toString()));
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"id":7}');
        } else {
          res.writeHead(200, { 'content-type': 'application/pdf' });
          res.end(invoice);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-examples-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = async (example: string, input: unknown): Promise<RunRecord> => {
    const { stdout } = await exec(
      process.execPath,
      ['bin/flowforge.js', 'run', `examples/${example}.json`, '--input', JSON.stringify(input), '--json'],
      {
        env: {
          ...process.env,
          FLOWFORGE_AI_BASE_URL: `${base}/v1`,
          FLOWFORGE_HTTP_ALLOW: '127.0.0.1',
          FLOWFORGE_LOCAL: '1',
          FLOWFORGE_DATA_DIR: dataDir,
        },
      },
    );
    return JSON.parse(stdout) as RunRecord;
  };
  const mail = { from: 'ada@example.com', subject: 'Export broken', text: 'Clicking export crashes.' };

  it('support-triage: a bug goes to the tracker, with the model usage in the record', async () => {
    category = 'bug';
    const record = await run('support-triage', { ...mail, trackerUrl: base });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.classify?.output).toMatchObject({
      json: { category: 'bug' },
      usage: { inputTokens: 40, outputTokens: 12 },
    });
    expect(record.nodes.fileBug?.status).toBe('succeeded');
    expect(record.nodes.toBilling?.status).toBe('skipped');
    expect(filed).toEqual([
      { title: 'Export broken', summary: 'The export button crashes.', reporter: 'ada@example.com' },
    ]);
  });

  it('support-triage: billing goes to the billing inbox', async () => {
    category = 'billing';
    const record = await run('support-triage', { ...mail, trackerUrl: base });
    expect(record.nodes.toBilling?.status).toBe('succeeded');
    expect(record.nodes.fileBug?.status).toBe('skipped');
    const outbox = await readdir(join(dataDir, 'outbox'));
    const texts = await Promise.all(outbox.map((file) => readFile(join(dataDir, 'outbox', file), 'utf8')));
    expect(
      texts.some(
        (text) => text.includes('To: billing@example.com') && text.includes('[billing] Export broken'),
      ),
    ).toBe(true);
  });

  it('invoice-email: the PDF arrives as an attachment', async () => {
    const record = await run('invoice-email', {
      invoiceUrl: `${base}/invoices/INV-9.pdf`,
      customer: 'ada@example.com',
    });
    expect(record.status).toBe('SUCCEEDED');
    const file = (record.nodes.download?.output?.body as { file?: Record<string, unknown> } | undefined)
      ?.file;
    expect(file).toMatchObject({
      name: 'INV-9.pdf',
      bytes: invoice.length,
      sha256: createHash('sha256').update(invoice).digest('hex'),
    });
    const outbox = await readdir(join(dataDir, 'outbox'));
    const texts = await Promise.all(outbox.map((name) => readFile(join(dataDir, 'outbox', name), 'utf8')));
    const sent = texts.find((text) => text.includes('Subject: Your invoice INV-9.pdf'));
    expect(sent).toContain('Content-Disposition: attachment; filename="INV-9.pdf"');
  });

  it('price-webhook: the code step computes the quote the respond node answers', async () => {
    const record = await run('price-webhook', { plan: 'pro', seats: 12 });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.answer?.output).toEqual({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: { plan: 'pro', seats: 12, discount: 0.05, net: 273.6, vat: 51.98 },
    });
    expect(record.nodes.price?.logs).toEqual(['quote pro 12 0.05']);
    const refused = await run('price-webhook', { plan: 'gold', seats: 1 });
    expect(refused.nodes.refuse?.output).toMatchObject({
      status: 422,
      body: { error: expect.stringContaining('unknown plan gold') },
    });
  });
});
