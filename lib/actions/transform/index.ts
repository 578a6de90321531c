import jsonata from 'jsonata';
import { type ActionDefinition, ActionError } from '../action.ts';
import { type TransformConfig, type TransformOutput, transformConfigSchema } from './schema.ts';

export type { TransformConfig, TransformOutput } from './schema.ts';

/** The expression does not parse, or it failed while evaluating. Not retryable. */
export class TransformError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransformError';
  }
}

/** The expression ran longer than `timeoutMs` (or recursed too deep). Not retryable. */
export class TransformTimeoutError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransformTimeout';
  }
}

/** The result is larger than `maxResultBytes` as JSON. Not retryable. */
export class TransformResultTooLargeError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransformResultTooLarge';
  }
}

/** The expression used more than its worker's memory (locally: a 100 MB `$pad`). Not retryable. */
export class TransformMemoryLimitError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransformMemoryLimit';
  }
}

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

// jsonata 2.x guardrails: `timeout` (ms, checked on every evaluation step), `stack` (depth) and
// `sequence` (max sequence length). Its d.ts does not declare them yet.
type GuardedOptions = { timeout?: number; stack?: number; sequence?: number };
const compile = jsonata as unknown as (expression: string, options?: GuardedOptions) => jsonata.Expression;

const MAX_DEPTH = 500;
const MAX_SEQUENCE = 1_000_000;

/** What one evaluation needs (it crosses into a worker thread as is). */
export interface TransformTask {
  expression: string;
  data: unknown;
  timeoutMs: number;
  maxResultBytes: number;
}

/** Parses a JSONata expression; a syntax error throws `TransformError` naming the position. */
export function parseTransformExpression(expression: string, timeoutMs = 1000): jsonata.Expression {
  try {
    return compile(expression, { timeout: timeoutMs, stack: MAX_DEPTH, sequence: MAX_SEQUENCE });
  } catch (error) {
    throw new TransformError(`expression does not parse: ${describeFailure(error)}`, {
      cause: describeFailure(error),
    });
  }
}

/**
 * Evaluates one transform in the calling thread, with JSONata's own guardrails (time checked between
 * evaluation steps, depth, sequence length) and the result size. It cannot interrupt a single slow
 * step (a catastrophic regex, a huge `$pad`): runners that must stay responsive run it in a worker
 * (`lib/local/worker-pool.ts`), which terminates it.
 */
export async function evaluateTransform(task: TransformTask): Promise<TransformOutput> {
  const expression = parseTransformExpression(task.expression, task.timeoutMs);
  let result: unknown;
  try {
    // A fresh plain copy: the expression sees JSON data only, never live objects of the runtime.
    const data = JSON.parse(JSON.stringify(task.data ?? {})) as unknown;
    result = await expression.evaluate(data);
  } catch (error) {
    const code = (error as JsonataFailure).code;
    if (code === 'D1012' || code === 'D1011' || code === 'U1001')
      throw new TransformTimeoutError(
        code === 'D1011'
          ? `expression recursed deeper than ${MAX_DEPTH} levels`
          : `expression ran longer than ${task.timeoutMs} ms`,
        { cause: describeFailure(error) },
      );
    if (error instanceof RangeError)
      throw new TransformTimeoutError('expression exhausted the stack', { cause: error.message });
    throw new TransformError(`expression failed: ${describeFailure(error)}`, {
      cause: describeFailure(error),
    });
  }
  let json: string;
  try {
    json = JSON.stringify(result ?? null, (_key, value) => (typeof value === 'function' ? undefined : value));
  } catch (error) {
    throw new TransformError('result is not JSON', { cause: (error as Error).message });
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > task.maxResultBytes) throw resultTooLarge(bytes, task.maxResultBytes);
  // Parsed back: the output is plain JSON (no jsonata sequences, functions or null prototypes).
  return JSON.parse(json) as TransformOutput;
}

const resultTooLarge = (bytes: number, max: number) =>
  new TransformResultTooLargeError(`result is ${bytes} bytes as JSON, over maxResultBytes (${max})`, {
    cause: `${bytes} > ${max}`,
  });

/** How a transform is evaluated: in this thread (the default) or by a worker pool. */
export type TransformEvaluator = (task: TransformTask, signal?: AbortSignal) => Promise<TransformOutput>;

/**
 * The `transform` action: evaluates the JSONata expression over `config.data` (the run's
 * `{ input, nodes, execution }`). JSONata is an interpreter over plain data: no `eval`, no
 * `Function`, no `vm`, and it does not follow prototype properties, so `constructor` chains lead
 * nowhere. Time and result size are limited; `evaluate` decides where it runs.
 */
export function createTransformAction(
  options: { evaluate?: TransformEvaluator } = {},
): ActionDefinition<TransformConfig, TransformOutput> {
  const evaluate = options.evaluate ?? ((task) => evaluateTransform(task));
  return {
    kind: 'transform',
    configSchema: transformConfigSchema,
    run: (config, context) =>
      evaluate(
        {
          expression: config.expression,
          data: config.data ?? {},
          timeoutMs: config.timeoutMs,
          maxResultBytes: config.maxResultBytes,
        },
        context.signal,
      ),
  };
}

/** The transform action evaluating in the calling thread (the Lambda: one invocation per sandbox). */
export const transformAction = createTransformAction();

/** Turns a worker's refusal back into the transform's own errors (names are the contract). */
export function transformErrorOf(error: unknown, task: TransformTask): unknown {
  if (!(error instanceof Error)) return error;
  switch (error.name) {
    case 'WorkerTimeout':
      return new TransformTimeoutError(`expression ran longer than ${task.timeoutMs} ms`, {
        cause: error.message,
      });
    case 'WorkerMemoryLimit':
      return new TransformMemoryLimitError(`expression used too much memory: ${error.message}`, {
        cause: error.message,
      });
    case 'WorkerOutputTooLarge':
      return resultTooLarge((error as Error & { bytes: number }).bytes, task.maxResultBytes);
    case 'TransformError':
      return new TransformError(error.message, { cause: error.message });
    case 'TransformTimeout':
      return new TransformTimeoutError(error.message, { cause: error.message });
    case 'TransformResultTooLarge':
      return new TransformResultTooLargeError(error.message, { cause: error.message });
    default:
      return error;
  }
}

function describeFailure(error: unknown): string {
  const failure = error as JsonataFailure;
  const where = failure.position !== undefined ? ` at ${failure.position}` : '';
  return `${failure.code ? `${failure.code}: ` : ''}${failure.message ?? String(error)}${where}`;
}
