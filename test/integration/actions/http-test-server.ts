import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the test server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1 (port 0) with routes for the http action's tests. */
export interface TestServer {
  base: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Routes: `/json`, `/text`, `/echo` (method, headers, body as JSON), `/status/<code>?retryAfter=`,
 * `/slow` (never answers), `/big?bytes=&declared=1`, `/redirect?to=<url>&status=302`, `/chain/<n>`
 * (n redirects then /json), `/bad-json`.
 */
export async function startTestServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    const route = url.pathname.split('/')[1];
    switch (route) {
      case 'json':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, n: 1 }));
        return;
      case 'text':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
        return;
      case 'bad-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{nope');
        return;
      case 'echo':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
          JSON.stringify({
            method: req.method,
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
            query: Object.fromEntries(url.searchParams),
          }),
        );
        return;
      case 'status': {
        const code = Number(url.pathname.split('/')[2]);
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        const retryAfter = url.searchParams.get('retryAfter');
        if (retryAfter) headers['retry-after'] = retryAfter;
        res.writeHead(code, headers).end(`status ${code}`);
        return;
      }
      case 'slow':
        open.add(res);
        return;
      case 'big': {
        const bytes = Number(url.searchParams.get('bytes') ?? 2 * 1024 * 1024);
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        if (url.searchParams.get('declared')) headers['content-length'] = String(bytes);
        res.writeHead(200, headers);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let sent = 0; sent < bytes; sent += chunk.length)
          res.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
        res.end();
        return;
      }
      case 'redirect':
        res
          .writeHead(Number(url.searchParams.get('status') ?? 302), {
            location: url.searchParams.get('to') ?? '/json',
          })
          .end();
        return;
      case 'chain': {
        const n = Number(url.pathname.split('/')[2]);
        res.writeHead(302, { location: n > 0 ? `/chain/${n - 1}` : '/json' }).end();
        return;
      }
      default:
        res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
