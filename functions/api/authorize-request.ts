import type { ApiKeyStorePort } from '../../lib/store/types.ts';
import type { AuthorizerContext, AuthorizerEvent, AuthorizerResult } from '../shared/http/api-event.ts';

/** The bearer token of an `Authorization` header, or `undefined`. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const match = /^\s*Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i.exec(header ?? '');
  return match?.[1];
};

/** Why a request was refused, for the local server's 401 body (API Gateway shows its own). */
export const denialReason = (header: string | undefined): string =>
  header === undefined || header.trim() === ''
    ? 'an API key is required: Authorization: Bearer <key>'
    : bearerToken(header) === undefined
      ? 'the Authorization header must be "Bearer <key>"'
      : 'the API key is not valid or was revoked';

/**
 * The Lambda authorizer's logic (HTTP API, simple responses): looks the bearer key up by its hash
 * and answers `{ isAuthorized, context: { tenant, keyId, scopes, rateLimit? } }` (`scopes` space-separated,
 * `rateLimit` `<capacity>/<refillPerSecond>` when the key has its own).
 * A missing, malformed, unknown or revoked key is `isAuthorized: false`.
 */
export async function authorizeRequest(
  keys: ApiKeyStorePort,
  event: AuthorizerEvent,
): Promise<AuthorizerResult> {
  const header = event.headers?.authorization ?? event.identitySource?.[0];
  const token = bearerToken(header);
  if (token === undefined) return { isAuthorized: false, context: {} };
  const record = await keys.findByKey(token);
  if (!record) return { isAuthorized: false, context: {} };
  const context: AuthorizerContext = {
    tenant: record.tenant,
    keyId: record.keyId,
    scopes: record.scopes.join(' '),
  };
  if (record.rateLimit)
    context.rateLimit = `${record.rateLimit.capacity}/${record.rateLimit.refillPerSecond}`;
  return { isAuthorized: true, context };
}
