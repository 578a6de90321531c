import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
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
 * systems refuse, and may be long), plus an empty marker `<dataDir>/running/<id>` while an
 * execution's latest save is `RUNNING` — the only executions a start-up reads. Each save writes a
 * temporary file and renames it over the old one, so a process killed mid-write leaves the previous
 * entry intact; leftover temporary files are ignored on load. The marker is created before a
 * RUNNING entry is written and removed after a finished one is, so a kill between the two steps
 * leaves at worst a marker whose entry says finished (skipped on load).
 *
 * Saves go through `writer` (file-writer.ts): by default the synchronous file calls on this thread,
 * in the local server a thread of their own. Reading one entry is one synchronous read (the start
 * of every run asks whether its name was used; a miss is one failed open). Start-up listings stay
 * asynchronous.
 */
export class FileExecutionJournal implements ExecutionJournal {
  private readonly machinesDir: string;
  private readonly executionsDir: string;
  private readonly runningDir: string;
  private sequence = 0;

  constructor(
    readonly dataDir: string,
    private readonly writer: FileWriter = writeInThisThread,
  ) {
    this.machinesDir = join(dataDir, 'machines');
    this.executionsDir = join(dataDir, 'executions');
    this.runningDir = join(dataDir, 'running');
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

  async loadRunning(): Promise<PersistedExecution[]> {
    const entries: PersistedExecution[] = [];
    for (const marker of (await listDir(this.runningDir)).sort()) {
      const entry = await readJson<PersistedExecution>(join(this.executionsDir, marker)).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        },
      );
      if (entry?.record.status === 'RUNNING') entries.push(entry);
    }
    return entries;
  }

  async loadExecution(executionArn: string): Promise<PersistedExecution | undefined> {
    try {
      const text = readFileSync(join(this.executionsDir, fileName(executionArn)), 'utf8');
      return JSON.parse(text) as PersistedExecution;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async saveExecution(execution: ExecutionToSave): Promise<void> {
    const marker = join(this.runningDir, fileName(execution.executionArn));
    const { record, ...rest } = execution;
    // A record given as text is spliced in as it is: a big one is never walked on this thread.
    const recordText = record instanceof RecordJson ? record.text : JSON.stringify(record);
    const text = `${JSON.stringify(rest).slice(0, -1)},"record":${recordText}}`;
    const entry = this.replaceText(this.executionsDir, execution.executionArn, text);
    await this.writer(
      record.status === 'RUNNING'
        ? [{ op: 'write', path: marker, text: '' }, ...entry]
        : [...entry, { op: 'remove', path: marker }],
    );
  }

  /** The steps that replace the entry of `arn` in `dir` atomically: a temporary file, renamed over it. */
  private replace(dir: string, arn: string, value: unknown): FileStep[] {
    return this.replaceText(dir, arn, JSON.stringify(value));
  }

  /** {@link replace} with the entry's JSON text. */
  private replaceText(dir: string, arn: string, text: string): FileStep[] {
    const target = join(dir, fileName(arn));
    const temporary = `${target}.${process.pid}.${++this.sequence}.tmp`;
    return [
      { op: 'write', path: temporary, text },
      { op: 'rename', from: temporary, to: target },
    ];
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

function fileName(arn: string): string {
  return `${createHash('sha256').update(arn).digest('hex').slice(0, 32)}.json`;
}
