import type { MiddlewareObj } from '@middy/core';
import type { ServiceLogger } from '../../../lib/service/deps.ts';
import { type ApiEvent, type ApiResult, jsonResult } from './api-event.ts';
import { toProblem } from './problem.ts';

/** The request id of an event: API Gateway's `requestContext.requestId`. */
export const requestIdOf = (event: ApiEvent): string => event.requestContext?.requestId ?? 'unknown';

/** Adds `x-request-id` (API Gateway's request id) to every response, errors included. */
export const requestIdHeader = (): MiddlewareObj<ApiEvent, ApiResult> => {
  const add = (request: { event: ApiEvent; response: ApiResult | null }) => {
    if (request.response) {
      request.response.headers = { ...request.response.headers, 'x-request-id': requestIdOf(request.event) };
    }
  };
  return { name: 'request-id-header', after: add, onError: add };
};

/**
 * The one error handler: every thrown error becomes an `application/problem+json` response
 * (RFC 9457). 5xx bodies say only "internal error" and the request id; the error is logged.
 */
export const problemResponses = (log: ServiceLogger): MiddlewareObj<ApiEvent, ApiResult> => ({
  name: 'problem-responses',
  onError: (request) => {
    const requestId = requestIdOf(request.event);
    const instance = request.event.rawPath ?? '/';
    const problem = toProblem(request.error, { requestId, instance });
    if (problem.status >= 500) {
      const error = request.error;
      log.error('request failed', {
        requestId,
        path: instance,
        error:
          error instanceof Error
            ? { name: error.name, message: error.message, stack: error.stack }
            : String(error),
      });
    }
    request.response = jsonResult(
      problem.status,
      problem.body,
      { ...problem.headers, 'x-request-id': requestId },
      'application/problem+json',
    );
  },
});
