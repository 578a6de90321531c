import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type FileValue, fileLimitsFromEnv, isFileValue, readFile, storeFile } from '../../payloads/files.ts';
import { redactSecrets } from '../../security/secrets.ts';
import {
  type CheckedTarget,
  HostLookupError,
  SsrfGuard,
  SsrfRefusedError,
} from '../../security/ssrf-guard.ts';
import { type ActionContext, type ActionDefinition, InvalidConfigError } from '../action.ts';
import { awsClientConfig } from '../aws-client-config.ts';
import { CircuitBreaker, type CircuitBreakerStore, MemoryCircuitBreakerStore } from './circuit-breaker.ts';
import { DynamoDbCircuitBreakerStore } from './dynamodb-circuit-breaker-store.ts';
import {
  Http4xxError,
  Http5xxError,
  Http429Error,
  HttpActionError,
  HttpInvalidResponseError,
  HttpNetworkError,
  HttpResponseTooLargeError,
  HttpTimeoutError,
  HttpTooManyRedirectsError,
  HttpUnexpectedStatusError,
  TargetRefusedError,
} from './errors.ts';
import { type HttpConfig, type HttpOutput, httpConfigSchema } from './schema.ts';
import { type RawResponse, ResponseTooLargeSignal, sendRequest } from './send-request.ts';

export * from './errors.ts';
export type { HttpConfig, HttpOutput } from './schema.ts';

/** What the http action depends on; each has a default built from the environment on first use. */
export interface HttpActionDeps {
  /** Default: `new SsrfGuard({ allow: FLOWFORGE_HTTP_ALLOW })`. */
  guard?: SsrfGuard;
  /** Default: DynamoDB when `FLOWFORGE_TABLE_NAME` is set, else this process's memory. */
  circuitStore?: CircuitBreakerStore;
  now?: () => number;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * Request headers that never follow a redirect to another origin: the credential headers of HTTP
 * (Authorization, Proxy-Authorization, Cookie) and every header whose name says it carries one
 * (X-Api-Key, X-Auth-Token, X-Session-Id, X-Signature, …). Headers built from a secret are dropped too.
 */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
const CREDENTIAL_NAME = /auth|token|api-?key|secret|session|cookie|signature|password|credential|bearer/i;
const carriesCredential = (name: string): boolean =>
  CREDENTIAL_HEADERS.has(name) || CREDENTIAL_NAME.test(name);

/**
 * Builds the `http` action (DESIGN.md §2): one request (plus up to 5 redirects, each hop checked
 * by the SSRF guard and connected to the checked address), `successStatus` decides success, 429
 * and 5xx are retryable with `retryAfterSeconds`, bodies over `maxResponseBytes` are refused,
 * headers that carry a secret (resolved by the action core, `context.secrets`) count as credentials
 * on redirects and are scrubbed from errors, and an optional per-host
 * circuit breaker fails fast with `CircuitOpen`.
 */
export function createHttpAction(deps: HttpActionDeps = {}): ActionDefinition<HttpConfig, HttpOutput> {
  let resolved: (Required<Omit<HttpActionDeps, 'now'>> & { breaker: CircuitBreaker }) | undefined;
  const getDeps = () => {
    if (!resolved) {
      const circuitStore = deps.circuitStore ?? defaultCircuitStore();
      resolved = {
        guard: deps.guard ?? new SsrfGuard({ allow: process.env.FLOWFORGE_HTTP_ALLOW }),
        circuitStore,
        breaker: new CircuitBreaker({ store: circuitStore, now: deps.now }),
      };
    }
    return resolved;
  };

  return {
    kind: 'http',
    configSchema: httpConfigSchema,
    async run(config, context) {
      const { guard, breaker } = getDeps();
      let url: URL;
      try {
        url = new URL(config.url);
        for (const [key, value] of Object.entries(config.query ?? {}))
          url.searchParams.append(key, String(value));
      } catch (error) {
        throw new InvalidConfigError(`url: "${config.url}" is not a valid URL`, { cause: error });
      }
      const secrets = [...(context.secrets ?? [])];
      const headers: Record<string, string> = {};
      const secretHeaders = new Set<string>();
      for (const [name, value] of Object.entries(config.headers ?? {})) {
        headers[name.toLowerCase()] = value;
        if (secrets.some((secret) => secret.length > 0 && value.includes(secret)))
          secretHeaders.add(name.toLowerCase());
      }
      const encoded = await encodeBody(config, context);
      const body = encoded?.body;
      if (encoded) headers['content-type'] ??= encoded.contentType;
      if (body) headers['content-length'] = String(body.length);
      headers['user-agent'] ??= 'FlowForge/0.1 (+http action)';
      headers.accept ??=
        config.responseType === 'text'
          ? 'text/*, */*;q=0.5'
          : config.responseType === 'file'
            ? '*/*'
            : 'application/json, */*;q=0.5';

      const call = () =>
        perform(config, context, {
          url,
          headers,
          body,
          secrets,
          secretHeaders,
          guard,
          now: deps.now ?? Date.now,
        });
      try {
        if (!config.circuitBreaker) return await call();
        return await breaker.run(
          url.host,
          { ...config.circuitBreaker, trialLeaseMs: config.timeoutSeconds * 1000 + 5000 },
          call,
          (error) =>
            error instanceof Http5xxError ||
            error instanceof Http429Error ||
            error instanceof HttpTimeoutError ||
            error instanceof HttpNetworkError,
        );
      } catch (error) {
        if (error instanceof HttpActionError && secrets.length > 0)
          error.message = redactSecrets(error.message, secrets);
        throw error;
      }
    },
  };
}

interface PreparedRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  secrets: string[];
  secretHeaders: Set<string>;
  guard: SsrfGuard;
  now: () => number;
}

async function perform(
  config: HttpConfig,
  context: ActionContext,
  prepared: PreparedRequest,
): Promise<HttpOutput> {
  const timeout = AbortSignal.timeout(config.timeoutSeconds * 1000);
  const signal = context.signal ? AbortSignal.any([context.signal, timeout]) : timeout;
  let { url, headers, body } = prepared;
  let method: string = config.method;
  let response: RawResponse;
  for (let hop = 0; ; hop++) {
    const target = await check(prepared.guard, url);
    response = await send(method, target, headers, body, signal, config, timeout);
    const location = response.headers.location;
    if (!config.followRedirects || !REDIRECTS.has(response.status) || !location) break;
    if (hop >= MAX_REDIRECTS)
      throw new HttpTooManyRedirectsError(
        `${config.method} ${describe(prepared.url)}: more than ${MAX_REDIRECTS} redirects`,
      );
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (error) {
      throw new TargetRefusedError(`redirect to an invalid location from ${describe(url)}`, { cause: error });
    }
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers = { ...headers };
      delete headers['content-type'];
      delete headers['content-length'];
    }
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !carriesCredential(name) && !prepared.secretHeaders.has(name),
        ),
      );
    }
    url = next;
  }
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], prepared.now());
  const what =
    `${config.method} ${describe(prepared.url)} answered ${response.status} ${response.statusText}`.trim();
  if (!isSuccess(response.status, config.successStatus)) {
    const options = { cause: what, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    if (response.status === 429) throw new Http429Error(what, options);
    if (response.status >= 500) throw new Http5xxError(what, options);
    if (response.status >= 400) throw new Http4xxError(what, { cause: what });
    throw new HttpUnexpectedStatusError(`${what}, outside successStatus`, { cause: what });
  }
  return {
    status: response.status,
    headers: flattenHeaders(response.headers),
    body:
      config.responseType === 'file'
        ? await storeFile(
            context.payloads,
            {
              ...(context.execution.tenant === undefined ? {} : { tenant: context.execution.tenant }),
              flowId: context.execution.flowId,
              executionId: context.execution.id,
              nodeId: context.nodeId,
            },
            response.body,
            {
              name: config.fileName ?? fileNameOf(response, prepared.url),
              contentType: String(response.headers['content-type'] ?? 'application/octet-stream'),
            },
          )
        : parseBody(response, config.responseType, what),
  };
}

/** The response limit: as configured, else 1 MiB, or the deployment's file limit for a file download. */
function maxResponseBytesOf(config: HttpConfig): number {
  return (
    config.maxResponseBytes ?? (config.responseType === 'file' ? fileLimitsFromEnv().maxBytes : 1024 * 1024)
  );
}

/** Content-Disposition's `filename` (or `filename*`), else the URL's last path segment, else `download`. */
function fileNameOf(response: RawResponse, url: URL): string {
  const disposition = String(response.headers['content-disposition'] ?? '');
  const extended = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(disposition)?.[1];
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)?.[1];
  let name = plain?.trim();
  if (extended) {
    try {
      name = decodeURIComponent(extended.trim().replace(/^"|"$/g, ''));
    } catch {
      // keep the plain form
    }
  }
  name ??= decodeURIComponent(url.pathname.split('/').pop() ?? '');
  const safe = name.replace(/[/\\\r\n\0]/g, '_').slice(0, 255);
  return safe === '' ? 'download' : safe;
}

/**
 * The request body: text, JSON, a file's bytes (with its content type), or multipart/form-data
 * (`bodyType: "multipart"`) of an object's entries and file values. Files are read from the payload
 * store and checked against their sha256; only files of the run's own flow.
 */
async function encodeBody(
  config: HttpConfig,
  context: ActionContext,
): Promise<{ body: Buffer; contentType: string } | undefined> {
  const { body } = config;
  if (body === undefined) return undefined;
  const read = async (file: FileValue) =>
    Buffer.from(await readFile(context.payloads, file, context.execution.flowId, context.execution.tenant));
  if (config.bodyType === 'multipart') {
    const entries: Array<[string, unknown]> = isFileValue(body)
      ? [['file', body]]
      : typeof body === 'object' && !Array.isArray(body)
        ? Object.entries(body)
        : [['value', body]];
    const boundary = `flowforge-${randomBytes(12).toString('hex')}`;
    const chunks: Buffer[] = [];
    for (const [name, value] of entries) {
      const field = quoted(name);
      if (isFileValue(value)) {
        chunks.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${quoted(value.file.name)}"\r\nContent-Type: ${value.file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
          ),
          await read(value),
          Buffer.from('\r\n'),
        );
      } else {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        chunks.push(
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${text}\r\n`),
        );
      }
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
  }
  if (isFileValue(body)) return { body: await read(body), contentType: body.file.contentType };
  if (typeof body === 'string') return { body: Buffer.from(body), contentType: 'text/plain; charset=utf-8' };
  return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

/** A multipart parameter value: quotes and line breaks escaped (RFC 7578 §4.2). */
const quoted = (value: string): string =>
  value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

async function check(guard: SsrfGuard, url: URL): Promise<CheckedTarget> {
  try {
    return await guard.check(url);
  } catch (error) {
    if (error instanceof SsrfRefusedError)
      throw new TargetRefusedError(`refused ${describe(url)}: ${error.message}`, { cause: error.message });
    if (error instanceof HostLookupError) throw new HttpNetworkError(error.message, { cause: error.message });
    throw error;
  }
}

async function send(
  method: string,
  target: CheckedTarget,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
  config: HttpConfig,
  timeout: AbortSignal,
): Promise<RawResponse> {
  try {
    return await sendRequest({
      method,
      target,
      headers,
      body,
      signal,
      maxResponseBytes: maxResponseBytesOf(config),
    });
  } catch (error) {
    const where = `${method} ${describe(target.url)}`;
    if (error instanceof ResponseTooLargeSignal)
      throw new HttpResponseTooLargeError(
        `${where}: response body exceeds maxResponseBytes (${error.limit})`,
        {
          cause: error.message,
        },
      );
    if (timeout.aborted)
      throw new HttpTimeoutError(`${where}: no response within ${config.timeoutSeconds} s`, {
        cause: `timeout after ${config.timeoutSeconds} s`,
      });
    const code = (error as { code?: string }).code;
    throw new HttpNetworkError(`${where}: ${code ?? (error as Error).message}`, {
      cause: (error as Error).message,
    });
  }
}

/** The URL without query and fragment (they may carry tokens). */
function describe(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function isSuccess(status: number, rule: HttpConfig['successStatus']): boolean {
  const rules = Array.isArray(rule) ? rule : [rule];
  return rules.some((r) =>
    typeof r === 'number' ? r === status : Math.floor(status / 100) === Number(r[0]),
  );
}

/** `Retry-After` as seconds from now: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function flattenHeaders(headers: RawResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(response: RawResponse, responseType: HttpConfig['responseType'], what: string): unknown {
  const text = response.body.toString('utf8');
  const contentType = String(response.headers['content-type'] ?? '').toLowerCase();
  const looksJson = /^application\/([\w.+-]*\+)?json\b/.test(contentType);
  if (responseType === 'text' || (responseType === 'auto' && !looksJson)) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (responseType === 'auto') return text;
    throw new HttpInvalidResponseError(`${what} with a body that is not JSON`, {
      cause: (error as Error).message,
    });
  }
}

function defaultCircuitStore(): CircuitBreakerStore {
  const tableName = process.env.FLOWFORGE_TABLE_NAME;
  if (!tableName) return new MemoryCircuitBreakerStore();
  return new DynamoDbCircuitBreakerStore({
    tableName,
    client: new DynamoDBClient(awsClientConfig(process.env.FLOWFORGE_DYNAMODB_ENDPOINT)),
  });
}

/** The `http` action with its dependencies taken from the environment. */
export const httpAction: ActionDefinition<HttpConfig, HttpOutput> = createHttpAction();
