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

/**
 * The `transform` action: evaluates the JSONata expression over `config.data` (the run's
 * `{ input, nodes, execution }`). JSONata is an interpreter over plain data: no `eval`, no
 * `Function`, no `vm`, and it does not follow prototype properties, so `constructor` chains lead
 * nowhere. Time and result size are limited.
 */
export const transformAction: ActionDefinition<TransformConfig, TransformOutput> = {
  kind: 'transform',
  configSchema: transformConfigSchema,
  async run(config) {
    let expression: jsonata.Expression;
    try {
      expression = compile(config.expression, {
        timeout: config.timeoutMs,
        stack: MAX_DEPTH,
        sequence: MAX_SEQUENCE,
      });
    } catch (error) {
      throw new TransformError(`expression does not parse: ${describeFailure(error)}`, {
        cause: describeFailure(error),
      });
    }
    let result: unknown;
    try {
      // A fresh plain copy: the expression sees JSON data only, never live objects of the runtime.
      const data = JSON.parse(JSON.stringify(config.data ?? {})) as unknown;
      result = await expression.evaluate(data);
    } catch (error) {
      const code = (error as JsonataFailure).code;
      if (code === 'D1012' || code === 'D1011' || code === 'U1001')
        throw new TransformTimeoutError(
          code === 'D1011'
            ? `expression recursed deeper than ${MAX_DEPTH} levels`
            : `expression ran longer than ${config.timeoutMs} ms`,
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
      json = JSON.stringify(result ?? null, (_key, value) =>
        typeof value === 'function' ? undefined : value,
      );
    } catch (error) {
      throw new TransformError('result is not JSON', { cause: (error as Error).message });
    }
    const bytes = Buffer.byteLength(json);
    if (bytes > config.maxResultBytes)
      throw new TransformResultTooLargeError(
        `result is ${bytes} bytes as JSON, over maxResultBytes (${config.maxResultBytes})`,
        { cause: `${bytes} > ${config.maxResultBytes}` },
      );
    // Parsed back: the output is plain JSON (no jsonata sequences, functions or null prototypes).
    return JSON.parse(json) as TransformOutput;
  },
};

function describeFailure(error: unknown): string {
  const failure = error as JsonataFailure;
  const where = failure.position !== undefined ? ` at ${failure.position}` : '';
  return `${failure.code ? `${failure.code}: ` : ''}${failure.message ?? String(error)}${where}`;
}
