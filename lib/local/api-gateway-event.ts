import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiEvent, AuthorizerEvent } from '../../functions/shared/http/api-event.ts';

/** What the local server knows of one HTTP request once its body is read. */
export interface LocalRequest {
  method: string;
  /** The request target as sent: path and query string. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  sourceIp: string;
}

/** Node's headers as API Gateway passes them: lower-cased names, repeated values joined with `,`. */
const flattenHeaders = (headers: IncomingMessage['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
};

const queryParameters = (rawQueryString: string): Record<string, string> | undefined => {
  if (rawQueryString === '') return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
};

/**
 * The API Gateway HTTP API payload 2.0 event of a local request, as API Gateway would build it
 * (rawPath, rawQueryString, lower-cased headers, body as a string, requestContext with a request
 * id, method, path and source IP, the matched `routeKey` and its path parameters).
 */
export function toApiEvent(
  request: LocalRequest,
  route: { routeKey: string; pathParameters?: Record<string, string> } = { routeKey: '$default' },
): ApiEvent {
  const queryAt = request.url.indexOf('?');
  const rawPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  const headers = flattenHeaders(request.headers);
  const now = new Date();
  const cookies = headers.cookie?.split(';').map((cookie) => cookie.trim());
  const query = queryParameters(rawQueryString);
  const event: ApiEvent = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: undefined as unknown as ApiEvent['requestContext']['authorizer'],
    },
    body: request.body === '' ? undefined : request.body,
    isBase64Encoded: false,
  } as ApiEvent;
  if (cookies) event.cookies = cookies;
  if (query) event.queryStringParameters = query;
  if (route.pathParameters) event.pathParameters = route.pathParameters;
  return event;
}

/** The Lambda authorizer's event (payload 2.0, identity source `$request.header.Authorization`) of an API event. */
export function toAuthorizerEvent(event: ApiEvent): AuthorizerEvent {
  const authorization = event.headers.authorization;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:local:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters } : {}),
    requestContext: { ...event.requestContext },
    ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
  } as AuthorizerEvent;
}
