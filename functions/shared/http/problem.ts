import {
  ConflictError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  PreconditionFailedError,
  PreconditionRequiredError,
  RequestTooLargeError,
  RequestValidationError,
  ResourceNotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableError,
} from '../../../lib/service/errors.ts';
import { HttpProblem } from './http-problem.ts';

/** An RFC 9457 problem details body, plus the request id and, for validation errors, each field. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: Array<{ path: string; message: string }>;
}

/** A problem with its HTTP status and the extra headers it needs (`Retry-After`, `Allow`). */
export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
}

const TYPE_BASE = 'https://flowforge.dev/problems/';

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable content'],
  428: ['precondition-required', 'Precondition required'],
  429: ['too-many-requests', 'Too many requests'],
  500: ['internal', 'Internal server error'],
  503: ['unavailable', 'Service unavailable'],
};

/**
 * Errors of other areas (store, runtime, compiler, webhook verification) recognised by their stable
 * `name`, so the HTTP layer needs no import of every adapter: name → status.
 */
const STATUS_BY_NAME: Record<string, number> = {
  // lib/store/errors.ts
  NotFoundError: 404,
  VersionConflictError: 409,
  AlreadyExistsError: 409,
  InvalidCursorError: 400,
  ItemTooLargeError: 413,
  // lib/service/errors.ts (an execution input over Step Functions' 256 KiB)
  RequestTooLarge: 413,
  StoreUnavailableError: 503,
  // lib/security/tenant-secrets.ts
  SecretNotFound: 404,
  // lib/runtime/state-machines.ts
  ExecutionNotFound: 404,
  ExecutionConflict: 409,
  InvalidDefinition: 422,
  // lib/waits
  CallbackNotFound: 404,
  CallbackUsed: 409,
  // lib/compiler/types.ts
  CompileError: 422,
  // lib/triggers/errors.ts
  WebhookAuthError: 401,
  TriggerNotFoundError: 404,
  InvalidTriggerEventError: 400,
  TriggerRegistrationError: 422,
};

const statusOf = (error: unknown): number => {
  if (error instanceof HttpProblem) return error.status;
  if (error instanceof RequestValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof ResourceNotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof PreconditionFailedError) return 412;
  if (error instanceof IdempotencyKeyReusedError) return 422;
  if (error instanceof UnprocessableError) return 422;
  if (error instanceof PreconditionRequiredError) return 428;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof Error) return STATUS_BY_NAME[error.name] ?? 500;
  return 500;
};

/**
 * Turns any thrown value into a problem. Client errors (4xx) carry their message as `detail`;
 * anything else answers 500 with "internal error" and nothing of the error itself (no message,
 * no stack, no names), so internals never leak.
 */
export const toProblem = (error: unknown, context: { requestId: string; instance: string }): Problem => {
  const status = statusOf(error);
  const [slug, title] = TITLES[status] ?? ['error', 'Error'];
  const headers: Record<string, string> = {};
  const body: ProblemBody = {
    type: `${TYPE_BASE}${slug}`,
    title: error instanceof HttpProblem ? error.title : title,
    status,
    detail: status >= 500 ? 'internal error' : safeDetail(error),
    instance: context.instance,
    requestId: context.requestId,
  };
  if (
    error instanceof RequestValidationError ||
    error instanceof UnprocessableError ||
    error instanceof RequestTooLargeError
  ) {
    if (error.errors.length > 0) body.errors = error.errors;
  }
  const issues = (error as { issues?: unknown }).issues;
  if (status < 500 && Array.isArray(issues) && issues.length > 0 && body.errors === undefined) {
    body.errors = issues.filter(isFieldError);
  }
  if (status === 503) {
    body.detail = 'the service is temporarily unavailable';
    headers['retry-after'] = '1';
  }
  if (error instanceof HttpProblem) {
    if (error.extras.errors) body.errors = error.extras.errors;
    Object.assign(headers, error.extras.headers);
  }
  if (error instanceof TooManyRequestsError) {
    const reset = Math.max(1, Math.ceil(error.retryAfterSeconds));
    headers['retry-after'] = String(reset);
    // IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): which policy, and that
    // nothing is left until `reset` seconds from now.
    const policy = error.policy;
    const name = policy?.name ?? 'default';
    if (policy && policy.capacity > 0 && policy.refillPerSecond > 0) {
      const window = Math.max(1, Math.ceil(policy.capacity / policy.refillPerSecond));
      headers['ratelimit-policy'] = `"${name}";q=${policy.capacity};w=${window}`;
    }
    headers.ratelimit = `"${name}";r=0;t=${reset}`;
  }
  return { status, headers, body };
};

const isFieldError = (value: unknown): value is { path: string; message: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { path?: unknown }).path === 'string' &&
  typeof (value as { message?: unknown }).message === 'string';

/** A client error's message, cut to a sane length and without anything that looks like a file path. */
const safeDetail = (error: unknown): string => {
  const message = error instanceof Error ? error.message : 'request refused';
  const firstLine = (message.split('\n')[0] ?? '').slice(0, 500);
  return firstLine.replace(/(?:file:\/\/)?(?:\/[\w.@-]+){2,}\.[cm]?[jt]s(?::\d+)*/g, '<internal>');
};
