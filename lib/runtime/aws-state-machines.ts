import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachineVersionsCommand,
  type LogLevel,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { SFN_NAME_PATTERN, stateMachineNameFor } from './execution-names.ts';
import type { ExecutionRecord } from './execution-record.ts';
import {
  describeFromEvents,
  isExpressExecutionArn,
  machineInputOf,
  readExpressEvents,
} from './express-logs.ts';
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
  /** CloudWatch Logs destination of Standard machines; without it their logging stays off. */
  logging?: { logGroupArn: string; level?: LogLevel; includeExecutionData?: boolean };
  /**
   * The record path of Express machines (they have no execution history): every Express machine
   * logs all events with execution data to `logGroupArn`, and `describe` reads an Express
   * execution's events back from it. Without it, deploying an Express machine is refused.
   */
  expressLogs?: { client: CloudWatchLogsClient; logGroupArn: string };
  /** Published versions kept per machine, newest first (default 20; Step Functions allows 1,000). */
  keepVersions?: number;
  /** Old versions deleted at most per deploy (default 10), so a deploy stays short. */
  maxVersionDeletes?: number;
  /** Injected for tests (the age of Express versions). */
  now?: () => Date;
  /** Told about failures that do not fail the call (old-version cleanup). */
  onWarning?: (message: string, error: unknown) => void;
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

/** Statuses whose executions keep their version: in flight, or possibly redriven later. */
const IN_FLIGHT_OR_REDRIVABLE = ['RUNNING', 'PENDING_REDRIVE', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
/** RedriveExecution accepts executions that stopped at most 14 days ago. */
const REDRIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

/** How long an Express execution may run (Step Functions' limit): a version older than that cannot have one in flight. */
const EXPRESS_MAX_RUN_MS = 5 * 60 * 1000;

/** Names the operation Express executions refuse, for the 409 problem. */
export class ExpressUnsupportedError extends ExecutionConflictError {
  constructor(operation: 'stop' | 'redrive') {
    super(
      `Express executions do not support ${operation}: Step Functions offers ${operation === 'stop' ? 'StopExecution' : 'RedriveExecution'} for Standard workflows only`,
    );
  }
}

/**
 * The StateMachines port on AWS Step Functions. Each flow has one state machine per type (the
 * type is in the name, so a version that changes type deploys a machine of its own); each deploy
 * publishes a new state machine version (`publish: true`) and executions start on that version
 * ARN, so a run stays pinned to the version it started on. After a deploy, published versions
 * beyond the newest `keepVersions` are deleted (at most `maxVersionDeletes` per deploy), except
 * those that may have runs in flight: a Standard version with a RUNNING or PENDING_REDRIVE
 * execution, or one that failed, timed out or was aborted less than 14 days ago (still
 * redrivable) — ListExecutions on the version ARN — and an Express version superseded less than
 * 5 minutes ago (ListExecutions does not serve Express machines; their runs last 5 minutes at most).
 * Express executions are described from their CloudWatch Logs events (`expressLogs`); stop and
 * redrive refuse them with {@link ExpressUnsupportedError}.
 */
export class AwsStateMachines implements StateMachines {
  private readonly client: SFNClient;
  private readonly prefix: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  private readonly now: () => Date;

  constructor(private readonly options: AwsStateMachinesOptions) {
    this.client = options.client;
    this.now = options.now ?? (() => new Date());
    this.prefix = options.namePrefix ?? 'flowforge';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** The name of a flow's machine of one type. */
  machineName(tenantId: string, flowId: string, type: 'STANDARD' | 'EXPRESS' = 'STANDARD'): string {
    return stateMachineNameFor(this.prefix, tenantId, flowId, type);
  }

  /**
   * Validates the ASL (diagnostics of severity ERROR → InvalidDefinitionError), then creates the
   * machine of the version's type with `publish: true`, or — when it exists — updates it with
   * `publish: true`; then deletes old versions (see the class). Express machines log every event
   * with execution data to the Express log group (their only record); Standard ones use `logging`.
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
    const name = this.machineName(request.tenantId, request.flowId, request.type);
    const versionDescription = `flow ${request.flowId} version ${request.version}`;
    const loggingConfiguration = this.loggingFor(request.type);
    const tracingConfiguration = { enabled: this.options.tracing ?? true };
    let machine: DeployedMachine | undefined;
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
      machine = deployed(created.stateMachineArn, created.stateMachineVersionArn);
    } catch (error) {
      if (nameOf(error) !== 'StateMachineAlreadyExists') throw error;
    }
    if (!machine) {
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
      machine = deployed(stateMachineArn, updated.stateMachineVersionArn);
      // Cleanup never fails a deploy that published: the next deploy tries again.
      await this.pruneVersions(machine, request.type).catch((error: unknown) =>
        this.options.onWarning?.('old state machine versions were not deleted', error),
      );
    }
    return machine;
  }

  private loggingFor(type: 'STANDARD' | 'EXPRESS') {
    if (type === 'EXPRESS') {
      if (!this.options.expressLogs)
        throw new RuntimeError('Express machines need the Express log group: their record is read from it');
      return {
        level: 'ALL' as const,
        includeExecutionData: true,
        destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: this.options.expressLogs.logGroupArn } }],
      };
    }
    return this.options.logging
      ? {
          level: this.options.logging.level ?? 'ERROR',
          includeExecutionData: this.options.logging.includeExecutionData ?? false,
          destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: this.options.logging.logGroupArn } }],
        }
      : undefined;
  }

  /**
   * Deletes published versions beyond the newest `keepVersions`, oldest first and at most
   * `maxVersionDeletes`, never the one just published, never one that may have runs in flight.
   */
  private async pruneVersions(machine: DeployedMachine, type: 'STANDARD' | 'EXPRESS'): Promise<void> {
    const keep = this.options.keepVersions ?? 20;
    const versions: Array<{ arn: string; created?: Date }> = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListStateMachineVersions', () =>
        this.client.send(
          new ListStateMachineVersionsCommand({
            stateMachineArn: machine.stateMachineArn,
            maxResults: 1000,
            nextToken,
          }),
        ),
      );
      for (const version of page?.stateMachineVersions ?? [])
        if (version.stateMachineVersionArn)
          versions.push({ arn: version.stateMachineVersionArn, created: version.creationDate });
      nextToken = page?.nextToken;
    } while (nextToken);
    const newestFirst = versions.sort((a, b) => versionNumber(b.arn) - versionNumber(a.arn));
    const old = newestFirst
      .slice(keep)
      .filter((version) => version.arn !== machine.versionArn)
      .reverse();
    let deletes = this.options.maxVersionDeletes ?? 10;
    for (const version of old) {
      if (deletes <= 0) break;
      if (await this.mayHaveRunsInFlight(version, newestFirst, type)) continue;
      await this.call('DeleteStateMachineVersion', () =>
        this.client.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: version.arn })),
      );
      deletes -= 1;
    }
  }

  private async mayHaveRunsInFlight(
    version: { arn: string; created?: Date },
    newestFirst: ReadonlyArray<{ arn: string; created?: Date }>,
    type: 'STANDARD' | 'EXPRESS',
  ): Promise<boolean> {
    if (type === 'EXPRESS') {
      // ListExecutions does not serve Express machines; an Express run lasts at most 5 minutes, so
      // a version whose successor was published longer ago than that has none left.
      const successor = newestFirst[newestFirst.indexOf(version as never) - 1];
      const since = successor?.created?.getTime();
      return since === undefined || this.now().getTime() - since < EXPRESS_MAX_RUN_MS;
    }
    // In flight: RUNNING or PENDING_REDRIVE. Redrivable (RedriveExecution works up to 14 days after
    // the stop): the newest FAILED, TIMED_OUT or ABORTED execution stopped within that window.
    for (const statusFilter of IN_FLIGHT_OR_REDRIVABLE) {
      const page = await this.call('ListExecutions', () =>
        this.client.send(
          new ListExecutionsCommand({ stateMachineArn: version.arn, maxResults: 1, statusFilter }),
        ),
      );
      const newest = page?.executions?.[0];
      if (!newest) continue;
      if (statusFilter === 'RUNNING' || statusFilter === 'PENDING_REDRIVE') return true;
      const stopped = newest.stopDate?.getTime() ?? this.now().getTime();
      if (this.now().getTime() - stopped < REDRIVE_WINDOW_MS) return true;
    }
    return false;
  }

  /**
   * Standard: `arn:…:execution:<machine>:<name>` (also for a start on a version ARN — the version is
   * in the execution's `stateMachineVersionArn`, not its ARN). Express: undefined, its ARN
   * (`arn:…:express:<machine>:<name>:<random id>`) is known only once started.
   */
  executionArnOf(machine: DeployedMachine, name: string, type: 'STANDARD' | 'EXPRESS'): string | undefined {
    return type === 'STANDARD' ? executionArnOf(machine.stateMachineArn, name) : undefined;
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

  /**
   * Standard: DescribeExecution + the whole (paginated) GetExecutionHistory → the execution
   * record. Express (no history in Step Functions): the execution's events from the Express log
   * group → the same record; RUNNING until its terminal event is logged.
   */
  async describe(executionArn: string): Promise<ExecutionRecord> {
    if (isExpressExecutionArn(executionArn)) {
      const logs = this.options.expressLogs;
      if (!logs)
        throw new RuntimeError('Express executions are read from the Express log group, which is not set');
      const events = await this.call('FilterLogEvents', () =>
        readExpressEvents(logs.client, logs.logGroupArn, executionArn),
      );
      return historyToRecord(describeFromEvents(events), events);
    }
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

  /**
   * The machine input `{ input, execution }` of an execution (who it belongs to), for a status
   * event that carried none: DescribeExecution's `input` — retried while DescribeExecution does
   * not know the execution yet (it is eventually consistent) — or, for Express, the logged
   * ExecutionStarted event. `undefined` when it cannot be read.
   */
  async machineInput(
    executionArn: string,
    options: { attempts?: number; delayMs?: number } = {},
  ): Promise<unknown> {
    if (isExpressExecutionArn(executionArn)) {
      const logs = this.options.expressLogs;
      if (!logs) return undefined;
      const events = await this.call('FilterLogEvents', () =>
        readExpressEvents(logs.client, logs.logGroupArn, executionArn),
      );
      return machineInputOf(events);
    }
    const attempts = options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        const description = await this.call('DescribeExecution', () =>
          this.client.send(new DescribeExecutionCommand({ executionArn })),
        );
        return description.input === undefined ? undefined : JSON.parse(description.input);
      } catch (error) {
        if (!(error instanceof ExecutionNotFoundError) || attempt >= attempts) throw error;
        await this.sleep((options.delayMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  }

  /** StopExecution; an Express execution is refused with {@link ExpressUnsupportedError} (409) without a call. */
  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    if (isExpressExecutionArn(executionArn)) throw new ExpressUnsupportedError('stop');
    await this.call('StopExecution', () =>
      this.client.send(new StopExecutionCommand({ executionArn, error: reason.error, cause: reason.cause })),
    );
  }

  /** RedriveExecution; an Express execution is refused with {@link ExpressUnsupportedError} (409) without a call. */
  async redrive(executionArn: string): Promise<void> {
    if (isExpressExecutionArn(executionArn)) throw new ExpressUnsupportedError('redrive');
    await this.call('RedriveExecution', () =>
      this.client.send(new RedriveExecutionCommand({ executionArn })),
    );
  }

  /**
   * Deletes the flow's machine with all its versions, and its machine of the other type (a flow
   * that changed type has both); an already deleted machine is fine. (A hashed name's sibling
   * cannot be derived and stays; it holds no executions once its versions are idle.)
   */
  async remove(machine: DeployedMachine): Promise<void> {
    const arns = [machine.stateMachineArn];
    const sibling = siblingMachineArn(machine.stateMachineArn);
    if (sibling) arns.push(sibling);
    for (const stateMachineArn of arns) {
      try {
        await this.call('DeleteStateMachine', () =>
          this.client.send(new DeleteStateMachineCommand({ stateMachineArn })),
        );
      } catch (error) {
        if (!(error instanceof ExecutionNotFoundError)) throw error;
      }
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

/** The ARN of the flow's machine of the other type, when the name is not a hashed one. */
function siblingMachineArn(stateMachineArn: string): string | undefined {
  const name = stateMachineArn.split(':').at(-1) ?? '';
  const siblingName = name.endsWith('-express') ? name.slice(0, -'-express'.length) : `${name}-express`;
  if (!SFN_NAME_PATTERN.test(siblingName)) return undefined;
  return `${stateMachineArn.slice(0, stateMachineArn.length - name.length)}${siblingName}`;
}

/** The number at the end of a version ARN (`…:stateMachine:<name>:<n>`). */
const versionNumber = (versionArn: string): number => Number(versionArn.split(':').at(-1)) || 0;

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
