import { awsStores } from '../shared/aws-stores.ts';
import type { AuthorizerEvent, AuthorizerResult } from '../shared/http/api-event.ts';
import { authorizeRequest } from './authorize-request.ts';

/**
 * The HTTP API Lambda authorizer (payload 2.0, simple responses, cached by API Gateway on the
 * `Authorization` header): `{ isAuthorized, context: { tenant, keyId, scopes } }`.
 */
export const handler = async (event: AuthorizerEvent): Promise<AuthorizerResult> =>
  authorizeRequest(awsStores().apiKeys, event);
