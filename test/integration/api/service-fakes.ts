import type { CompileResult } from '../../../lib/compiler/types.ts';
import type { ExecutionRecord } from '../../../lib/runtime/execution-record.ts';
import {
  type DeployedMachine,
  type DeployRequest,
  ExecutionConflictError,
  ExecutionNotFoundError,
  type StartRequest,
  type StartResult,
  type StateMachines,
} from '../../../lib/runtime/state-machines.ts';
import type {
  Deps,
  RegisterTriggersRequest,
  ServiceLogger,
  TriggerRegistrar,
} from '../../../lib/service/deps.ts';
import { createStores } from '../../../lib/store/index.ts';
import { createLocalWebhookSecrets } from '../../../lib/triggers/webhook-secrets.ts';
import type { TestDynalite } from '../../support/dynalite.ts';

/** A StateMachines port in memory: every start stays RUNNING until the test finishes it. */
export class FakeStateMachines implements StateMachines {
  readonly deployed: DeployRequest[] = [];
  readonly started: StartRequest[] = [];
  readonly records = new Map<string, ExecutionRecord>();
  failNextStart: Error | undefined;

  async deploy(request: DeployRequest): Promise<DeployedMachine> {
    this.deployed.push(request);
    const arn = `arn:fake:${request.tenantId}:${request.flowId}`;
    return { stateMachineArn: arn, versionArn: `${arn}:${request.version}` };
  }
  async start(request: StartRequest): Promise<StartResult> {
    if (this.failNextStart) {
      const error = this.failNextStart;
      this.failNextStart = undefined;
      throw error;
    }
    const executionArn = `${request.machine.versionArn}:exec:${request.name}`;
    if (this.records.has(executionArn))
      return { executionArn, startedAt: '2026-01-01T00:00:00.000Z', alreadyStarted: true };
    this.started.push(request);
    this.records.set(executionArn, {
      status: 'RUNNING',
      nodes: {},
      startedAt: request.input.execution.startedAt,
    });
    return { executionArn, startedAt: request.input.execution.startedAt, alreadyStarted: false };
  }
  async describe(executionArn: string): Promise<ExecutionRecord> {
    const record = this.records.get(executionArn);
    if (!record) throw new ExecutionNotFoundError(executionArn);
    return record;
  }
  async stop(executionArn: string): Promise<void> {
    const record = await this.describe(executionArn);
    if (record.status !== 'RUNNING') throw new ExecutionConflictError('not running');
    this.records.set(executionArn, { ...record, status: 'ABORTED', finishedAt: '2026-01-01T00:00:01.000Z' });
  }
  async redrive(executionArn: string): Promise<void> {
    const record = await this.describe(executionArn);
    this.records.set(executionArn, { ...record, status: 'RUNNING' });
  }
  async remove(): Promise<void> {}
}

/** A trigger registrar that remembers what it was asked. */
export class FakeTriggers implements TriggerRegistrar {
  readonly registered: RegisterTriggersRequest[] = [];
  async register(request: RegisterTriggersRequest) {
    this.registered.push(request);
    return {};
  }
  async unregisterAll(): Promise<void> {}
}

export const silentLog: ServiceLogger = { info() {}, warn() {}, error() {} };

/** Deps over real stores on dynalite, with fake machines and triggers. */
export function fakeDeps(dynalite: TestDynalite, compile: Deps['compile']) {
  const stateMachines = new FakeStateMachines();
  const triggers = new FakeTriggers();
  const deps: Deps = {
    stores: createStores(dynalite.client, dynalite.tableName),
    stateMachines,
    compile,
    compileContext: { actionArns: {} },
    triggers,
    resolveWebhookSecrets: createLocalWebhookSecrets().resolve,
    clock: () => new Date(),
    apiBaseUrl: 'http://127.0.0.1:1',
    log: silentLog,
  };
  return { deps, stateMachines, triggers };
}

/** The compile result of a one-Pass machine: for tests whose flows never run their ASL. */
export const passMachine: CompileResult = {
  asl: { StartAt: 'a', States: { a: { Type: 'Pass', End: true } } },
  report: {
    stateMachineType: 'STANDARD',
    definitionBytes: 1,
    states: 1,
    estimatedTransitions: 1,
    addedEdges: [],
    warnings: [],
  },
};
