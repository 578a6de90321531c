import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';

/**
 * The authorizer context the API handler reads from `requestContext.authorizer.lambda`.
 * `scopes` is space-separated (authorizer contexts carry flat values).
 */
export interface AuthorizerContext {
  tenant: string;
  keyId: string;
  scopes: string;
  /** The key's own token bucket, `<capacity>/<refillPerSecond>`, when it overrides the default. */
  rateLimit?: string;
}

/** The authorizer context of a request whose credentials were refused: why (the 401's detail). */
export interface DeniedContext {
  denied: string;
}

/** An API Gateway HTTP API (payload 2.0) request, possibly authorized by the Lambda authorizer. */
export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<
  (Partial<AuthorizerContext> & Partial<DeniedContext>) | undefined
>;
/** What the API handler answers. */
export type ApiResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  /** Local mode only (`Deps.responseStreaming`): a body the server writes as it is produced. */
  stream?: AsyncIterable<string>;
};
/** The HTTP API Lambda authorizer's request (payload 2.0). */
export type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2;
/** The authorizer's simple response. */
export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext | DeniedContext>;

/** A JSON response with the content type set. */
export const jsonResult = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): ApiResult =>
  body === undefined
    ? { statusCode, headers: { ...headers } }
    : { statusCode, headers: { 'content-type': contentType, ...headers }, body: JSON.stringify(body) };
