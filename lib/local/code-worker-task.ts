import { loadSandbox, runInSandbox } from '../actions/code/sandbox.ts';

// The module a code worker imports: it compiles QuickJS's WebAssembly while the worker starts, so
// that time (seconds on a loaded machine) never counts against the first task's `timeoutMs`.
await loadSandbox();

/** Runs one code invocation in the worker (see lib/local/worker-code.ts). */
export const runCode = runInSandbox;
