import type { ApiKeyStorePort } from '../../lib/store/types.ts';
import type { AuthorizerContext, AuthorizerEvent, AuthorizerResult } from '../shared/http/api-event.ts';

/** The bearer token of an `Authorization` header, or `undefined`. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const match = /^\s*Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i.exec(header ?? '');
  return match?.[1];
};

/** Why a request's credentials were refused: the `detail` of its 401. */
export const denialReason = (header: string | undefined): string =>
  header === undefined || header.trim() === ''
    ? 'an API key is required: Authorization: Bearer <key>'
    : bearerToken(header) === undefined
      ? 'the Authorization header must be "Bearer <key>"'
      : 'the API key is not valid or was revoked';

/** `lastUsedAt` is written at most once per key per this interval (one conditional write). */
export const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;

/**
 * The Lambda authorizer's logic (HTTP API, simple responses): looks the bearer key up by its hash
 * and answers `{ isAuthorized: true, context: { tenant, keyId, scopes, rateLimit? } }` (`scopes`
 * space-separated, `rateLimit` `<capacity>/<refillPerSecond>` when the key has its own), and records
 * the key's `lastUsedAt` when the recorded one is older than an hour.
 *
 * A missing, malformed, unknown or revoked key answers `{ isAuthorized: true, context: { denied } }`:
 * an HTTP API cannot shape an authorizer's refusal (it would be a bare 403), so the refusal is
 * passed on and the API handler answers the contract's 401 problem+json naming `denied`. Such a
 * request is never trusted: only a valid key's context carries a tenant and a key id.
 */
export async function authorizeRequest(
  keys: ApiKeyStorePort,
  event: AuthorizerEvent,
  now: Date = new Date(),
): Promise<AuthorizerResult> {
  const header = event.headers?.authorization ?? event.identitySource?.[0];
  const token = bearerToken(header);
  const record = token === undefined ? undefined : await keys.findByKey(token);
  if (!record || token === undefined)
    return { isAuthorized: true, context: { denied: denialReason(header) } };
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (record.lastUsedAt === undefined || record.lastUsedAt < staleBefore.toISOString()) {
    // "Last used" is a hint for the key list: a failed write must never refuse a valid key.
    await keys.markUsed(token, now, staleBefore).catch(() => undefined);
  }
  const context: AuthorizerContext = {
    tenant: record.tenant,
    keyId: record.keyId,
    scopes: record.scopes.join(' '),
  };
  if (record.rateLimit)
    context.rateLimit = `${record.rateLimit.capacity}/${record.rateLimit.refillPerSecond}`;
  return { isAuthorized: true, context };
}
