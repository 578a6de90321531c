import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idempotencyStoreFromEnv } from '../../actions/idempotency.ts';
import { createInMemoryIdempotency } from '../../actions/in-memory-idempotency.ts';
import { createLocalPayloadStore } from '../../payloads/local-payload-store.ts';
import { resolveRefs } from '../../payloads/resolve-refs.ts';
import type { ExecutionRecord } from '../../runtime/execution-record.ts';
import { ValidationExceptionError } from '../../runtime/local/aws-limits.ts';
import { SUBFLOW_FUNCTION_KIND } from '../../runtime/local/local-action-arns.ts';
import {
  createRegisteredInvoker,
  type LocalRun,
  type RunLocallyOptions,
  runLocally,
} from '../../runtime/local/run-locally.ts';
import type { MachineInput } from '../../runtime/state-machines.ts';
import { isSubflowPayload } from '../../runtime/subflow-task.ts';
import { readJson } from '../../security/json-reader.ts';
import type { CliIo } from '../cli-io.ts';
import { checkSubflowFiles, createCliSubflows, parseFlowOption, type SubflowFile } from '../subflow-files.ts';
import { oneFile, parseVerbArgs } from '../verb-args.ts';
import { compileFile } from './compile.ts';

const USAGE =
  'Usage: flowforge run FILE [--input JSON | --input @FILE.json] [--flow FLOW_ID=FILE ...] [--json]\n';

/**
 * `flowforge run FILE [--input JSON] [--flow ID=FILE …] [--json]` (DESIGN.md §3, §2.1): validates and compiles the definition
 * for local mode, runs the compiled ASL on this machine (aws-local-stepfunctions, the real action
 * handlers of `actionRegistry`; waits are real time) and prints the execution record.
 *
 * - `--input` is a JSON text, or `@path` of a JSON file; default `{}`. It becomes `input` of the run.
 * - The run: execution id `local-<uuid>`, flowId = the definition's `name`, version 1, trigger
 *   `{ id: null, type: 'cli' }` (every trigger fires, as for `execute`).
 * - The run goes through the action Lambdas' core: outputs over `FLOWFORGE_INLINE_BYTES` are kept in a
 *   payload folder of this run (removed afterwards; the printed record shows them in full), and the
 *   Tasks of side-effect kinds are deduped by Powertools Idempotency against an in-memory dynalite
 *   (or the table `FLOWFORGE_TABLE_NAME` names), started on the first such Task.
 * - `--flow <flowId>=<file>` (repeatable) supplies the definition a subflow node's `flowId` names
 *   (DESIGN.md §2.1); each child runs on this machine through the same runner (its `version` is
 *   the file's). A subflow naming a flow not given, or flows that reach themselves, exit 1 first.
 * - `--json`: stdout is exactly the record `{ status, output, error?, nodes, startedAt, finishedAt }`
 *   (2-space JSON). Without it: one line for the run, one line per node (status, duration,
 *   output or error, shortened), then the run's output as JSON.
 * - Exit 0 iff the run SUCCEEDED; 1 for a failed run, an unreadable file, invalid JSON input, an
 *   invalid definition or one the compiler refuses; 2 for bad usage. Ctrl-C aborts the run (record
 *   ABORTED, exit 1).
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseVerbArgs(
    'run',
    args,
    {
      input: { type: 'string' },
      flow: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    USAGE,
    io,
  );
  if (!parsed.ok) return parsed.code;
  const json = parsed.values.json === true;
  const file = oneFile('run', parsed.positionals, USAGE, io);
  if (typeof file === 'number') return file;
  const input = await readInput(parsed.values.input);
  if (!input.ok) {
    io.stderr(`flowforge run: ${input.message}\n`);
    return 1;
  }
  const compiled = await compileFile(file, io);
  if (!compiled.ok) return 1;
  const children = await compileChildren(parsed.values.flow ?? [], io);
  if (!children) return 1;
  const problems = checkSubflowFiles({ file, definition: compiled.definition }, children);
  if (problems.length > 0) {
    io.stderr(problems.map((problem) => `ERROR ${problem}\n`).join(''));
    return 1;
  }

  const machineInput: MachineInput = {
    input: input.value,
    execution: {
      id: `local-${randomUUID()}`,
      startedAt: new Date().toISOString(),
      flowId: compiled.definition.name,
      version: 1,
      trigger: { id: null, type: 'cli' },
    },
  };
  const progress = json ? undefined : nodeProgress(io);
  const payloadDir = await mkdtemp(join(tmpdir(), 'flowforge-run-'));
  const payloads = createLocalPayloadStore(payloadDir);
  const envIdempotency = idempotencyStoreFromEnv();
  const inMemory = envIdempotency ? undefined : createInMemoryIdempotency();
  const idempotency = envIdempotency ?? inMemory?.store;
  let record: ExecutionRecord;
  const interrupted = new AbortController();
  try {
    const actions = createRegisteredInvoker({ payloads, ...(idempotency ? { idempotency } : {}) });
    // Children (--flow) run with the parent's actions, payloads and idempotency, on this machine.
    const subflows = createCliSubflows(
      children,
      () => runnerOptions,
      (flowId, executionId, status) => io.stderr(`  subflow ${flowId} (${executionId}) ${status}\n`),
      interrupted.signal,
    );
    const runnerOptions: RunLocallyOptions = {
      payloads,
      invokeAction: (payload, context) =>
        context.kind === SUBFLOW_FUNCTION_KIND
          ? subflows.invoke(payload, context)
          : actions(payload, context),
      waitForTaskToken: (payload, context) => {
        if (isSubflowPayload(payload)) return subflows.wait(payload, context);
        throw Object.assign(
          new Error(
            'this node waits for a callback or an event, which needs the local server (npm start) to answer it',
          ),
          { name: 'States.Runtime' },
        );
      },
    };
    let execution: LocalRun;
    try {
      execution = runLocally(compiled.result.asl, machineInput, {
        ...runnerOptions,
        validate: 'none',
        machineType: compiled.result.report.stateMachineType,
        ...(progress
          ? { onEvent: (_event, change) => change.nodesChanged && progress(execution.snapshot()) }
          : {}),
      });
    } catch (error) {
      // Refused before it starts, as StartExecution would (an input over 256 KiB).
      if (!(error instanceof ValidationExceptionError)) throw error;
      io.stderr(`flowforge run: ${error.name}: ${error.message}\n`);
      return 1;
    }
    const onSigint = (): void => {
      interrupted.abort();
      execution.abort({ error: 'ExecutionAborted', cause: 'Interrupted with Ctrl-C' });
    };
    process.once('SIGINT', onSigint);
    try {
      record = await execution.promise;
      await subflows.settled();
    } finally {
      process.off('SIGINT', onSigint);
    }
    record = (await resolveRefs(record, (key) => payloads.getJson(key))) as ExecutionRecord;
  } finally {
    await inMemory?.close();
    await rm(payloadDir, { recursive: true, force: true });
  }

  const printed = {
    status: record.status,
    output: record.output,
    ...(record.error ? { error: record.error } : {}),
    nodes: record.nodes,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
  io.stdout(json ? `${JSON.stringify(printed, null, 2)}\n` : summary(compiled.definition.name, record));
  return record.status === 'SUCCEEDED' ? 0 : 1;
}

/** The `--flow <flowId>=<file>` children, compiled; undefined after printing what is wrong. */
async function compileChildren(values: string[], io: CliIo): Promise<Map<string, SubflowFile> | undefined> {
  const children = new Map<string, SubflowFile>();
  for (const value of values) {
    const option = parseFlowOption(value);
    if (!option) {
      io.stderr(`flowforge run: --flow takes FLOW_ID=FILE, not "${value}"\n`);
      return undefined;
    }
    const child = await compileFile(option.file, io);
    if (!child.ok) return undefined;
    children.set(option.flowId, { ...option, definition: child.definition, result: child.result });
  }
  return children;
}

async function readInput(
  argument: string | undefined,
): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  if (argument === undefined) return { ok: true, value: {} };
  let text = argument;
  let source = '--input';
  if (argument.startsWith('@')) {
    source = argument.slice(1);
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, message: `cannot read the input file ${source} (${code ?? String(error)})` };
    }
  }
  try {
    return { ok: true, value: readJson(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `${source} is not valid JSON: ${reason}` };
  }
}

const MARK: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  running: '…',
  waiting: '⏸',
};

/**
 * Prints one stderr line per node as it finishes (succeeded, failed or skipped), in the order they
 * finish, while the run goes on: `  ✓ fetch  succeeded  120 ms`.
 */
function nodeProgress(io: CliIo): (snapshot: ExecutionRecord) => void {
  const printed = new Set<string>();
  return (snapshot) => {
    for (const [id, node] of Object.entries(snapshot.nodes)) {
      if (node.status === 'running' || printed.has(id)) continue;
      printed.add(id);
      const detail = node.error ? `  ${node.error.error}` : '';
      io.stderr(
        `  ${MARK[node.status] ?? '?'} ${id}  ${node.status}  ${duration(node.startedAt, node.finishedAt)}${detail}\n`.replace(
          / {2,}\n$/,
          '\n',
        ),
      );
    }
  };
}

/** The readable form: a headline, one line per node, the error and the output. */
function summary(name: string, record: ExecutionRecord): string {
  const lines = [`${name}: ${record.status} in ${duration(record.startedAt, record.finishedAt)}`];
  const width = Math.max(0, ...Object.keys(record.nodes).map((id) => id.length));
  for (const [id, node] of Object.entries(record.nodes)) {
    let detail = '';
    if (node.error) detail = `${node.error.error}${node.error.cause ? `: ${node.error.cause}` : ''}`;
    else if (node.output !== undefined) detail = JSON.stringify(node.output);
    lines.push(
      `  ${MARK[node.status]} ${id.padEnd(width)}  ${node.status.padEnd(9)} ${duration(node.startedAt, node.finishedAt).padStart(8)}  ${shorten(detail)}`.trimEnd(),
    );
  }
  if (record.error)
    lines.push(`error: ${record.error.error}${record.error.cause ? `: ${record.error.cause}` : ''}`);
  lines.push(`output: ${JSON.stringify(record.output)}`);
  return `${lines.join('\n')}\n`;
}

function duration(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function shorten(text: string, max = 100): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
