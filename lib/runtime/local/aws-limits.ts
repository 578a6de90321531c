import { RuntimeError } from '../state-machines.ts';

/**
 * The Step Functions quotas the local runtime enforces as AWS does (docs/aws-parity.md, section
 * "Compiler and local runtime limits", names the documentation of each).
 */

/** The most a state's input or output, an execution's input or a Task's result may hold: 256 KiB of UTF-8 JSON. */
export const MAX_STATE_BYTES = 256 * 1024;
/** The most events one Standard execution's history holds; the last one must end the execution. */
export const MAX_HISTORY_EVENTS = 25_000;
/** The longest an Express execution runs. */
export const EXPRESS_MAX_SECONDS = 300;
/** The most iterations an Inline Map runs at once, whatever its `MaxConcurrency` says. */
export const INLINE_MAP_MAX_CONCURRENCY = 40;
/** The longest name of a state, a state machine or an execution. */
export const MAX_NAME_LENGTH = 80;

/**
 * What StartExecution and CreateStateMachine refuse in a name (besides length 1–80): white space,
 * brackets `< > { } [ ]`, wildcards `? *`, the specials `" # % \ ^ | ~ \` $ & , ; : /`, control
 * characters (U+0000–001F, U+007F–009F), U+FFFE–FFFF, and lone surrogates.
 */
const FORBIDDEN_NAME_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/**
 * A request Step Functions refuses for a field that breaks its length constraint (the AWS JSON
 * protocol's `ValidationException`, e.g. "Value at 'input' failed to satisfy constraint: Member
 * must have length less than or equal to 262144").
 */
export class ValidationExceptionError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

/** StartExecution's / CreateStateMachine's `InvalidName`: a name with a character Step Functions refuses. */
export class InvalidNameError extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidName';
  }
}

/**
 * Checks a state machine or execution name as CreateStateMachine / StartExecution do: 1–80
 * characters (else {@link ValidationExceptionError}) and none of the forbidden ones (else
 * {@link InvalidNameError}), naming the character and its position.
 */
export function checkName(kind: 'state machine' | 'execution', name: string): void {
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw new ValidationExceptionError(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length ${length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_NAME_LENGTH}`} (the ${kind} name has ${length} characters)`,
    );
  }
  const match = FORBIDDEN_NAME_CHARACTER.exec(name);
  if (match) {
    throw new InvalidNameError(
      `Invalid Name: '${name}': the ${kind} name may not contain ${JSON.stringify(match[0])} (at index ${match.index})`,
    );
  }
}

/**
 * Checks an execution input as StartExecution does: at most {@link MAX_STATE_BYTES} bytes of
 * UTF-8 JSON, else {@link ValidationExceptionError} with the size. Answers the size.
 */
export function checkExecutionInput(input: unknown): number {
  const bytes = jsonBytes(input);
  if (bytes > MAX_STATE_BYTES) {
    throw new ValidationExceptionError(
      `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_STATE_BYTES} (the execution input is ${bytes} bytes)`,
    );
  }
  return bytes;
}

/** The UTF-8 size of a value's JSON text (`null` for `undefined`, as the interpreter passes it on). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null');
}

/**
 * The UTF-8 size of a value's JSON text when it is over {@link MAX_STATE_BYTES}, else `undefined`.
 * One `JSON.stringify`; the text is encoded only when its UTF-16 length leaves the answer open
 * (each UTF-16 unit is 1–3 UTF-8 bytes, a surrogate pair 4 for 2 units).
 */
export function bytesOverStateLimit(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'string' || value.length * 6 + 2 <= MAX_STATE_BYTES) return undefined;
  }
  const text = JSON.stringify(value) ?? 'null';
  if (text.length * 3 <= MAX_STATE_BYTES) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > MAX_STATE_BYTES ? bytes : undefined;
}

/**
 * Step Functions' errors that end an execution outright: no Retry matches them and no Catch
 * handles them (the interpreter reads `isRetryable` / `isCatchable`). `message` is the Cause.
 */
export class UncatchableStatesError extends Error {
  readonly isCatchable = false;
  readonly isRetryable = false;
  constructor(name: 'States.DataLimitExceeded' | 'States.Runtime', message: string) {
    super(message);
    this.name = name;
  }
}

/** The `States.DataLimitExceeded` of a state whose input or output is over 256 KiB. */
export function dataLimitExceeded(
  what: 'input' | 'output' | 'result',
  stateName: string,
  bytes: number,
): UncatchableStatesError {
  const which = what === 'input' ? 'has an input' : 'returned a result';
  return new UncatchableStatesError(
    'States.DataLimitExceeded',
    `The state/task '${stateName}' ${which} with a size exceeding the maximum number of bytes service limit: its ${what} is ${bytes} bytes, over the ${MAX_STATE_BYTES} bytes a state may carry`,
  );
}

/** The `States.Runtime` of an execution whose history would pass {@link MAX_HISTORY_EVENTS}. */
export function historyLimitExceeded(stateName: string, events: number): UncatchableStatesError {
  return new UncatchableStatesError(
    'States.Runtime',
    `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}): state '${stateName}' would add event ${events}`,
  );
}
