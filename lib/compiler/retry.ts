import { AI_TRANSIENT_ERRORS } from '../actions/ai/schema.ts';
import { HTTP_TRANSIENT_ERRORS } from '../actions/http/errors.ts';
import type { RetryPolicy } from '../workflow/definition-schema.ts';
import type { AslState } from './state-graph.ts';
import { attemptPath, FAILED_PATH, nodePath, stateName } from './state-names.ts';

/**
 * Errors of the Lambda service itself (the function did not run, or its answer was lost): exactly
 * the list of AWS's best practice "Handle Lambda service exceptions"
 * (step-functions/latest/dg/bp-lambda-serviceexception.html). Every Task retries them natively
 * with the Retrier defaults (3 retries, 1 s, backoff 2; no JitterStrategy: the page's retrier has
 * none, and every Task carries these bytes). They do not count as node attempts.
 * `Lambda.Unknown` (out of memory, function timeout) is not among them: the action may have run,
 * so only the node's own policy retries it. Throttling (`Lambda.TooManyRequestsException`) is not
 * in AWS's list either: the node's policy retries it (see DEFAULT_RETRY_ON).
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
] as const;

/**
 * What a retry policy retries when it names no `retryOn`: failures that are worth trying again
 * without changing anything — the Task's own timeout, the transient errors each action declares
 * itself (lib/actions: the http action's 5xx, 429, timeout and network errors, the ai action's
 * throttling), the Lambda errors above once their native retries are spent, `Lambda.Unknown` (a
 * crashed or timed-out action function), `Sandbox.Timedout` (how Lambda may report a function
 * that ran out of time: docs.aws.amazon.com/lambda/latest/dg/services-stepfunctions.html) and
 * Lambda's throttling, `Lambda.TooManyRequestsException`.
 */
export const DEFAULT_RETRY_ON = [
  'States.Timeout',
  ...HTTP_TRANSIENT_ERRORS,
  ...AI_TRANSIENT_ERRORS,
  'Lambda.Unknown',
  'Sandbox.Timedout',
  ...LAMBDA_TRANSIENT_ERRORS,
  'Lambda.TooManyRequestsException',
] as const;

/** The native retrier every Task gets (defaults IntervalSeconds 1, MaxAttempts 3, BackoffRate 2). */
export function lambdaRetrier(): AslState {
  return { ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS] };
}

/**
 * The delay before retry k (k = 1 … maxAttempts-1), in whole seconds, capped at maxDelaySeconds:
 * fixed d; exponential d·2^(k-1); linear d·k; fibonacci d·fib(k) with fib = 1, 1, 2, 3, 5, …
 * Fractional results round up (Wait takes whole seconds).
 */
export function retryDelays(policy: RetryPolicy): number[] {
  const base = policy.delaySeconds;
  const cap = policy.maxDelaySeconds ?? Number.POSITIVE_INFINITY;
  const delays: number[] = [];
  let fibPrevious = 0;
  let fibCurrent = 1;
  for (let k = 1; k < policy.maxAttempts; k++) {
    let raw: number;
    switch (policy.strategy) {
      case 'fixed':
        raw = base;
        break;
      case 'exponential':
        raw = base * 2 ** (k - 1);
        break;
      case 'linear':
        raw = base * k;
        break;
      case 'fibonacci':
        raw = base * fibCurrent;
        [fibPrevious, fibCurrent] = [fibCurrent, fibPrevious + fibCurrent];
        break;
    }
    delays.push(Math.ceil(Math.min(raw, cap) - 1e-9));
  }
  return delays;
}

/** True when a node's policy needs the compiled retry loop (more than one attempt). */
export function hasRetryLoop(policy: RetryPolicy | undefined): policy is RetryPolicy {
  return policy !== undefined && policy.maxAttempts > 1;
}

/**
 * The retry loop of node `id` (exact delays, exact `attempt` numbers in the Payload):
 * the Task catches `retryOn` into `$.nodes.<id>` and goes to `<id>:retry` (Choice: attempt <
 * maxAttempts?) → `<id>:retry-next` (Pass: `$.attempt.<id>` = { a: attempt+1, d: delay }) →
 * `<id>:retry-wait` (Wait) → `<id>`. When attempts are spent the error goes to `<id>:failed`
 * (through `<id>:fatal` for onError: fail, which copies it to `$.run.failed`).
 * Why not native Retry: `attempt` must be exact and `$$.State.RetryCount` does not exist in
 * aws-local-stepfunctions (the same ASL must run there); the loop also makes each wait a
 * state of its own, visible in the event log.
 */
export function retryLoopStates(id: string, policy: RetryPolicy, fatal: boolean): Record<string, AslState> {
  const delays = retryDelays(policy);
  const counter = attemptPath(id, 'a');
  const constant = delays.every((d) => d === delays[0]);
  const next: AslState = { 'a.$': `States.MathAdd(${counter}, 1)` };
  let wait: AslState;
  if (policy.jitter && delays.some((d) => d > 0)) {
    // Full jitter: a whole number of seconds in [0, delay]. The bound is the delay itself, which
    // stays inside [0, delay] whether MathRandom's end is inclusive (aws-local-stepfunctions) or not.
    const end = constant
      ? String(delays[0])
      : `States.ArrayGetItem(States.Array(0, ${delays.join(', ')}), ${counter})`;
    next['d.$'] = `States.MathRandom(0, ${end})`;
    wait = { SecondsPath: attemptPath(id, 'd') };
  } else if (constant) {
    wait = { Seconds: delays[0] };
  } else {
    next['d.$'] = `States.ArrayGetItem(States.Array(0, ${delays.join(', ')}), ${counter})`;
    wait = { SecondsPath: attemptPath(id, 'd') };
  }
  const states: Record<string, AslState> = {
    [stateName.retry(id)]: {
      Type: 'Choice',
      Choices: [{ Variable: counter, NumericLessThan: policy.maxAttempts, Next: stateName.retryNext(id) }],
      Default: fatal ? stateName.fatal(id) : stateName.failed(id),
    },
    [stateName.retryNext(id)]: {
      Type: 'Pass',
      Parameters: next,
      ResultPath: attemptPath(id),
      Next: stateName.retryWait(id),
    },
    [stateName.retryWait(id)]: { Type: 'Wait', ...wait, Next: id },
  };
  if (fatal) {
    states[stateName.fatal(id)] = {
      Type: 'Pass',
      Parameters: { 'Error.$': nodePath(id, 'Error'), 'Cause.$': nodePath(id, 'Cause') },
      ResultPath: FAILED_PATH,
      Next: stateName.failed(id),
    };
  }
  return states;
}

/** Worst-case seconds a node's retries wait in total. */
export function totalRetryDelay(policy: RetryPolicy | undefined): number {
  return hasRetryLoop(policy) ? retryDelays(policy).reduce((a, b) => a + b, 0) : 0;
}
