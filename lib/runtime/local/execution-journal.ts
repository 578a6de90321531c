import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AslDefinition } from '../../compiler/types.ts';
import type { ExecutionRecord } from '../execution-record.ts';
import type { MachineInput } from '../state-machines.ts';
import { type FileStep, type FileWriter, writeInThisThread } from './file-writer.ts';
import { RecordJson } from './record-json.ts';

/** A deployed flow version as local mode keeps it. */
export interface PersistedMachine {
  stateMachineArn: string;
  versionArn: string;
  tenantId: string;
  flowId: string;
  version: number;
  type: 'STANDARD' | 'EXPRESS';
  asl: AslDefinition;
}

/** One execution as local mode keeps it: enough to describe it and to redrive it after a restart. */
export interface PersistedExecution {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  versionArn: string;
  input: MachineInput;
  record: ExecutionRecord;
  /** Nodes whose `compensate` action ran in the last run: a redrive runs them again instead of replaying them. */
  compensated?: string[];
  /** How many times it was redriven. */
  redriveCount: number;
  /** When this entry was last written (ISO 8601): the last sign of life of a run that was interrupted. */
  updatedAt: string;
}

/** An execution to save, its record possibly as JSON text made elsewhere (record-json.ts). */
export type ExecutionToSave = Omit<PersistedExecution, 'record'> & { record: ExecutionRecord | RecordJson };

/**
 * Where local mode keeps deployed machines and executions between process restarts. Saves
 * replace the whole entry; implementations must make each save atomic (a reader never sees a
 * half-written entry) and must not share the objects they are given or return.
 *
 * Start-up reads only what a restart must act on — the machines and the executions last saved as
 * `RUNNING` — so it costs the same with 10 or 100,000 past executions; a finished one is read when
 * it is asked for.
 */
export interface ExecutionJournal {
  loadMachines(): Promise<PersistedMachine[]>;
  saveMachine(machine: PersistedMachine): Promise<void>;
  removeMachine(versionArn: string): Promise<void>;
  /** The executions whose latest save had status `RUNNING`. */
  loadRunning(): Promise<PersistedExecution[]>;
  /** One execution by ARN, whatever its status; undefined when it was never saved. */
  loadExecution(executionArn: string): Promise<PersistedExecution | undefined>;
  saveExecution(execution: ExecutionToSave): Promise<void>;
}

/** A journal in memory (tests, and local mode without a data dir); it can be shared by instances. */
export class InMemoryExecutionJournal implements ExecutionJournal {
  private readonly machines = new Map<string, PersistedMachine>();
  private readonly executions = new Map<string, PersistedExecution>();

  async loadMachines(): Promise<PersistedMachine[]> {
    return [...this.machines.values()].map((machine) => structuredClone(machine));
  }
  async saveMachine(machine: PersistedMachine): Promise<void> {
    this.machines.set(machine.versionArn, structuredClone(machine));
  }
  async removeMachine(versionArn: string): Promise<void> {
    this.machines.delete(versionArn);
  }
  async loadRunning(): Promise<PersistedExecution[]> {
    return [...this.executions.values()]
      .filter((execution) => execution.record.status === 'RUNNING')
      .map((execution) => structuredClone(execution));
  }
  async loadExecution(executionArn: string): Promise<PersistedExecution | undefined> {
    const execution = this.executions.get(executionArn);
    return execution && structuredClone(execution);
  }
  async saveExecution(execution: ExecutionToSave): Promise<void> {
    const { record } = execution;
    this.executions.set(execution.executionArn, {
      ...structuredClone({ ...execution, record: undefined }),
      record: record instanceof RecordJson ? record.read() : structuredClone(record),
    });
  }
}

/**
 * A journal of JSON files under a data dir: `<dataDir>/machines/<id>.json` and
 * `<dataDir>/executions/<id>.json`, `<id>` being a digest of the ARN (ARNs hold characters file
 * systems refuse, and may be long), plus `<dataDir>/running.log`, which says which executions'
 * latest save is `RUNNING` — the only executions a start-up reads. The log is a line `+<id>` appended
 * before a RUNNING entry is written and `-<id>` after a finished one is, so a kill between the two
 * steps leaves at worst a `+` whose entry says finished (skipped on load). Start-up rewrites it with
 * only the running ids, and so does a save once it has grown past {@link RUNNING_LOG_COMPACT_LINES}
 * (`compactAfterLines`).
 *
 * An execution's first save writes its entry file directly; later saves write a temporary file and
 * rename it over the entry, so a process killed mid-write leaves the previous entry intact. A first
 * save cut by a kill leaves a torn file, read as never saved: its start had not answered yet.
 * Leftover temporary files are ignored on load. Per run that is two new files and one freed (the
 * marker files of earlier versions made it three and two; on ext4 each new inode scans the recently
 * freed ones, and that was a sixth of the local server's CPU per execution).
 *
 * Saves go through `writer` (file-writer.ts): by default the synchronous file calls on this thread,
 * in the local server a thread of their own. Reading one entry is one synchronous read (the start
 * of every run asks whether its name was used; a miss is one failed open). Start-up listings stay
 * asynchronous.
 */
export class FileExecutionJournal implements ExecutionJournal {
  private readonly machinesDir: string;
  private readonly executionsDir: string;
  private readonly runningLog: string;
  private sequence = 0;
  /** Ids this instance knows to be RUNNING; complete once `loadRunning` has read the log. */
  private readonly running = new Set<string>();
  private loaded = false;
  /** Lines appended to the running log since it was last rewritten. */
  private appended = 0;

  private readonly compactAfterLines: number;

  constructor(
    readonly dataDir: string,
    private readonly writer: FileWriter = writeInThisThread,
    options: { compactAfterLines?: number } = {},
  ) {
    this.compactAfterLines = options.compactAfterLines ?? RUNNING_LOG_COMPACT_LINES;
    this.machinesDir = join(dataDir, 'machines');
    this.executionsDir = join(dataDir, 'executions');
    this.runningLog = join(dataDir, 'running.log');
  }

  async loadMachines(): Promise<PersistedMachine[]> {
    const names = await listJson(this.machinesDir);
    return Promise.all(names.map((name) => readJson<PersistedMachine>(join(this.machinesDir, name))));
  }
  async saveMachine(machine: PersistedMachine): Promise<void> {
    await this.writer(this.replace(this.machinesDir, machine.versionArn, machine));
  }
  async removeMachine(versionArn: string): Promise<void> {
    await this.writer([{ op: 'remove', path: join(this.machinesDir, fileName(versionArn)) }]);
  }

  /** Also rewrites the running log with only the ids it returns (and folds in an older version's markers). */
  async loadRunning(): Promise<PersistedExecution[]> {
    const ids = await this.readRunningLog();
    const legacyDir = join(this.dataDir, 'running');
    for (const marker of await listDir(legacyDir)) ids.add(marker.replace(/\.json$/, ''));
    const entries: PersistedExecution[] = [];
    for (const id of [...ids].sort()) {
      const entry = await readEntry(join(this.executionsDir, `${id}.json`));
      if (entry?.record.status === 'RUNNING') entries.push(entry);
    }
    this.running.clear();
    for (const entry of entries) this.running.add(entryId(entry.executionArn));
    this.loaded = true;
    await this.rewriteRunningLog();
    await rm(legacyDir, { recursive: true, force: true });
    return entries;
  }

  async loadExecution(executionArn: string): Promise<PersistedExecution | undefined> {
    const path = join(this.executionsDir, fileName(executionArn));
    // Every new run's name check is a miss: answered by a stat that does not throw, since building
    // the ENOENT error of a failed read was most of its cost (1.8 % of the API thread under load).
    if (!statSync(path, { throwIfNoEntry: false })) return undefined;
    try {
      return parseEntry(readFileSync(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async saveExecution(execution: ExecutionToSave): Promise<void> {
    const id = entryId(execution.executionArn);
    const { record, ...rest } = execution;
    // A record given as text is spliced in as it is: a big one is never walked on this thread.
    const recordText = record instanceof RecordJson ? record.text : JSON.stringify(record);
    const target = join(this.executionsDir, `${id}.json`);
    const entry: FileStep = {
      op: 'replace',
      path: target,
      text: `${JSON.stringify(rest).slice(0, -1)},"record":${recordText}}`,
      temporary: this.temporaryOf(target),
    };
    if (record.status === 'RUNNING') {
      const mark = !this.running.has(id);
      this.running.add(id);
      await this.writer(mark ? [this.logLine(`+${id}`), entry] : [entry]);
    } else {
      this.running.delete(id);
      await this.writer([entry, this.logLine(`-${id}`)]);
    }
    if (this.loaded && this.appended > this.compactAfterLines) await this.rewriteRunningLog();
  }

  /** The running ids the log names (its last line may be torn by a kill: ignored). */
  private async readRunningLog(): Promise<Set<string>> {
    const ids = new Set<string>();
    const text = await readFile(this.runningLog, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    for (const line of text.split('\n')) {
      const id = line.slice(1);
      if (!ENTRY_ID.test(id)) continue;
      if (line[0] === '+') ids.add(id);
      else if (line[0] === '-') ids.delete(id);
    }
    return ids;
  }

  private async rewriteRunningLog(): Promise<void> {
    this.appended = 0;
    const text = [...this.running].map((id) => `+${id}\n`).join('');
    await this.writer([
      { op: 'write', path: `${this.runningLog}.tmp`, text },
      { op: 'rename', from: `${this.runningLog}.tmp`, to: this.runningLog },
    ]);
  }

  private logLine(line: string): FileStep {
    this.appended++;
    return { op: 'append', path: this.runningLog, text: `${line}\n` };
  }

  /** The steps that replace the entry of `arn` in `dir` atomically: a temporary file, renamed over it. */
  private replace(dir: string, arn: string, value: unknown): FileStep[] {
    const target = join(dir, fileName(arn));
    const temporary = this.temporaryOf(target);
    return [
      { op: 'write', path: temporary, text: JSON.stringify(value) },
      { op: 'rename', from: temporary, to: target },
    ];
  }

  private temporaryOf(target: string): string {
    return `${target}.${process.pid}.${++this.sequence}.tmp`;
  }
}

/** Lines appended to the running log before a save rewrites it (~34 bytes each). */
const RUNNING_LOG_COMPACT_LINES = 20_000;

/** An entry's file, parsed; undefined when it is missing or torn (a first save cut by a kill). */
async function readEntry(path: string): Promise<PersistedExecution | undefined> {
  try {
    return parseEntry(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A torn entry (a first save cut by a kill; its start never answered) is no entry. */
function parseEntry(text: string): PersistedExecution | undefined {
  try {
    return JSON.parse(text) as PersistedExecution;
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function listJson(dir: string): Promise<string[]> {
  return (await listDir(dir)).filter((file) => file.endsWith('.json')).sort();
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The file name of an ARN's entry: its id, `.json`. */
function fileName(arn: string): string {
  return `${entryId(arn)}.json`;
}

const ENTRY_ID = /^[0-9a-f]{32}$/;
function entryId(arn: string): string {
  return createHash('sha256').update(arn).digest('hex').slice(0, 32);
}
