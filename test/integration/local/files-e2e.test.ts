import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../api/local-api.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The parts of a MIME multipart body: headers (lower-cased names) and raw content. */
function mimeParts(
  body: Buffer,
  boundary: string,
): Array<{ headers: Record<string, string>; content: Buffer }> {
  const text = body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => {
      const trimmed = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
      const split = trimmed.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of trimmed.slice(0, split).split('\r\n')) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { headers, content: Buffer.from(trimmed.slice(split + 4), 'latin1') };
    });
}

const boundaryOf = (contentType: string) => /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '';

/**
 * Files (DESIGN.md §2.2) end to end on the local server: the http action downloads 5 MB as a file,
 * email attaches it (the outbox .eml carries it), http uploads it multipart to another local
 * endpoint, and GET /executions/{id}/files/{ref} downloads it — the same bytes and sha256 everywhere.
 */
describe('files through the local server', () => {
  let api: TestApi;
  let source: Server;
  let sink: Server;
  let sourceUrl = '';
  let sinkUrl = '';
  const content = randomBytes(5 * 1024 * 1024);
  let uploaded: { contentType: string; body: Buffer } | undefined;

  beforeAll(async () => {
    source = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/pdf',
        'content-disposition': 'attachment; filename="invoice-42.pdf"',
      });
      res.end(content);
    });
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        uploaded = { contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) };
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ stored: true }));
      });
    });
    await Promise.all(
      [source, sink].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))),
    );
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/invoices/42`;
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/upload`;
    api = await startTestApi();
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await Promise.all(
      [source, sink].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  it('downloads 5 MB as a file, attaches it to an email and uploads it multipart, bytes and sha256 intact', async () => {
    const created = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'invoice-files',
        nodes: [
          {
            id: 'download',
            type: 'action',
            action: 'http',
            config: { url: '{{ input.source }}', responseType: 'file' },
          },
          {
            id: 'mail',
            type: 'action',
            action: 'email',
            dependencies: ['download'],
            config: {
              to: 'accounts@example.com',
              subject: 'Invoice {{ nodes.download.output.body.file.name }}',
              text: 'Attached.',
              attachments: ['{{ nodes.download.output.body }}'],
            },
          },
          {
            id: 'upload',
            type: 'action',
            action: 'http',
            dependencies: ['download'],
            config: {
              method: 'POST',
              url: '{{ input.sink }}',
              bodyType: 'multipart',
              body: { document: '{{ nodes.download.output.body }}', note: 'invoice 42' },
            },
          },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    const started = await api.request('POST', `/api/v1/flows/${created.body.flowId}/execute`, {
      body: { input: { source: sourceUrl, sink: sinkUrl } },
    });
    expect(started.status).toBe(202);
    const execution = await api.waitForExecution(started.body.executionId, api.adminKey);
    expect(execution.status, JSON.stringify(execution.nodes)).toBe('SUCCEEDED');

    // The download: a file value, content in the payload store.
    const file = execution.nodes.download.output.body.file;
    expect(file).toEqual({
      name: 'invoice-42.pdf',
      contentType: 'application/pdf',
      bytes: content.length,
      sha256: sha256(content),
      ref: expect.stringMatching(/\.bin$/),
    });

    // The email in the outbox carries it as an attachment.
    const outbox = join(api.dataDir, 'outbox');
    const [eml] = await readdir(outbox);
    const raw = await readFile(join(outbox, eml ?? 'missing'));
    const headerEnd = raw.indexOf('\r\n\r\n');
    const contentType =
      /Content-Type: (multipart\/mixed;[^\r\n]*)/.exec(raw.subarray(0, headerEnd + 200).toString())?.[1] ??
      '';
    const parts = mimeParts(raw, boundaryOf(contentType));
    const attachment = parts.find((part) => part.headers['content-disposition']?.startsWith('attachment'));
    expect(attachment?.headers['content-disposition']).toContain('filename="invoice-42.pdf"');
    const attached = Buffer.from(attachment?.content.toString('latin1').replace(/\r\n/g, '') ?? '', 'base64');
    expect(attached.length).toBe(content.length);
    expect(sha256(attached)).toBe(sha256(content));

    // The multipart upload reached the other endpoint with the same bytes.
    expect(uploaded?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const form = mimeParts(uploaded?.body ?? Buffer.alloc(0), boundaryOf(uploaded?.contentType ?? ''));
    const document = form.find((part) => part.headers['content-disposition']?.includes('name="document"'));
    expect(document?.headers['content-disposition']).toContain('filename="invoice-42.pdf"');
    expect(document?.headers['content-type']).toBe('application/pdf');
    expect(sha256(document?.content ?? Buffer.alloc(0))).toBe(sha256(content));
    const note = form.find((part) => part.headers['content-disposition']?.includes('name="note"'));
    expect(note?.content.toString()).toBe('invoice 42');
    expect(execution.nodes.upload.output.status).toBe(201);

    // The download route answers the same bytes (scope executions:read, same tenant).
    const url = `${api.server.url}/api/v1/executions/${started.body.executionId}/files/${encodeURIComponent(file.ref)}`;
    const downloaded = await fetch(url, { headers: { authorization: `Bearer ${api.adminKey}` } });
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(Buffer.from(await downloaded.arrayBuffer()))).toBe(sha256(content));

    // Another tenant sees nothing, and a ref of this execution that no file value names is a 404.
    const other = await api.request('POST', '/api/v1/keys', {
      body: { name: 'other', scopes: ['executions:read'], tenant: 'other-tenant' },
    });
    expect(other.status).toBe(201);
    const foreign = await fetch(url, { headers: { authorization: `Bearer ${other.body.key}` } });
    expect(foreign.status).toBe(404);
    const guessed = await fetch(url.replace(/[A-Za-z0-9_-]{22}\.bin$/, 'AAAAAAAAAAAAAAAAAAAAAA.bin'), {
      headers: { authorization: `Bearer ${api.adminKey}` },
    });
    expect(guessed.status).toBe(404);
  });
});
