import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Caller } from '../../lib/service/caller.ts';
import { hasScope } from '../../lib/service/caller.ts';
import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../../lib/service/errors.ts';
import { API_SCOPES, type ApiScope, type RateLimit } from '../../lib/store/types.ts';
import { type ApiEvent, type ApiResult, jsonResult } from '../shared/http/api-event.ts';
import { HttpProblem } from '../shared/http/http-problem.ts';
import { problemResponses, requestIdHeader, requestIdOf } from '../shared/http/middlewares.ts';
import { bodyText, parseJsonBody, parseWith } from '../shared/http/parse.ts';
import { Router } from '../shared/http/router.ts';
import { type RouteDef, type RouteRequest, routes } from './routes.ts';

/** The router over every API route (shared with the local server and the OpenAPI document). */
export const apiRouter = new Router<RouteDef>(routes);

/** The scopes in an authorizer context (space- or comma-separated string, or a list). */
const scopesOf = (value: unknown): ApiScope[] => {
  const list = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(/[\s,]+/)
      : [];
  return list.filter((scope): scope is ApiScope => (API_SCOPES as readonly string[]).includes(scope));
};

/** The caller from the Lambda authorizer's context, or 401 when the request was not authorized. */
const callerOf = (event: ApiEvent): Caller => {
  const context = event.requestContext.authorizer?.lambda;
  if (typeof context?.denied === 'string') throw new UnauthorizedError(context.denied);
  if (!context || typeof context.tenant !== 'string' || typeof context.keyId !== 'string') {
    throw new UnauthorizedError('an API key is required: Authorization: Bearer <key>');
  }
  return {
    tenantId: context.tenant,
    keyId: context.keyId,
    scopes: scopesOf(context.scopes),
    sourceIp: event.requestContext.http.sourceIp,
    requestId: requestIdOf(event),
  };
};

/** A key's own rate limit from the authorizer context (`<capacity>/<refillPerSecond>`), if any. */
const rateLimitOf = (event: ApiEvent): RateLimit | undefined => {
  const text = event.requestContext.authorizer?.lambda?.rateLimit;
  const match = typeof text === 'string' ? /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(text) : null;
  if (!match) return undefined;
  const capacity = Number(match[1]);
  const refillPerSecond = Number(match[2]);
  return capacity >= 1 && refillPerSecond > 0 ? { capacity, refillPerSecond } : undefined;
};

const lowerCaseHeaders = (headers: ApiEvent['headers']): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
};

/** A tenant's budget over all its keys (a key's own default is 100 requests, 50 per second). */
export const TENANT_RATE_LIMIT: RateLimit = { capacity: 300, refillPerSecond: 150 };
/** Requests with a missing, unknown or revoked key, per source address. */
export const FAILED_AUTH_LIMIT: RateLimit = { capacity: 20, refillPerSecond: 1 };
/** Webhook deliveries per flow (before the signature is checked: forged floods cost nothing). */
export const WEBHOOK_RATE_LIMIT: RateLimit = { capacity: 100, refillPerSecond: 20 };

/** Takes a token of `bucket`; 429 with the RateLimit headers of `policy` when it is empty. */
async function take(
  limiter: Deps['stores']['rateLimiter'] | undefined,
  bucket: string,
  limit: RateLimit | undefined,
  policy: string,
): Promise<void> {
  if (!limiter) return;
  const token = await limiter.takeToken(bucket, limit);
  if (token.allowed) return;
  throw new TooManyRequestsError(`rate limit exceeded (${policy})`, token.retryAfterSeconds, {
    policy: { name: policy, capacity: limit?.capacity ?? 0, refillPerSecond: limit?.refillPerSecond ?? 0 },
  });
}

/**
 * Routes one API Gateway event: 404/405 for unknown paths and methods, 401/403 from the
 * authorizer context and the route's scope, 429 from the per-key token bucket, 413 and 400 from
 * the body, then the route's use case. Every error is thrown and answered by `problemResponses`.
 */
export async function dispatch(getDeps: () => Deps | Promise<Deps>, event: ApiEvent): Promise<ApiResult> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath;
  const match = apiRouter.match(method, path);
  if (match.kind === 'not-found') throw new HttpProblem(404, 'Not found', `no route for ${method} ${path}`);
  if (match.kind === 'method-not-allowed') {
    throw new HttpProblem(405, 'Method not allowed', `${method} is not allowed on ${path}`, {
      headers: { allow: match.allowed.join(', ') },
    });
  }
  const { route, params } = match;
  // Health and the OpenAPI document answer even when the deployment's configuration is broken.
  const deps = route.usesDeps === false ? (undefined as unknown as Deps) : await getDeps();

  let caller: Caller | null = null;
  const limiter = deps?.stores.rateLimiter;
  if (route.scope !== null) {
    try {
      caller = callerOf(event);
    } catch (error) {
      // Guessing keys costs: failed authentications are limited per source address.
      if (
        error instanceof UnauthorizedError &&
        typeof event.requestContext.authorizer?.lambda?.denied === 'string'
      )
        await take(
          limiter,
          `authfail:${event.requestContext.http.sourceIp}`,
          FAILED_AUTH_LIMIT,
          'failed-auth',
        );
      throw error;
    }
    if (!hasScope(caller, route.scope)) {
      throw new ForbiddenError(`this key lacks the scope ${route.scope}`);
    }
    const keyLimit = rateLimitOf(event);
    await take(limiter, caller.keyId, keyLimit, 'key');
    // A tenant's keys share one budget as well: more keys are not more capacity.
    await take(limiter, `tenant:${caller.tenantId}`, deps.tenantRateLimit ?? TENANT_RATE_LIMIT, 'tenant');
  } else if (route.operationId === 'receiveWebhook' && params.flowId !== undefined) {
    await take(limiter, `hook:${params.flowId}`, WEBHOOK_RATE_LIMIT, 'webhook');
  }

  const rawBody = bodyText(event.body, event.isBase64Encoded);
  const headers = lowerCaseHeaders(event.headers);
  if (route.body !== undefined && route.body.mode !== 'raw' && rawBody.trim() !== '')
    requireJsonContentType(headers['content-type']);
  let body: unknown;
  if (route.body?.mode === 'zod')
    body = parseWith(route.body.schema, parseJsonBody(rawBody) ?? {}, '', 'request body');
  else if (route.body?.mode === 'json') body = parseJsonBody(rawBody);
  const query = route.query
    ? parseWith(route.query, event.queryStringParameters ?? {}, '/query', 'query string')
    : undefined;

  const request: RouteRequest = {
    deps,
    params,
    query,
    body,
    rawBody,
    headers,
    caller,
    requestId: requestIdOf(event),
    sourceIp: event.requestContext.http.sourceIp,
  };
  const response = await route.handle(request);
  if (response.stream) {
    const headers = { ...response.headers };
    if (method === 'HEAD') return { statusCode: response.status, headers };
    if (deps.responseStreaming === true)
      return { statusCode: response.status, headers, stream: response.stream };
    let body = '';
    for await (const chunk of response.stream) body += chunk;
    return { statusCode: response.status, headers, body };
  }
  if (response.binary) {
    const body = Buffer.from(response.binary);
    const headers = { ...response.headers, 'content-length': String(body.byteLength) };
    if (method === 'HEAD') return { statusCode: response.status, headers };
    return { statusCode: response.status, headers, body: body.toString('base64'), isBase64Encoded: true };
  }
  const result = jsonResult(response.status, response.body, response.headers);
  // HEAD is the GET route's answer without its body (the length says what GET would send).
  if (method === 'HEAD' && result.body !== undefined) {
    const { body: dropped, ...rest } = result;
    return { ...rest, headers: { ...rest.headers, 'content-length': String(Buffer.byteLength(dropped)) } };
  }
  return result;
}

/** `application/json` or any `application/*+json`, parameters allowed (`; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.!#$&^_-]+\+)?json\s*(?:;.*)?$/i;

/** A request body that is not declared as JSON answers 415 (DESIGN.md §3), whatever it holds. */
const requireJsonContentType = (contentType: string | undefined): void => {
  if (contentType !== undefined && JSON_MEDIA_TYPE.test(contentType.trim())) return;
  throw new HttpProblem(
    415,
    'Unsupported media type',
    contentType === undefined
      ? 'the request body needs Content-Type: application/json'
      : `the request body must be application/json, not ${JSON.stringify(contentType.slice(0, 100))}`,
    { headers: { 'accept-post': 'application/json' } },
  );
};

/** The API handler as the local server calls it (event, Lambda context) → result. */
export type ApiHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/**
 * The API Lambda handler for every route: middy with the request-id header and the one
 * problem+json error handler around `dispatch`. `getDeps` is called per request (cache inside it);
 * `extraMiddlewares` run outermost (the Lambda adds Powertools' logger context).
 */
export const createApiHandler = (
  getDeps: () => Deps | Promise<Deps>,
  log: ServiceLogger,
  extraMiddlewares: MiddlewareObj<ApiEvent, ApiResult>[] = [],
): ApiHandler =>
  middy<ApiEvent, ApiResult>()
    .use(extraMiddlewares)
    .use(requestIdHeader())
    .use(problemResponses(log))
    .handler((event) => dispatch(getDeps, event));
