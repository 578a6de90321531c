import variant from '@jitl/quickjs-singlefile-mjs-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { syntaxProblem } from './check-syntax.ts';
import { CodeError, type CodeLocation, CodeMemoryLimitError, CodeTimeoutError } from './errors.ts';

/** Most `console` lines kept per invocation; the rest are counted in one last line. */
export const MAX_LOG_LINES = 100;
/** Longest kept `console` line (characters); longer ones are cut and marked. */
export const MAX_LOG_LINE_LENGTH = 2000;
/** QuickJS's own stack limit: deep recursion fails inside the sandbox, well before the host's stack. */
const MAX_STACK_BYTES = 256 * 1024;
/** Time the host allows itself to read a failure's name and message once the code's time is up. */
const REPORT_GRACE_MS = 100;
/** Lines QuickJS's `AsyncFunction` constructor puts before the body (`(async function anonymous(args\n) {\n`). */
const BODY_LINE_OFFSET = 2;

/** One invocation of {@link runInSandbox}. */
export interface SandboxRun {
  /** The body of an async function of `args`. */
  source: string;
  /** JSON data, given to the function as `args` (a fresh copy inside the sandbox). */
  args: unknown;
  timeoutMs: number;
  memoryMb: number;
}

/** The return value (JSON, `null` for none) and the `console` lines of one invocation. */
export interface SandboxResult {
  output: unknown;
  logs: string[];
}

let module: Promise<QuickJSWASMModule> | undefined;

/**
 * Loads the QuickJS WebAssembly module once per process (~250 ms: the wasm is embedded in the bundle,
 * so a Lambda needs no extra file). Every invocation gets its own runtime and context in it.
 */
export function loadSandbox(): Promise<QuickJSWASMModule> {
  module ??= newQuickJSWASMModuleFromVariant(variant).catch((error: unknown) => {
    module = undefined;
    throw error;
  });
  return module;
}

/**
 * Runs `source` in a fresh QuickJS runtime and context (a separate engine compiled to WebAssembly:
 * no `process`, `require`, network, file system, timers or host objects; `Date.now()` is the only
 * clock) with `args` in scope, and returns its JSON result and `console` lines.
 *
 * - Past `timeoutMs` (an interrupt handler checks the deadline while the code runs) →
 *   `CodeTimeout`; a returned promise that is still pending once no job is left can never settle
 *   (the sandbox has no timers or I/O) → `CodeTimeout` at once.
 * - Past `memoryMb` (the runtime's allocation limit) → `CodeMemoryLimit`.
 * - A thrown exception, a syntax error, or a result that is not JSON (a function, a cycle,
 *   `undefined` below the top, a non-finite number, a Map…) → `CodeError` naming the line or the
 *   place in the result. A result object with a `__proto__` key is refused too: the host parses
 *   the result from text, so no prototype of the host is ever touched, and later merges stay safe.
 *
 * The host never calls into objects of the sandbox: the result crosses as one JSON string, console
 * lines as strings. A failure of the WebAssembly module itself (e.g. the host's stack) discards the
 * module; the next invocation loads a fresh one.
 */
export async function runInSandbox(run: SandboxRun): Promise<SandboxResult> {
  const quickjs = await loadSandbox();
  const argsJson = JSON.stringify(run.args ?? {});
  const logs = new ConsoleLines();
  let deadline = Date.now() + run.timeoutMs;
  let interrupted = false;
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  try {
    runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(run.memoryMb * 1024 * 1024);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(() => {
      if (Date.now() <= deadline) return false;
      interrupted = true;
      return true;
    });
    context = runtime.newContext();
    const outcome = evaluate(context, runtime, run.source, argsJson, logs);
    if (outcome.ok) return { output: parseResult(outcome.json), logs: logs.lines() };
    if (outcome.pending)
      throw new CodeTimeoutError(
        'the promise the code returned never settles (the sandbox has no timers or I/O to settle it)',
        { cause: { message: 'promise never settles' } },
      );
    deadline = Date.now() + REPORT_GRACE_MS;
    const failure = describe(context, outcome.error);
    outcome.error.dispose();
    if (failure.name === 'SyntaxError') {
      // QuickJS's compile errors carry no line; the save-time parser says where.
      const problem = syntaxProblem(run.source);
      if (problem) throw new CodeError(problem, { cause: { ...failure, ...syntaxLocation(problem) } });
    }
    throw classify(failure, { interrupted, timeoutMs: run.timeoutMs, memoryMb: run.memoryMb });
  } catch (error) {
    if (
      error instanceof CodeError ||
      error instanceof CodeTimeoutError ||
      error instanceof CodeMemoryLimitError
    )
      throw error;
    // The module itself failed (its stack, an abort): never reuse it.
    module = undefined;
    context = undefined;
    runtime = undefined;
    if (error instanceof RangeError)
      throw new CodeError('stack overflow: the code recursed too deep', {
        cause: { name: 'InternalError', message: 'stack overflow' },
      });
    throw new CodeError(`the sandbox failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: { name: 'SandboxFailure', message: String(error) },
    });
  } finally {
    try {
      context?.dispose();
      runtime?.dispose();
    } catch {
      module = undefined;
    }
  }
}

type Outcome =
  | { ok: true; json: string }
  | { ok: false; pending: true }
  | { ok: false; pending: false; error: QuickJSHandle };

// Runs inside the sandbox before the user's code. It takes the host's two gifts (the log function
// and the args as JSON) off the global object, builds `console`, compiles the body with the
// sandbox's own AsyncFunction constructor (a body, exactly: `})` cannot escape it), and returns a
// function that runs it and turns the result into JSON text, naming what is not JSON. It keeps its
// own references to JSON and friends, so code that overwrites them cannot break the check (and
// whatever it does, the host only ever receives a string it parses itself).
const PRELUDE = String.raw`(() => {
  const g = globalThis;
  const log = g.__flowforgeLog, argsJson = g.__flowforgeArgs, source = g.__flowforgeSource;
  delete g.__flowforgeLog; delete g.__flowforgeArgs; delete g.__flowforgeSource;
  const stringify = JSON.stringify, parse = JSON.parse, isArray = Array.isArray, keys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf, ObjectProto = Object.prototype, ArrayProto = Array.prototype;
  const isFinite = Number.isFinite, String_ = String;
  const format = (value) => {
    if (typeof value === 'string') return value;
    try { const json = stringify(value); return json === undefined ? String_(value) : json; }
    catch { return String_(value); }
  };
  const write = (prefix) => (...values) => { log(prefix + values.map(format).join(' ')); };
  g.console = { log: write(''), info: write(''), debug: write(''), warn: write('[warn] '), error: write('[error] ') };
  const where = (path) => path === '' ? 'the return value' : 'the return value at ' + path;
  const check = (value, path, ancestors) => {
    const type = typeof value;
    if (value === null || type === 'string' || type === 'boolean') return;
    if (type === 'number') {
      if (!isFinite(value)) throw new TypeError(where(path) + ' is ' + value + ', which JSON cannot carry');
      return;
    }
    if (type !== 'object') throw new TypeError(where(path) + ' is ' + (type === 'undefined' ? 'undefined' : 'a ' + type) + ', which JSON cannot carry');
    if (ancestors.indexOf(value) !== -1) throw new TypeError(where(path) + ' refers back to an object that contains it (a cycle), which JSON cannot carry');
    if (typeof value.toJSON === 'function') return;
    const proto = getPrototypeOf(value);
    if (isArray(value)) {
      if (proto !== ArrayProto) throw new TypeError(where(path) + ' is not a plain array');
    } else if (proto !== ObjectProto && proto !== null) {
      const name = proto && proto.constructor && proto.constructor.name;
      throw new TypeError(where(path) + ' is a ' + (name || 'non-plain object') + ', which JSON cannot carry');
    }
    ancestors.push(value);
    if (isArray(value)) for (let i = 0; i < value.length; i++) check(value[i], path + '/' + i, ancestors);
    else for (const key of keys(value)) check(value[key], path + '/' + key.replace(/~/g, '~0').replace(/\//g, '~1'), ancestors);
    ancestors.pop();
  };
  const body = new (async function () {}).constructor('args', source);
  return () => body(parse(argsJson)).then((value) => {
    if (value === undefined) return 'null';
    check(value, '', []);
    return stringify(value);
  });
})()`;

function evaluate(
  context: QuickJSContext,
  runtime: QuickJSRuntime,
  source: string,
  argsJson: string,
  logs: ConsoleLines,
): Outcome {
  const logFunction = context.newFunction('log', (line) => {
    if (context.typeof(line) === 'string') logs.add(context.getString(line));
  });
  const args = context.newString(argsJson);
  const code = context.newString(source);
  context.setProp(context.global, '__flowforgeLog', logFunction);
  context.setProp(context.global, '__flowforgeArgs', args);
  context.setProp(context.global, '__flowforgeSource', code);
  logFunction.dispose();
  args.dispose();
  code.dispose();

  const prepared = context.evalCode(PRELUDE, 'prelude.js');
  if (prepared.error) return { ok: false, pending: false, error: prepared.error };
  const called = context.callFunction(prepared.value, context.undefined);
  prepared.value.dispose();
  if (called.error) return { ok: false, pending: false, error: called.error };
  const promise = called.value;
  try {
    for (;;) {
      const state = context.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        const json = context.typeof(state.value) === 'string' ? context.getString(state.value) : 'null';
        state.value.dispose();
        return { ok: true, json };
      }
      if (state.type === 'rejected') return { ok: false, pending: false, error: state.error };
      if (!runtime.hasPendingJob()) return { ok: false, pending: true };
      const jobs = runtime.executePendingJobs();
      if (jobs.error) return { ok: false, pending: false, error: jobs.error };
      jobs.dispose();
    }
  } finally {
    promise.dispose();
  }
}

interface Failure extends CodeLocation {
  name: string;
  message: string;
}

/** Name, message and line of a thrown value (an Error's own fields, or the value itself). */
function describe(context: QuickJSContext, error: QuickJSHandle): Failure {
  let dumped: unknown;
  try {
    dumped = context.dump(error);
  } catch {
    dumped = undefined;
  }
  if (dumped !== null && typeof dumped === 'object') {
    const fields = dumped as { name?: unknown; message?: unknown; stack?: unknown };
    const name = typeof fields.name === 'string' ? fields.name : 'Error';
    const message = typeof fields.message === 'string' ? fields.message : JSON.stringify(dumped);
    return { name, message, ...locate(typeof fields.stack === 'string' ? fields.stack : '') };
  }
  return { name: 'Error', message: dumped === undefined ? 'unknown exception' : String(dumped) };
}

/** The first frame of the user's code in a QuickJS stack: `(<anonymous>:LINE:COL)` of the compiled body. */
function locate(stack: string): CodeLocation {
  for (const match of stack.matchAll(/\((?!prelude\.js)[^():]*:(\d+):(\d+)\)/g)) {
    const line = Number(match[1]) - BODY_LINE_OFFSET;
    if (line >= 1) return { line, column: Number(match[2]) };
  }
  return {};
}

function classify(
  failure: Failure,
  limits: { interrupted: boolean; timeoutMs: number; memoryMb: number },
): Error {
  const cause = { ...failure };
  if (limits.interrupted && failure.name === 'InternalError' && failure.message === 'interrupted')
    return new CodeTimeoutError(`the code ran longer than timeoutMs (${limits.timeoutMs} ms)`, { cause });
  if (failure.name === 'InternalError' && failure.message === 'out of memory')
    return new CodeMemoryLimitError(`the code needed more than memoryMb (${limits.memoryMb} MB)`, { cause });
  if (failure.name === 'InternalError' && failure.message === 'stack overflow')
    return new CodeError(`stack overflow: the code recursed too deep${at(failure)}`, { cause });
  return new CodeError(`${failure.name}: ${failure.message}${at(failure)}`, { cause });
}

function syntaxLocation(problem: string): CodeLocation {
  const match = /at line (\d+), column (\d+)$/.exec(problem);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : {};
}

const at = (location: CodeLocation): string =>
  location.line === undefined ? '' : ` (line ${location.line}, column ${location.column})`;

/** Parses the sandbox's JSON text on the host, refusing `__proto__` keys anywhere. */
function parseResult(json: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new CodeError(`the return value is not JSON: ${(error as Error).message}`, {
      cause: { name: 'TypeError', message: 'not JSON' },
    });
  }
  const forbidden = findProtoKey(value, '');
  if (forbidden !== undefined)
    throw new CodeError(
      `the return value has a "__proto__" key at ${forbidden || '/'}: refused, it could alter prototypes where the output is merged`,
      { cause: { name: 'TypeError', message: '__proto__ key in the return value', path: forbidden } },
    );
  return value;
}

function findProtoKey(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const child = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key === '__proto__') return child;
    const found = findProtoKey((value as Record<string, unknown>)[key], child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The kept `console` lines: at most {@link MAX_LOG_LINES}, each cut at {@link MAX_LOG_LINE_LENGTH}. */
class ConsoleLines {
  private readonly kept: string[] = [];
  private dropped = 0;

  add(line: string): void {
    if (this.kept.length >= MAX_LOG_LINES) {
      this.dropped++;
      return;
    }
    this.kept.push(line.length > MAX_LOG_LINE_LENGTH ? `${line.slice(0, MAX_LOG_LINE_LENGTH)}… (cut)` : line);
  }

  lines(): string[] {
    if (this.dropped === 0) return this.kept;
    return [...this.kept.slice(0, MAX_LOG_LINES - 1), `… ${this.dropped + 1} more lines not kept`];
  }
}
