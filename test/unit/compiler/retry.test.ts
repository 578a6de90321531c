import { describe, expect, it } from 'vitest';
import * as httpErrors from '../../../lib/actions/http/errors.ts';
import {
  DEFAULT_RETRY_ON,
  LAMBDA_TRANSIENT_ERRORS,
  lambdaRetrier,
  retryDelays,
  retryLoopStates,
} from '../../../lib/compiler/retry.ts';
import { retrySchema } from '../../../lib/workflow/definition-schema.ts';

const policy = (input: Record<string, unknown>) => retrySchema.parse(input);

describe('retry delays', () => {
  it('names exactly the delays of each strategy, capped at maxDelaySeconds', () => {
    expect(retryDelays(policy({ strategy: 'fixed', maxAttempts: 4, delaySeconds: 3 }))).toEqual([3, 3, 3]);
    expect(
      retryDelays(policy({ strategy: 'exponential', maxAttempts: 6, delaySeconds: 2, maxDelaySeconds: 20 })),
    ).toEqual([2, 4, 8, 16, 20]);
    expect(retryDelays(policy({ strategy: 'linear', maxAttempts: 5, delaySeconds: 5 }))).toEqual([
      5, 10, 15, 20,
    ]);
    expect(retryDelays(policy({ strategy: 'fibonacci', maxAttempts: 7, delaySeconds: 1 }))).toEqual([
      1, 1, 2, 3, 5, 8,
    ]);
    expect(retryDelays(policy({ strategy: 'linear', maxAttempts: 3, delaySeconds: 0.5 }))).toEqual([1, 1]);
    expect(retryDelays(policy({ strategy: 'fixed', maxAttempts: 1 }))).toEqual([]);
  });

  it('compiles a loop: Choice on the attempt, Pass for the next attempt and delay, Wait', () => {
    const states = retryLoopStates(
      'n',
      policy({ strategy: 'linear', maxAttempts: 3, delaySeconds: 2 }),
      true,
    );
    expect(Object.keys(states)).toEqual(['n:retry', 'n:retry-next', 'n:retry-wait', 'n:fatal']);
    expect(states['n:retry']).toMatchObject({
      Default: 'n:fatal',
      Choices: [{ NumericLessThan: 3, Next: 'n:retry-next' }],
    });
    expect(states['n:retry-next']?.Parameters).toEqual({
      'a.$': 'States.MathAdd($.attempt.n.a, 1)',
      'd.$': 'States.ArrayGetItem(States.Array(0, 2, 4), $.attempt.n.a)',
    });
    expect(states['n:retry-wait']).toEqual({ Type: 'Wait', SecondsPath: '$.attempt.n.d', Next: 'n' });
    const fixed = retryLoopStates('n', policy({ strategy: 'fixed', maxAttempts: 3, delaySeconds: 4 }), false);
    expect(fixed['n:retry-wait']).toEqual({ Type: 'Wait', Seconds: 4, Next: 'n' });
    expect(fixed['n:fatal']).toBeUndefined();
  });

  it('retries transient errors by default, including the Lambda service ones', () => {
    for (const error of ['States.Timeout', 'Http5xx', 'Http429', 'HttpTimeout', ...LAMBDA_TRANSIENT_ERRORS]) {
      expect(DEFAULT_RETRY_ON).toContain(error);
    }
  });
});

describe('default retryOn', () => {
  it("names the http action's own transient errors (one source: lib/actions/http/errors.ts), Sandbox.Timedout and the Lambda service errors", () => {
    type ErrorClass = new (message: string) => Error & { retryable?: boolean };
    const retryable = (Object.values(httpErrors) as unknown[])
      .filter((value): value is ErrorClass => typeof value === 'function')
      .map((Class) => new Class('x'))
      .filter((error) => error.retryable === true)
      .map((error) => error.name);
    expect([...httpErrors.HTTP_TRANSIENT_ERRORS].sort()).toEqual(retryable.sort());
    expect(DEFAULT_RETRY_ON).toContain('HttpNetworkError');
    expect(DEFAULT_RETRY_ON).not.toContain('NetworkError');
    for (const name of ['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout', ...LAMBDA_TRANSIENT_ERRORS])
      expect(DEFAULT_RETRY_ON).toContain(name);
  });
});

describe('the native Lambda retrier', () => {
  it("retries exactly AWS's documented Lambda service exceptions, with the Retrier defaults and no jitter", () => {
    // docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    expect(lambdaRetrier()).toEqual({
      ErrorEquals: [
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
      ],
    });
    // Throttling is left to the node's own retry policy, which retries it by default.
    expect(DEFAULT_RETRY_ON).toContain('Lambda.TooManyRequestsException');
  });
});
