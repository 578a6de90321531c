import type { PayloadStore } from '../../payloads/payload-store.ts';
import { boundedName, SFN_NAME_PATTERN } from '../execution-names.ts';
import type { ExecutionRecord, NodeError, NodeRecord } from '../execution-record.ts';
import {
  type DeployedMachine,
  type DeployRequest,
  ExecutionConflictError,
  ExecutionNotFoundError,
  RuntimeError,
  type StartRequest,
  type StartResult,
  type StateMachines,
} from '../state-machines.ts';
import { checkExecutionInput, checkName } from './aws-limits.ts';
import { checkIntrinsicFields, checkMachineStructure } from './check-machine-structure.ts';
import {
  type ExecutionJournal,
  InMemoryExecutionJournal,
  type PersistedExecution,
  type PersistedMachine,
} from './execution-journal.ts';
import {
  InterpreterThread,
  type MachineRun,
  type MachineRunRequest,
  runInline,
} from './interpreter-thread.ts';
import { RecordJson } from './record-json.ts';
import { type InvokeAction, validateLocalMachine, type WaitForTaskToken } from './run-locally.ts';

const ARN_PREFIX = 'arn:aws:states:local:000000000000';
const REDRIVABLE: ReadonlySet<string> = new Set(['FAILED', 'ABORTED', 'TIMED_OUT', 'INTERRUPTED']);

/** The error of an execution, and of its running nodes, that was running when its process stopped. */
export const INTERRUPTED_ERROR: NodeError = {
  error: 'Interrupted',
  cause: 'The FlowForge process stopped while the execution ran; redrive it to continue',
};

export interface LocalStateMachinesOptions {
  /** Where machines and executions are kept (default: in memory, lost with the process). */
  journal?: ExecutionJournal;
  /** Handler of every action Task (default: the action registry, see `invokeRegisteredAction`). */
  invokeAction?: InvokeAction;
  /** Handler of `.waitForTaskToken` Tasks (waitForCallback, waitForEvent): see lib/waits/local-wait-handler.ts. */
  waitForTaskToken?: WaitForTaskToken;
  /** Where Distributed Maps read their items and write their results (the actions' store). */
  payloads?: PayloadStore;
  /** Multiplies waits and retry intervals of every run (default 1). */
  timeScale?: number;
  /** Also scale Task and machine timeouts (default false). */
  scaleTimeouts?: boolean;
  /**
   * Called once an execution has ended (after its final record is journaled), with that record as
   * the interpreter made it (`packedNodes` set when it ran in the thread).
   */
  onFinished?: (executionArn: string, record: RecordJson) => void | Promise<void>;
  /** Called when a background journal write or `onFinished` fails (default: ignored). */
  onError?: (error: unknown) => void;
  /**
   * Check each deployed ASL with asl-validator (`validateLocalMachine`, ~0.5 s per new document)
   * instead of the fast structural check (`checkMachineStructure`). Default false: compiled
   * machines are checked with asl-validator by the compiler's tests.
   */
  validateOnDeploy?: boolean;
  /**
   * Least time between two journal writes of one running execution (default 200 ms), for records
   * of up to 200 nodes; larger records are journaled proportionally less often ({@link ThrottledWriter}).
   */
  persistIntervalMs?: number;
  /**
   * Run the interpreter of every execution in a worker thread ({@link InterpreterThread}) instead of
   * on this event loop; actions and waits still run here. Default false; the local server sets it.
   */
  thread?: boolean;
}

interface Slot {
  /** The execution as journaled, but its record: that is `record`. */
  entry: Omit<PersistedExecution, 'record'>;
  /** The execution's record when no run goes on (the start's, the final one, or the journal's). */
  record: RecordJson;
  run?: MachineRun;
  /** Settles when the current run has ended and its final record is journaled. */
  done?: Promise<void>;
  /** Node results of the run being redriven (their timing is kept in the new record). */
  replayed?: Record<string, NodeRecord>;
  interruptOnEnd?: boolean;
  /** Settles once the current run's final record is journaled (before `onFinished`). */
  journaled?: Promise<void>;
  /** The record to journal when the run ends because the process stops while a node waits (it resumes on the next start). */
  suspendedRecord?: RecordJson;
  /** A resumed run's waiting nodes (of before the restart): they read `waiting` until their wait ends. */
  resumedWaits?: Record<string, NodeRecord>;
  writer: ThrottledWriter;
}

/**
 * The local adapter of the `StateMachines` port: deployed versions are kept per
 * (tenant, flow, version) and executions run in the background in this process through
 * {@link runLocally}, journaled as they progress (at most every `persistIntervalMs` while node
 * statuses change, and at start and end).
 *
 * - ARNs: `arn:aws:states:local:000000000000:stateMachine:<tenant>-<flow>`, versions `…:<version>`,
 *   executions `arn:aws:states:local:000000000000:execution:<tenant>-<flow>:<name>`.
 * - `start` with a name already used answers that execution with `alreadyStarted: true`. As
 *   StartExecution, it refuses a name of more than 80 characters and an input over 256 KiB
 *   (`ValidationException`) and a name with a character Step Functions forbids (`InvalidName`).
 * - Runs obey the Step Functions quotas of the machine's type (see `runLocally`).
 * - `deploy` refuses (InvalidDefinitionError) an ASL whose structure is broken, with a state name
 *   over 80 characters or used twice, a field with more than 10 intrinsic functions (or, with
 *   `validateOnDeploy`, that asl-validator refuses);
 *   its state machine name follows CreateStateMachine's name rules (`checkName`).
 * - `describe` answers the live record (status `RUNNING`, nodes so far) or the final one.
 * - `stop` aborts a running execution (→ `ABORTED`, the reason as its error); a finished one is left as is.
 * - `redrive` runs a `FAILED`, `ABORTED`, `TIMED_OUT` or `INTERRUPTED` execution again under the
 *   same ARN and input: every node that had succeeded is replayed from its recorded output (its
 *   action is not called again, its Wait does not wait, its timing is kept) unless its compensation
 *   ran (then it runs again); the others run again.
 *   Unlike AWS, the machine's own states (Choices, Pass states) are re-evaluated from the start,
 *   which the compiled machines tolerate because they depend only on input and node results.
 * - With a journal holding executions that were `RUNNING` (the process died), construction marks
 *   them `INTERRUPTED` with {@link INTERRUPTED_ERROR} (their running nodes too); they can be redriven.
 *   An execution with a `waiting` node (waitForCallback, waitForEvent) is resumed instead: it runs
 *   again as a redrive does (succeeded nodes replayed), stays `RUNNING`, and its wait handler finds
 *   its wait in the wait store — still waiting, or answered while the process was down. `close`
 *   journals such executions as `RUNNING` too (a stop of `npm start` is a pause for them).
 *
 * Construction loads the journal in the background; every method waits for it (`ready`).
 */
export class LocalStateMachines implements StateMachines {
  /** Settles once the journal is loaded (rejects if it cannot be read). */
  readonly ready: Promise<void>;
  private readonly journal: ExecutionJournal;
  private readonly machines = new Map<string, PersistedMachine>();
  private readonly executions = new Map<string, Slot>();
  private closed = false;
  private readonly thread?: InterpreterThread;

  constructor(private readonly options: LocalStateMachinesOptions = {}) {
    this.journal = options.journal ?? new InMemoryExecutionJournal();
    if (options.thread) {
      this.thread = new InterpreterThread();
      // Its modules load meanwhile (about a second), so the first run need not wait for them.
      this.thread.warm();
    }
    this.ready = this.load();
  }

  /** Constructs an instance and waits until its journal is loaded. */
  static async open(options: LocalStateMachinesOptions = {}): Promise<LocalStateMachines> {
    const machines = new LocalStateMachines(options);
    await machines.ready;
    return machines;
  }

  async deploy(request: DeployRequest): Promise<DeployedMachine> {
    await this.ready;
    if (this.options.validateOnDeploy) {
      checkMachineStructure(request.asl);
      validateLocalMachine(request.asl);
    } else checkMachineStructure(request.asl);
    checkIntrinsicFields(request.asl);
    const name = localMachineName(request.tenantId, request.flowId);
    checkName('state machine', name);
    const stateMachineArn = `${ARN_PREFIX}:stateMachine:${name}`;
    // As Step Functions publishes: every deploy is a new, immutable version number of the machine,
    // so two concurrent saves of the same flow version never overwrite each other's machine.
    const machine: PersistedMachine = {
      stateMachineArn,
      versionArn: `${stateMachineArn}:${this.nextPublishedVersion(stateMachineArn)}`,
      tenantId: request.tenantId,
      flowId: request.flowId,
      version: request.version,
      type: request.type,
      asl: request.asl,
    };
    // Claimed before the journal write, so that a concurrent deploy picks the next number.
    this.machines.set(machine.versionArn, machine);
    await this.journal.saveMachine(machine);
    return { stateMachineArn, versionArn: machine.versionArn };
  }

  /** One more than the highest version number published for `stateMachineArn` (1 for a new machine). */
  private nextPublishedVersion(stateMachineArn: string): number {
    let highest = 0;
    for (const deployed of this.machines.values()) {
      if (deployed.stateMachineArn !== stateMachineArn) continue;
      const n = Number(deployed.versionArn.slice(stateMachineArn.length + 1));
      if (Number.isInteger(n) && n > highest) highest = n;
    }
    return highest + 1;
  }

  async start(request: StartRequest): Promise<StartResult> {
    await this.ready;
    this.assertOpen();
    // As StartExecution validates its request before anything else.
    checkName('execution', request.name);
    checkExecutionInput(request.input);
    const machine = this.machines.get(request.machine.versionArn);
    if (!machine)
      throw new RuntimeError(`State machine version ${request.machine.versionArn} is not deployed`);
    const executionArn = this.executionArnOf(machine, request.name);
    const existing = await this.find(executionArn);
    if (existing) {
      return {
        executionArn,
        startedAt: existing.record.head.startedAt ?? existing.entry.updatedAt,
        alreadyStarted: true,
      };
    }
    const startedAt = new Date().toISOString();
    const entry: PersistedExecution = {
      executionArn,
      name: request.name,
      stateMachineArn: machine.stateMachineArn,
      versionArn: machine.versionArn,
      input: request.input,
      record: { status: 'RUNNING', nodes: {}, startedAt },
      redriveCount: 0,
      updatedAt: startedAt,
    };
    const slot = this.newSlot(entry);
    this.executions.set(executionArn, slot);
    try {
      await slot.writer.flush();
    } catch (error) {
      this.executions.delete(executionArn);
      throw error;
    }
    this.launch(slot, machine);
    return { executionArn, startedAt, alreadyStarted: false };
  }

  /** `…:execution:<tenant>-<flow>:<name>`, for Standard and Express machines alike. */
  executionArnOf(machine: Pick<DeployedMachine, 'stateMachineArn'>, name: string): string {
    return `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  async describe(executionArn: string): Promise<ExecutionRecord> {
    await this.ready;
    return (await this.settledRecord(await this.slot(executionArn))).read();
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    await this.ready;
    const slot = await this.slot(executionArn);
    if (slot.run) {
      slot.run.abort({ error: reason.error, cause: reason.cause });
      await slot.done;
    } else if (slot.record.status === 'INTERRUPTED') {
      slot.record = RecordJson.of({ ...slot.record.peek(), status: 'ABORTED', error: { ...reason } });
      await slot.writer.flush();
    }
  }

  async redrive(executionArn: string): Promise<void> {
    await this.ready;
    this.assertOpen();
    const slot = await this.slot(executionArn);
    const { status } = slot.record;
    if (slot.run || !REDRIVABLE.has(status)) {
      throw new ExecutionConflictError(
        `Execution ${executionArn} is ${status}; only a failed, timed out, aborted or interrupted one can be redriven`,
      );
    }
    const machine = this.machines.get(slot.entry.versionArn);
    if (!machine) {
      throw new ExecutionConflictError(
        `Execution ${executionArn} cannot be redriven: its state machine was removed`,
      );
    }
    const compensated = new Set(slot.entry.compensated ?? []);
    const before = slot.record.peek();
    slot.replayed = Object.fromEntries(Object.entries(before.nodes).filter(([id]) => !compensated.has(id)));
    slot.entry.compensated = [];
    slot.entry.redriveCount++;
    slot.record = RecordJson.of({
      status: 'RUNNING',
      nodes: before.nodes,
      ...(before.startedAt ? { startedAt: before.startedAt } : {}),
    });
    await slot.writer.flush();
    this.launch(slot, machine, slot.replayed);
  }

  async remove(machine: DeployedMachine): Promise<void> {
    await this.ready;
    for (const [versionArn, deployed] of [...this.machines]) {
      if (deployed.stateMachineArn === machine.stateMachineArn) {
        this.machines.delete(versionArn);
        await this.journal.removeMachine(versionArn);
      }
    }
  }

  /**
   * Stops every running execution, journals it as `INTERRUPTED` (as a restart would) and waits for
   * pending writes. Later calls to `start` or `redrive` are refused.
   */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    this.closed = true;
    const pending: Array<Promise<void> | undefined> = [];
    for (const slot of this.executions.values()) {
      const run = slot.run;
      if (run) {
        const live = await this.currentRecord(slot);
        if (hasWaitingNode(live.peek())) slot.suspendedRecord = live;
        else slot.interruptOnEnd = true;
        run.abort(INTERRUPTED_ERROR);
      }
      pending.push(slot.done);
    }
    await Promise.all(pending);
    await Promise.all([...this.executions.values()].map((slot) => slot.writer.flush()));
    await this.thread?.close();
  }

  private launch(slot: Slot, machine: PersistedMachine, replay?: Record<string, NodeRecord>): void {
    const request: MachineRunRequest = {
      asl: machine.asl,
      input: slot.entry.input,
      options: {
        validate: 'none',
        ...(this.options.timeScale === undefined ? {} : { timeScale: this.options.timeScale }),
        ...(this.options.scaleTimeouts === undefined ? {} : { scaleTimeouts: this.options.scaleTimeouts }),
        ...(replay ? { replay } : {}),
        machineType: machine.type,
      },
      ...(this.options.invokeAction ? { invokeAction: this.options.invokeAction } : {}),
      ...(this.options.waitForTaskToken ? { waitForTaskToken: this.options.waitForTaskToken } : {}),
      ...(this.options.payloads ? { payloads: this.options.payloads } : {}),
      // A node that begins to wait is journaled at once: a process killed now resumes it on restart.
      onWaitEntered: () => slot.writer.flush().catch((error: unknown) => this.options.onError?.(error)),
      onNodesChanged: () => slot.writer.schedule(),
    };
    const run = this.thread ? this.thread.run(request) : runInline(request);
    slot.run = run;
    let journaled!: () => void;
    slot.journaled = new Promise((resolve) => {
      journaled = resolve;
    });
    slot.done = run.promise.then(async ({ record: finalRecord, compensated }) => {
      slot.resumedWaits = undefined;
      if (slot.suspendedRecord) {
        slot.record = slot.suspendedRecord;
        slot.suspendedRecord = undefined;
        slot.run = undefined;
        await slot.writer.flush().finally(journaled);
        return;
      }
      let record = this.withReplayedTiming(slot, finalRecord);
      if (slot.interruptOnEnd) {
        const ended = record.peek();
        record = RecordJson.of(interrupted(ended, ended.finishedAt ?? new Date().toISOString()));
      }
      slot.record = record;
      slot.entry.compensated = [...compensated];
      slot.run = undefined;
      await slot.writer.flush().finally(journaled);
      if (this.options.onFinished && !slot.interruptOnEnd) {
        try {
          // The record is immutable: every consumer shares it (a reader takes its own copy).
          await this.options.onFinished(slot.entry.executionArn, record);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    });
    // A describe waiting for the final record never waits past the end of this run's handling.
    slot.done.finally(journaled).catch(() => undefined);
  }

  private newSlot({ record, ...entry }: PersistedExecution): Slot {
    const slot: Slot = {
      entry,
      record: RecordJson.of(record),
      writer: new ThrottledWriter(
        async () => {
          slot.entry.updatedAt = new Date().toISOString();
          const record = await this.currentRecord(slot);
          await this.journal.saveExecution({ ...slot.entry, record });
          return record.nodeCount;
        },
        this.options.persistIntervalMs ?? 200,
        (error) => this.options.onError?.(error),
      ),
    };
    return slot;
  }

  private async currentRecord(slot: Slot): Promise<RecordJson> {
    const run = slot.run;
    if (!run) return slot.record;
    const snapshot = await run.snapshot();
    // The run may have ended (or been redriven) meanwhile: the record is then the slot's own.
    if (slot.run !== run) return this.currentRecord(slot);
    // The common case (a first run) takes the thread's record as it came; the merges below, of
    // redriven and resumed runs only, work on its objects.
    if (!slot.replayed && !slot.resumedWaits) return snapshot;
    return RecordJson.of(this.mergedRecord(slot, this.withReplayedTiming(slot, snapshot).peek()));
  }

  /** The live record of a redriven or resumed run, with what it has not reached yet. */
  private mergedRecord(slot: Slot, record: ExecutionRecord): ExecutionRecord {
    let live = record;
    if (slot.resumedWaits) {
      // Until a resumed node's wait is registered again (or ends) it still waits, as before the
      // restart: the journal must not lose that, or a kill in between would interrupt the run.
      const still = Object.entries(slot.resumedWaits).filter(([id]) => {
        const now = live.nodes[id]?.status;
        return now === undefined || now === 'running';
      });
      if (still.length > 0) live = { ...live, nodes: { ...live.nodes, ...Object.fromEntries(still) } };
    }
    if (!slot.replayed) return live;
    // While a redrive replays, the nodes it has not reached yet still show their earlier result.
    const earlier = Object.entries(slot.replayed).filter(
      ([id, node]) => node.status === 'succeeded' && !(id in live.nodes),
    );
    return earlier.length === 0
      ? live
      : { ...live, nodes: { ...Object.fromEntries(earlier), ...live.nodes } };
  }

  /** The current record, but a run that has just ended reads as ended only once its final record is journaled. */
  private async settledRecord(slot: Slot): Promise<RecordJson> {
    const record = await this.currentRecord(slot);
    if (record.status === 'RUNNING' || !slot.journaled) return record;
    await slot.journaled;
    return this.currentRecord(slot);
  }

  /**
   * A redriven run keeps the original start of the execution and the timing (and attempts) of the
   * replayed nodes.
   */
  private withReplayedTiming(slot: Slot, made: RecordJson): RecordJson {
    const replayed = slot.replayed;
    if (!replayed) return made;
    const record = made.peek();
    const nodes: Record<string, NodeRecord> = {};
    for (const [id, node] of Object.entries(record.nodes)) {
      const before = replayed[id];
      nodes[id] =
        before?.status === 'succeeded' && node.status === 'succeeded'
          ? {
              ...node,
              startedAt: before.startedAt,
              finishedAt: before.finishedAt,
              ...(before.attempts ? { attempts: before.attempts } : {}),
            }
          : node;
    }
    return RecordJson.of({ ...record, nodes, startedAt: slot.record.head.startedAt ?? record.startedAt });
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('LocalStateMachines is closed');
  }

  private async slot(executionArn: string): Promise<Slot> {
    const slot = await this.find(executionArn);
    if (!slot) throw new ExecutionNotFoundError(`Execution ${executionArn} does not exist`);
    return slot;
  }

  /** An execution of this process, or one of an earlier process read from the journal (then kept). */
  private async find(executionArn: string): Promise<Slot | undefined> {
    const known = this.executions.get(executionArn);
    if (known) return known;
    const entry = await this.journal.loadExecution(executionArn);
    if (!entry) return undefined;
    // Another call may have read it meanwhile: keep the first slot, so one execution has one writer.
    const raced = this.executions.get(executionArn);
    if (raced) return raced;
    const slot = this.newSlot(entry);
    this.executions.set(executionArn, slot);
    return slot;
  }

  /** Reads the machines; resumes the executions the last process left RUNNING with a waiting node and marks the others INTERRUPTED. */
  private async load(): Promise<void> {
    for (const machine of await this.journal.loadMachines()) this.machines.set(machine.versionArn, machine);
    const resumable: Array<{ slot: Slot; machine: PersistedMachine }> = [];
    for (const entry of await this.journal.loadRunning()) {
      const slot = this.newSlot(entry);
      this.executions.set(entry.executionArn, slot);
      const machine = this.machines.get(entry.versionArn);
      if (machine && this.options.waitForTaskToken && hasWaitingNode(entry.record)) {
        resumable.push({ slot, machine });
        continue;
      }
      slot.record = RecordJson.of(interrupted(entry.record, entry.updatedAt));
      await this.journal.saveExecution({ ...slot.entry, record: slot.record });
    }
    for (const { slot, machine } of resumable) {
      const { nodes } = slot.record.peek();
      slot.replayed = Object.fromEntries(
        Object.entries(nodes).filter(([, node]) => node.status === 'succeeded'),
      );
      slot.resumedWaits = Object.fromEntries(
        Object.entries(nodes).filter(([, node]) => node.status === 'waiting'),
      );
      this.launch(slot, machine, slot.replayed);
    }
  }
}

/**
 * The local state machine name of a flow: `<tenant>-<flow>` when that is a valid Step Functions
 * name, else the bounded form the AWS adapter uses for its names (a readable part and a hash).
 */
function localMachineName(tenantId: string, flowId: string): string {
  const direct = `${tenantId}-${flowId}`;
  return SFN_NAME_PATTERN.test(direct) ? direct : boundedName(tenantId, flowId);
}

/** True when a node of the record waits for a callback or an event. */
function hasWaitingNode(record: ExecutionRecord): boolean {
  return Object.values(record.nodes).some((node) => node.status === 'waiting');
}

/** The record of a run that stopped with its process: `INTERRUPTED`, its running nodes failed. */
function interrupted(record: ExecutionRecord, finishedAt: string): ExecutionRecord {
  const nodes: Record<string, NodeRecord> = {};
  for (const [id, node] of Object.entries(record.nodes)) {
    const wasRunning =
      node.status === 'running' ||
      node.status === 'waiting' ||
      (node.status === 'failed' && node.error?.error === INTERRUPTED_ERROR.error);
    nodes[id] = wasRunning
      ? {
          ...node,
          status: 'failed',
          error: {
            error: INTERRUPTED_ERROR.error,
            cause: 'The process running the execution stopped while this node ran',
          },
          finishedAt: node.finishedAt ?? finishedAt,
        }
      : node;
  }
  return { ...record, status: 'INTERRUPTED', error: INTERRUPTED_ERROR, nodes, finishedAt };
}

/**
 * Serialises the journal writes of one execution and spaces them apart; `flush()` writes now
 * (after any write in flight). Every write saves the state of that moment.
 *
 * The spacing grows with the record: a write costs the event loop time in proportion to the
 * record's nodes (copying the record out of the interpreter thread and serialising it), so a run
 * of `n` nodes is journaled at most every `intervalMs × max(1, n / NODES_PER_INTERVAL)`. The
 * journal's share of the loop then stays the same for a 5,000-node run as for a 50-node one; a
 * kill -9 loses at most that much progress of a huge run (it is INTERRUPTED, then redriven).
 */
export class ThrottledWriter {
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private lastWriteAt = 0;
  private spacingMs: number;

  constructor(
    /** Writes the current record; answers how many nodes it holds. */
    private readonly write: () => Promise<number>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.spacingMs = intervalMs;
  }

  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + this.spacingMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue().catch(this.onError);
    }, wait);
    this.timer.unref();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.enqueue();
  }

  private enqueue(): Promise<void> {
    const next = this.chain.then(async () => {
      this.lastWriteAt = Date.now();
      const nodes = await this.write();
      this.spacingMs = this.intervalMs * Math.max(1, nodes / NODES_PER_INTERVAL);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Nodes of a record that one journal interval is spent on (see {@link ThrottledWriter}). */
const NODES_PER_INTERVAL = 200;
