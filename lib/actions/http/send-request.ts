import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from '../../security/ssrf-guard.ts';

// Pooled keep-alive connections, shared by every invocation of a warm Lambda.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000 });

/** One request to a checked target. */
export interface RawRequest {
  method: string;
  target: CheckedTarget;
  headers: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
  maxResponseBytes: number;
}

/** The raw response: status, headers and the whole body (at most `maxResponseBytes`). */
export interface RawResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Raised when the body would exceed `maxResponseBytes`; the request is aborted, nothing is cut. */
export class ResponseTooLargeSignal extends Error {
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
    this.name = 'ResponseTooLargeSignal';
  }
}

/**
 * Sends one request over node:http(s) with a pinned DNS lookup: the socket connects to
 * `target.address` (the address the SSRF guard checked), while the Host header and TLS SNI and
 * certificate checks keep the URL's host name. Does not follow redirects.
 */
export function sendRequest(request: RawRequest): Promise<RawResponse> {
  const { target } = request;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const isHttps = target.url.protocol === 'https:';
  const transport = isHttps ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    const req = transport.request(
      target.url,
      {
        method: request.method,
        headers: request.headers,
        agent: isHttps ? httpsAgent : httpAgent,
        lookup: pinned,
        signal: request.signal,
        ...(isHttps ? { servername: target.hostname } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > request.maxResponseBytes) {
          reject(new ResponseTooLargeSignal(request.maxResponseBytes));
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxResponseBytes) {
            reject(new ResponseTooLargeSignal(request.maxResponseBytes));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}
