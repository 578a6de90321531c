import type { ExecutionInfo } from '../actions/action.ts';
import type { AslDefinition } from '../compiler/types.ts';
import type { ExecutionRecord } from './execution-record.ts';

/** The input every compiled machine starts with: the trigger payload and the execution facts. */
export interface MachineInput {
  input: unknown;
  execution: ExecutionInfo;
}

export interface DeployRequest {
  tenantId: string;
  flowId: string;
  version: number;
  asl: AslDefinition;
  type: 'STANDARD' | 'EXPRESS';
}

/** A deployed flow version: `versionArn` pins executions to exactly this version. */
export interface DeployedMachine {
  stateMachineArn: string;
  versionArn: string;
}

export interface StartRequest {
  machine: DeployedMachine;
  /** The execution name: derived from the idempotency key, so the same start twice is one execution. */
  name: string;
  input: MachineInput;
}

export interface StartResult {
  executionArn: string;
  startedAt: string;
  /** True when an execution of that name already existed and this start changed nothing. */
  alreadyStarted: boolean;
}

/**
 * The port through which the service deploys and runs compiled machines. Two adapters:
 * `aws-state-machines.ts` (Step Functions SDK) and `local/local-state-machines.ts` (aws-local-stepfunctions).
 */
export interface StateMachines {
  deploy(request: DeployRequest): Promise<DeployedMachine>;
  start(request: StartRequest): Promise<StartResult>;
  /**
   * The ARN `start` will answer for `name` on `machine`, when it is a function of the two (so the
   * record can carry it from its first write); undefined when only the start can tell (Express
   * executions in AWS carry a random part). Adapters without it: the ARN is known after the start.
   */
  executionArnOf?(machine: DeployedMachine, name: string, type: 'STANDARD' | 'EXPRESS'): string | undefined;
  /** Status and per-node results of one execution, in the shape of the execution record. */
  describe(executionArn: string): Promise<ExecutionRecord>;
  stop(executionArn: string, reason: { error: string; cause: string }): Promise<void>;
  /** Restarts a failed, timed out or aborted execution from where it failed. */
  redrive(executionArn: string): Promise<void>;
  /** Removes a flow's machine (when the flow is deleted). */
  remove(machine: DeployedMachine): Promise<void>;
}

/** Base of runtime errors; adapters translate SDK errors into these. */
export class RuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}
export class ExecutionNotFoundError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionNotFound';
  }
}
export class ExecutionConflictError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionConflict';
  }
}
export class InvalidDefinitionError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidDefinition';
  }
}
