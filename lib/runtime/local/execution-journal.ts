import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AslDefinition } from '../../compiler/types.ts';
import type { ExecutionRecord } from '../execution-record.ts';
import type { MachineInput } from '../state-machines.ts';

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

/**
 * Where local mode keeps deployed machines and executions between process restarts. Saves
 * replace the whole entry; implementations must make each save atomic (a reader never sees a
 * half-written entry) and must not share the objects they are given or return.
 */
export interface ExecutionJournal {
  loadMachines(): Promise<PersistedMachine[]>;
  saveMachine(machine: PersistedMachine): Promise<void>;
  removeMachine(versionArn: string): Promise<void>;
  loadExecutions(): Promise<PersistedExecution[]>;
  saveExecution(execution: PersistedExecution): Promise<void>;
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
  async loadExecutions(): Promise<PersistedExecution[]> {
    return [...this.executions.values()].map((execution) => structuredClone(execution));
  }
  async saveExecution(execution: PersistedExecution): Promise<void> {
    this.executions.set(execution.executionArn, structuredClone(execution));
  }
}

/**
 * A journal of JSON files under a data dir: `<dataDir>/machines/<id>.json` and
 * `<dataDir>/executions/<id>.json`, `<id>` being a digest of the ARN (ARNs hold characters file
 * systems refuse, and may be long). Each save writes a temporary file and renames it over the old
 * one, so a process killed mid-write leaves the previous entry intact; leftover temporary files are
 * ignored on load.
 */
export class FileExecutionJournal implements ExecutionJournal {
  private readonly machinesDir: string;
  private readonly executionsDir: string;
  private sequence = 0;

  constructor(readonly dataDir: string) {
    this.machinesDir = join(dataDir, 'machines');
    this.executionsDir = join(dataDir, 'executions');
  }

  loadMachines(): Promise<PersistedMachine[]> {
    return this.loadAll<PersistedMachine>(this.machinesDir);
  }
  saveMachine(machine: PersistedMachine): Promise<void> {
    return this.write(this.machinesDir, machine.versionArn, machine);
  }
  async removeMachine(versionArn: string): Promise<void> {
    await rm(join(this.machinesDir, fileName(versionArn)), { force: true });
  }
  loadExecutions(): Promise<PersistedExecution[]> {
    return this.loadAll<PersistedExecution>(this.executionsDir);
  }
  saveExecution(execution: PersistedExecution): Promise<void> {
    return this.write(this.executionsDir, execution.executionArn, execution);
  }

  private async write(dir: string, arn: string, value: unknown): Promise<void> {
    await mkdir(dir, { recursive: true });
    const target = join(dir, fileName(arn));
    const temporary = `${target}.${process.pid}.${++this.sequence}.tmp`;
    await writeFile(temporary, JSON.stringify(value));
    await rename(temporary, target);
  }

  private async loadAll<T>(dir: string): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: T[] = [];
    for (const name of names.filter((file) => file.endsWith('.json')).sort()) {
      entries.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as T);
    }
    return entries;
  }
}

function fileName(arn: string): string {
  return `${createHash('sha256').update(arn).digest('hex').slice(0, 32)}.json`;
}
