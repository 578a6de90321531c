import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type LogLevel,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { stateMachineNameFor } from './execution-names.ts';
import type { ExecutionRecord } from './execution-record.ts';
import { historyToRecord } from './history-to-record.ts';
import {
  type DeployedMachine,
  type DeployRequest,
  ExecutionConflictError,
  ExecutionNotFoundError,
  InvalidDefinitionError,
  RuntimeError,
  type StartRequest,
  type StartResult,
  type StateMachines,
} from './state-machines.ts';

/** Options of the AWS adapter. */
export interface AwsStateMachinesOptions {
  client: SFNClient;
  /** The role every flow machine runs with (it may invoke the action Lambdas). */
  roleArn: string;
  /** Machines are named `<prefix>-<tenant>-<flowId>`; default `flowforge`. */
  namePrefix?: string;
  /** CloudWatch Logs destination; without it logging stays off. */
  logging?: { logGroupArn: string; level?: LogLevel; includeExecutionData?: boolean };
  /** X-Ray tracing of executions (default true). */
  tracing?: boolean;
  tags?: Record<string, string>;
  /** Attempts per SDK call on throttling (default 6), backoff base and cap in ms (200, 10 000). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/**
 * The StateMachines port on AWS Step Functions. Each flow is one state machine; each deploy
 * publishes a new state machine version (`publish: true`) and executions start on that version
 * ARN, so a run stays pinned to the version it started on.
 */
export class AwsStateMachines implements StateMachines {
  private readonly client: SFNClient;
  private readonly prefix: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: AwsStateMachinesOptions) {
    this.client = options.client;
    this.prefix = options.namePrefix ?? 'flowforge';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** The name of a flow's machine. */
  machineName(tenantId: string, flowId: string): string {
    return stateMachineNameFor(this.prefix, tenantId, flowId);
  }

  /**
   * Validates the ASL (diagnostics of severity ERROR → InvalidDefinitionError), then creates the
   * machine with `publish: true`, or — when it exists — updates it with `publish: true`.
   */
  async deploy(request: DeployRequest): Promise<DeployedMachine> {
    const definition = JSON.stringify(request.asl);
    const validation = await this.call('ValidateStateMachineDefinition', () =>
      this.client.send(new ValidateStateMachineDefinitionCommand({ definition, type: request.type })),
    );
    if (validation.result === 'FAIL') {
      const diagnostics = (validation.diagnostics ?? [])
        .filter((d) => d.severity === 'ERROR')
        .map((d) => `${d.code ?? 'ERROR'}: ${d.message ?? ''}${d.location ? ` (at ${d.location})` : ''}`);
      throw new InvalidDefinitionError(`Step Functions rejected the definition: ${diagnostics.join('; ')}`, {
        cause: validation.diagnostics,
      });
    }
    const name = this.machineName(request.tenantId, request.flowId);
    const versionDescription = `flow ${request.flowId} version ${request.version}`;
    const loggingConfiguration = this.options.logging
      ? {
          level: this.options.logging.level ?? 'ERROR',
          includeExecutionData: this.options.logging.includeExecutionData ?? false,
          destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: this.options.logging.logGroupArn } }],
        }
      : undefined;
    const tracingConfiguration = { enabled: this.options.tracing ?? true };
    try {
      const created = await this.call('CreateStateMachine', () =>
        this.client.send(
          new CreateStateMachineCommand({
            name,
            definition,
            roleArn: this.options.roleArn,
            type: request.type,
            publish: true,
            versionDescription,
            loggingConfiguration,
            tracingConfiguration,
            tags: this.options.tags
              ? Object.entries(this.options.tags).map(([key, value]) => ({ key, value }))
              : undefined,
          }),
        ),
      );
      return deployed(created.stateMachineArn, created.stateMachineVersionArn);
    } catch (error) {
      if (nameOf(error) !== 'StateMachineAlreadyExists') throw error;
    }
    const stateMachineArn = await this.machineArn(name);
    const updated = await this.call('UpdateStateMachine', () =>
      this.client.send(
        new UpdateStateMachineCommand({
          stateMachineArn,
          definition,
          roleArn: this.options.roleArn,
          publish: true,
          versionDescription,
          loggingConfiguration,
          tracingConfiguration,
        }),
      ),
    );
    return deployed(stateMachineArn, updated.stateMachineVersionArn);
  }

  /**
   * Starts on the version ARN with the given name. A second start with that name answers the
   * first execution with `alreadyStarted: true` when its input is the same, and
   * ExecutionConflictError when it differs. (For a still-running Standard execution with the same
   * input Step Functions itself answers the original start; that case reads `alreadyStarted: false`.)
   */
  async start(request: StartRequest): Promise<StartResult> {
    const input = JSON.stringify(request.input);
    try {
      const started = await this.call('StartExecution', () =>
        this.client.send(
          new StartExecutionCommand({
            stateMachineArn: request.machine.versionArn,
            name: request.name,
            input,
          }),
        ),
      );
      if (!started.executionArn) throw new RuntimeError('StartExecution answered no executionArn');
      return {
        executionArn: started.executionArn,
        startedAt: (started.startDate ?? new Date()).toISOString(),
        alreadyStarted: false,
      };
    } catch (error) {
      if (nameOf(error) !== 'ExecutionAlreadyExists') throw error;
      const executionArn = executionArnOf(request.machine.stateMachineArn, request.name);
      const existing = await this.call('DescribeExecution', () =>
        this.client.send(new DescribeExecutionCommand({ executionArn })),
      );
      if (!sameJson(existing.input, input)) {
        throw new ExecutionConflictError(`execution ${request.name} already exists with another input`, {
          cause: error,
        });
      }
      return {
        executionArn,
        startedAt: (existing.startDate ?? new Date()).toISOString(),
        alreadyStarted: true,
      };
    }
  }

  /** DescribeExecution + the whole (paginated) GetExecutionHistory → the execution record. */
  async describe(executionArn: string): Promise<ExecutionRecord> {
    const description = await this.call('DescribeExecution', () =>
      this.client.send(new DescribeExecutionCommand({ executionArn })),
    );
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('GetExecutionHistory', () =>
        this.client.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: 1000,
            nextToken,
            includeExecutionData: true,
          }),
        ),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return historyToRecord(description, events);
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    await this.call('StopExecution', () =>
      this.client.send(new StopExecutionCommand({ executionArn, error: reason.error, cause: reason.cause })),
    );
  }

  async redrive(executionArn: string): Promise<void> {
    await this.call('RedriveExecution', () =>
      this.client.send(new RedriveExecutionCommand({ executionArn })),
    );
  }

  /** Deletes the flow's machine with all its versions; an already deleted machine is fine. */
  async remove(machine: DeployedMachine): Promise<void> {
    try {
      await this.call('DeleteStateMachine', () =>
        this.client.send(new DeleteStateMachineCommand({ stateMachineArn: machine.stateMachineArn })),
      );
    } catch (error) {
      if (!(error instanceof ExecutionNotFoundError)) throw error;
    }
  }

  /** The ARN of a machine by name: the role's partition and account, the client's region. */
  private async machineArn(name: string): Promise<string> {
    const [, partition = 'aws', , , account] = this.options.roleArn.split(':');
    const region = await this.client.config.region();
    return `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
  }

  /** One SDK call: throttling retried with full-jitter exponential backoff; errors translated. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    const base = this.options.baseDelayMs ?? 200;
    const cap = this.options.maxDelayMs ?? 10_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (isThrottling(error) && attempt < maxAttempts) {
          await this.sleep(Math.floor(this.random() * Math.min(cap, base * 2 ** (attempt - 1))));
          continue;
        }
        throw translate(operation, error);
      }
    }
  }
}

function deployed(stateMachineArn: string | undefined, versionArn: string | undefined): DeployedMachine {
  if (!stateMachineArn || !versionArn) throw new RuntimeError('Step Functions answered no version ARN');
  return { stateMachineArn, versionArn };
}

/** `arn:…:stateMachine:<name>` → `arn:…:execution:<name>:<executionName>` (also for version starts). */
function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

function sameJson(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return JSON.stringify(canonical(JSON.parse(a))) === JSON.stringify(canonical(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function nameOf(error: unknown): string | undefined {
  if (error instanceof RuntimeError) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.name : undefined;
  }
  return error instanceof Error ? error.name : undefined;
}

function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return THROTTLING.has(error.name) || retryable?.throttling === true;
}

function translate(operation: string, error: unknown): Error {
  if (error instanceof RuntimeError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'ExecutionDoesNotExist':
    case 'StateMachineDoesNotExist':
    case 'ResourceNotFound':
    case 'InvalidArn':
      return new ExecutionNotFoundError(`${operation}: ${message}`, { cause: error });
    case 'ExecutionNotRedrivable':
    case 'ExecutionLimitExceeded':
    case 'ConflictException':
    case 'StateMachineDeleting':
      return new ExecutionConflictError(`${operation}: ${message}`, { cause: error });
    case 'InvalidDefinition':
      return new InvalidDefinitionError(`${operation}: ${message}`, { cause: error });
    case 'StateMachineAlreadyExists':
    case 'ExecutionAlreadyExists':
      // Handled by the caller (create → update, start → describe); keep the SDK error visible.
      return error as Error;
    default:
      return new RuntimeError(`${operation} failed: ${name}: ${message}`, { cause: error });
  }
}
