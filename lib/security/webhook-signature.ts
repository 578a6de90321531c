import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: the Standard Webhooks scheme (https://www.standardwebhooks.com) and,
 * as an option for sources that only speak it, GitHub's `X-Hub-Signature-256`.
 *
 * Standard Webhooks: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` (space-separated `v1,<base64>` entries); each signature is
 * HMAC-SHA256 over `${id}.${timestamp}.${rawBody}` keyed with the secret's bytes
 * (`whsec_` + base64). Any of several secrets and any of several signatures may match, which
 * is how a secret is rotated without downtime. The raw body is verified byte for byte before
 * anything parses it.
 */

/** The prefix of a Standard Webhooks secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Default tolerance between the signed timestamp and the receiver's clock, either way. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** Request headers as Node or API Gateway give them; names are matched case-insensitively. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export type WebhookScheme = 'standard-webhooks' | 'github';

export type WebhookFailureReason = 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature';

export interface WebhookVerified {
  ok: true;
  /** `webhook-id` (or GitHub's `X-GitHub-Delivery`): the sender's id of this message, stable across retries. */
  webhookId: string;
  /** The signed timestamp in Unix seconds; `null` for the GitHub scheme, which signs none. */
  timestamp: number | null;
}

export interface WebhookRejected {
  ok: false;
  reason: WebhookFailureReason;
  /** A message safe to show the sender: it never contains a secret or an expected signature. */
  message: string;
}

export type WebhookVerification = WebhookVerified | WebhookRejected;

export interface VerifyWebhookOptions {
  rawBody: string | Buffer;
  headers: WebhookHeaders;
  /** Every currently valid secret (`whsec_…`); more than one during a rotation. */
  secrets: readonly string[];
  /** The receiver's clock. */
  now: Date;
  toleranceSeconds?: number;
  /** `standard-webhooks` (default) or `github` (`X-Hub-Signature-256: sha256=<hex>`, secret used as UTF-8 text). */
  scheme?: WebhookScheme;
}

/** A secret that cannot be decoded: a configuration error of the receiver, never the sender's fault. */
export class WebhookSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookSecretError';
  }
}

/**
 * Verifies a signed webhook request. Never throws for anything the sender controls: every
 * failure is a `{ ok: false, reason }` (throws `WebhookSecretError` only for a malformed
 * configured secret, or when `secrets` is empty). Comparison is constant-time.
 */
export function verifyWebhook(options: VerifyWebhookOptions): WebhookVerification {
  if (options.secrets.length === 0) throw new WebhookSecretError('no webhook secret is configured');
  return options.scheme === 'github' ? verifyGithub(options) : verifyStandard(options);
}

function verifyStandard(options: VerifyWebhookOptions): WebhookVerification {
  const id = header(options.headers, 'webhook-id');
  const timestampText = header(options.headers, 'webhook-timestamp');
  const signatureHeader = header(options.headers, 'webhook-signature');
  const missing = [
    id ? null : 'webhook-id',
    timestampText ? null : 'webhook-timestamp',
    signatureHeader ? null : 'webhook-signature',
  ].filter((name) => name !== null);
  if (!id || !timestampText || !signatureHeader) {
    return reject('missing-headers', `missing header(s): ${missing.join(', ')}`);
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    return reject('bad-timestamp', 'webhook-timestamp must be an integer number of Unix seconds');
  }
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (timestamp < nowSeconds - tolerance) {
    return reject('stale-timestamp', `webhook-timestamp is more than ${tolerance} seconds old`);
  }
  if (timestamp > nowSeconds + tolerance) {
    return reject('stale-timestamp', `webhook-timestamp is more than ${tolerance} seconds in the future`);
  }
  const offered = signatureHeader
    .split(' ')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  if (offered.length === 0) {
    return reject('bad-signature', 'webhook-signature carries no v1 signature');
  }
  for (const secret of options.secrets) {
    const expected = standardSignature(decodeSecret(secret), id, timestampText, options.rawBody);
    if (offered.some((candidate) => constantTimeEqual(candidate, expected))) {
      return { ok: true, webhookId: id, timestamp };
    }
  }
  return reject('bad-signature', 'no webhook-signature matches the body with any current secret');
}

function verifyGithub(options: VerifyWebhookOptions): WebhookVerification {
  const signature = header(options.headers, 'x-hub-signature-256');
  const delivery = header(options.headers, 'x-github-delivery');
  if (!signature || !delivery) {
    const missing = [signature ? null : 'x-hub-signature-256', delivery ? null : 'x-github-delivery'];
    return reject('missing-headers', `missing header(s): ${missing.filter(Boolean).join(', ')}`);
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (!match?.[1]) return reject('bad-signature', 'x-hub-signature-256 must be sha256=<64 hex digits>');
  const offered = Buffer.from(match[1], 'hex');
  for (const secret of options.secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(options.rawBody).digest();
    if (constantTimeEqual(offered, expected)) return { ok: true, webhookId: delivery, timestamp: null };
  }
  return reject('bad-signature', 'x-hub-signature-256 does not match the body with any current secret');
}

export interface SignWebhookOptions {
  /** One secret (`whsec_…`) or several: one `v1,` signature per secret, as a sender does mid-rotation. */
  secret: string | readonly string[];
  webhookId: string;
  /** The signing instant (Date) or Unix seconds. */
  timestamp: Date | number;
  rawBody: string | Buffer;
}

/**
 * Signs a payload the way a Standard Webhooks sender does and returns the three headers to
 * send with the raw body. Used by tests, by the docs and by clients of the local server.
 */
export function signWebhook(options: SignWebhookOptions): {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
} {
  const seconds =
    options.timestamp instanceof Date ? Math.floor(options.timestamp.getTime() / 1000) : options.timestamp;
  const timestampText = String(Math.floor(seconds));
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const signature = secrets
    .map(
      (secret) =>
        `v1,${standardSignature(decodeSecret(secret), options.webhookId, timestampText, options.rawBody).toString('base64')}`,
    )
    .join(' ');
  return {
    'webhook-id': options.webhookId,
    'webhook-timestamp': timestampText,
    'webhook-signature': signature,
  };
}

/** The `X-Hub-Signature-256` value GitHub sends for `rawBody` with `secret` (UTF-8 text key). */
export function signGithubWebhook(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest('hex')}`;
}

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. Show it once; store it as a secret. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The key bytes of a secret: base64 after an optional `whsec_` prefix (as the reference libraries accept). */
function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new WebhookSecretError('a configured webhook secret is not whsec_ followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new WebhookSecretError('a configured webhook secret is shorter than 16 bytes');
  return key;
}

function standardSignature(key: Buffer, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual throws on different lengths; a length mismatch reveals nothing secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const text = Array.isArray(value) ? value.join(' ') : value;
    return text?.trim() ? text.trim() : undefined;
  }
  return undefined;
}

function reject(reason: WebhookFailureReason, message: string): WebhookRejected {
  return { ok: false, reason, message };
}
