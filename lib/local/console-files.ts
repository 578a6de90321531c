import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` in console/ puts the web console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The headers CloudFront's response headers policy sets in AWS, so the console behaves the same locally. */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>FlowForge</title></head>
<body><main><h1>FlowForge</h1><p>The web console is not built. Run <code>npm run console:build</code>
(or <code>npm ci</code>, which builds it) and reload. The API is at <a href="/api/v1/openapi.json">/api/v1</a>.</p></main></body></html>`;

/**
 * One static file of the console for a GET under `/` (never under `/api/`): `/` is `index.html`;
 * hashed assets are cached for a year, everything else revalidated. Paths are kept inside `dir`.
 */
export async function consoleFile(
  dir: string,
  urlPath: string,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer | string }> {
  const path = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  const relative = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '');
  const file = normalize(join(dir, relative));
  if (!file.startsWith(normalize(dir.endsWith(sep) ? dir : `${dir}${sep}`))) {
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  }
  try {
    const body = await readFile(file);
    return {
      status: 200,
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...CONSOLE_SECURITY_HEADERS,
      },
      body,
    };
  } catch {
    if (relative === 'index.html') {
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', ...CONSOLE_SECURITY_HEADERS },
        body: NOT_BUILT,
      };
    }
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  }
}
