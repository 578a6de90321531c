import * as z from 'zod/mini';

/** Headers that frame the message or belong to one connection hop: never taken from a config. */
const FRAMING_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

/** True for a header name the http action refuses in its config (any case). */
export const isFramingHeader = (name: string): boolean => {
  const lower = name.toLowerCase();
  return FRAMING_HEADERS.has(lower) || lower.startsWith('proxy-');
};

const statusPattern = z.string().check(z.regex(/^[1-5]xx$/, 'a status class is written like "2xx"'));
const statusCode = z.int().check(z.gte(100), z.lte(599));

/**
 * Config of the `http` action (DESIGN.md §2). Header values may hold secret references
 * (`{{ secret:ssm:/path }}`, `{{ secret:sm:name }}`), resolved at run time and never echoed.
 */
export const httpConfigSchema = z.strictObject({
  method: z._default(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']), 'GET'),
  url: z.string().check(
    z.minLength(1),
    z.maxLength(8192),
    z.refine((url) => /^https?:\/\//i.test(url), 'must be an http:// or https:// URL'),
  ),
  headers: z.optional(
    z.record(
      z.string().check(
        z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/),
        z.refine(
          (name) => !isFramingHeader(name),
          'hop-by-hop and framing headers (Host, Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer, Proxy-*) are set by FlowForge, not by a config',
        ),
      ),
      z
        .string()
        .check(z.refine((value) => !/[\r\n\0]/.test(value), 'a header value must not contain CR, LF or NUL')),
    ),
  ),
  query: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  /**
   * An object or array is sent as JSON; a string as text; a file value (`{ file: {…} }`) as its raw
   * bytes with its content type. With `bodyType: "multipart"`: multipart/form-data, one part per key
   * of an object (file values as file parts), or one part `file` for a file value.
   */
  body: z.optional(z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])),
  bodyType: z._default(z.enum(['auto', 'multipart']), 'auto'),
  /** With `responseType: "file"`: the file's name (default: Content-Disposition's, else the URL's last segment). */
  fileName: z.optional(
    z
      .string()
      .check(z.minLength(1), z.maxLength(255), z.regex(/^[^/\\\r\n\0]+$/, 'a file name without slashes')),
  ),
  timeoutSeconds: z._default(z.number().check(z.positive(), z.lte(900)), 30),
  /** `file`: the body is kept in the payload store and the output's `body` is its file value. */
  responseType: z._default(z.enum(['auto', 'json', 'text', 'file']), 'auto'),
  /** Statuses that count as success: a class like "2xx", a code, or a list of either. Default "2xx". */
  successStatus: z._default(
    z.union([statusPattern, statusCode, z.array(z.union([statusPattern, statusCode])).check(z.minLength(1))]),
    '2xx',
  ),
  /** Default 1 MiB, or the deployment's file limit with `responseType: "file"`. */
  maxResponseBytes: z.optional(z.int().check(z.positive(), z.lte(64 * 1024 * 1024))),
  followRedirects: z._default(z.boolean(), true),
  circuitBreaker: z.optional(
    z.strictObject({
      failureThreshold: z._default(z.int().check(z.gte(1), z.lte(1000)), 5),
      recoverySeconds: z._default(z.number().check(z.positive(), z.lte(86_400)), 30),
    }),
  ),
});

/** The parsed `http` config (defaults applied). */
export type HttpConfig = z.output<typeof httpConfigSchema>;

/** Output of the `http` action: `body` is parsed when the response is JSON, text otherwise. */
export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}
