import type { ExecutionInfo } from '../actions/action.ts';
import { executionNameFor } from '../runtime/execution-names.ts';
import type { DeployedMachine } from '../runtime/state-machines.ts';
import { AlreadyExistsError } from '../store/errors.ts';
import type { ExecutionItem, FlowVersion } from '../store/types.ts';
import { checkInputSchema } from '../triggers/check-input-schema.ts';
import type { StartExecutionRequest, StartExecutionResult } from '../triggers/start-execution-port.ts';
import type { Deps } from './deps.ts';
import { IdempotencyKeyReusedError, RequestTooLargeError, RequestValidationError } from './errors.ts';
import { loadFlowVersion } from './flow-versions.ts';

export type { StartExecutionRequest, StartExecutionResult } from '../triggers/start-execution-port.ts';

/** What the start path needs of the service's deps (the subflow function has no more). */
export type StartDeps = Pick<Deps, 'stores' | 'stateMachines' | 'log' | 'clock'>;

/**
 * The one start path of every trigger (API `execute`, webhook, schedule, queue, a parent's subflow).
 *
 * - Loads the flow version (the latest unless `version` is given); an unknown or deleted flow or
 *   version throws the store's `NotFoundError`.
 * - Checks `input` against the flow's `inputSchema`, if it has one (`RequestValidationError`, each
 *   issue at a JSON pointer under `/input`).
 * - Same `idempotencyKey` → same execution: the execution id is the state machine execution name
 *   derived from the key, so a second start meets the first one's record in the conditional create,
 *   and the state machine refuses a second start of that name. A RUNNING record found so is started
 *   again by name (its first writer may have died before the start), which starts nothing new.
 * - Records the execution (RUNNING, with its ARN when the port can plan it) and starts it via the
 *   StateMachines port, deploying the version first if it has no machine yet: one store write for a
 *   start (two where the ARN is known only after the start). A start that fails marks the record
 *   FAILED and rethrows.
 */
export async function startExecution(
  deps: StartDeps,
  request: StartExecutionRequest,
): Promise<StartExecutionResult> {
  const { executions, flows } = deps.stores;
  const { tenantId, flowId } = request;

  const { version: flow } = await loadFlowVersion(flows, tenantId, flowId, request.version);
  const input = request.input === undefined ? {} : request.input;
  checkExecutionInputSize(input);
  if (flow.definition.inputSchema) {
    const issues = checkInputSchema(flow.definition.inputSchema, input);
    if (issues.length > 0) {
      throw new RequestValidationError(
        `input does not match the input schema of flow ${flowId}`,
        issues.map((issue) => ({ path: `/input${issue.path}`, message: issue.message })),
      );
    }
  }

  // The execution id is the key's (the state machine execution name of the key): the conditional
  // create on it is the idempotency, and the ARN follows from it where the state machine allows.
  const executionId = executionNameFor(request.trigger.type, request.idempotencyKey);
  const machine = await machineOf(deps, flow);
  const plannedArn = deps.stateMachines.executionArnOf?.(machine, executionId, flow.report.stateMachineType);
  let record: ExecutionItem;
  let created: boolean;
  try {
    const result = await executions.create(tenantId, {
      executionId,
      flowId,
      version: flow.version,
      trigger: request.trigger,
      input,
      idempotencyKey: request.idempotencyKey,
      ...(request.requestHash === undefined ? {} : { requestHash: request.requestHash }),
      ...(request.parent === undefined ? {} : { parent: request.parent }),
      ...(plannedArn === undefined ? {} : { executionArn: plannedArn }),
      status: 'RUNNING',
    });
    record = result.execution;
    created = result.created;
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const existing = await executions.get(tenantId, executionId);
    assertSameRequest(existing, request);
    return alreadyStarted(existing);
  }
  if (!created) {
    assertSameRequest(record, request);
    // A RUNNING record may have been written by a start that died before the state machine had it
    // (its ARN, when planned, does not tell): start it (again) — the execution name makes that one run.
    if (!mayNeedStart(record, plannedArn)) return alreadyStarted(record);
  }

  const execution: ExecutionInfo = {
    id: record.executionId,
    startedAt: record.startedAt,
    flowId,
    version: record.version,
    trigger: record.trigger,
    tenant: request.tenantId,
    ...(record.parent === undefined ? {} : { depth: record.parent.depth }),
  };
  const logStarted = () =>
    deps.log.info('run started', {
      executionId: record.executionId,
      flow: flow.name,
      flowId,
      version: record.version,
      trigger:
        record.trigger.id === null ? record.trigger.type : `${record.trigger.type}:${record.trigger.id}`,
    });
  // Before the start: the run's first lines (a log node's message) may come before start answers.
  // A start of a record found written logs only once the state machine says it was new.
  if (created) logStarted();
  try {
    const started = await deps.stateMachines.start({
      machine,
      name: record.executionId,
      input: { input: record.input, execution },
    });
    if (!created && !started.alreadyStarted) logStarted();
    // Only where the ARN could not be planned (Express in AWS, older records): one more write.
    const updated =
      record.executionArn === started.executionArn
        ? record
        : await executions.update(tenantId, record.executionId, { executionArn: started.executionArn });
    return {
      executionId: updated.executionId,
      status: updated.status,
      // A start that found the record written before did not start this execution, as far as its
      // caller can tell (Step Functions answers a repeated Standard start while running as if new).
      alreadyStarted: started.alreadyStarted || !created,
    };
  } catch (error) {
    await executions
      .update(
        tenantId,
        record.executionId,
        {
          status: 'FAILED',
          finishedAt: deps.clock().toISOString(),
          error: { error: 'StartFailed', cause: 'the execution could not be started' },
        },
        { onlyIfStatus: ['RUNNING'] },
      )
      .catch((cleanupError: unknown) =>
        deps.log.warn('could not mark an execution that failed to start', {
          executionId: record.executionId,
          error: String(cleanupError),
        }),
      );
    throw error;
  }
}

/** The same idempotency key with another request body is refused (422), never answered as the first run. */
const assertSameRequest = (known: ExecutionItem, request: StartExecutionRequest): void => {
  if (known.requestHash === undefined || request.requestHash === undefined) return;
  if (known.requestHash !== request.requestHash) {
    throw new IdempotencyKeyReusedError(
      `Idempotency-Key already started execution ${known.executionId} with another request body`,
    );
  }
};

/** StartExecution's `input` limit: 256 KiB of UTF-8 (the machine input is `{ input, execution }`). */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;
/** Room kept for the `execution` facts the start path adds beside the input. */
const EXECUTION_FACTS_BYTES = 1024;

/**
 * Refuses, before anything is recorded or started, an input that would make the machine input
 * exceed Step Functions' 256 KiB: 413 naming `/input` (AWS would refuse StartExecution; locally the
 * strict runtime would). Larger data belongs in the payload store or behind a URL.
 */
function checkExecutionInputSize(input: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? 'null');
  if (bytes + EXECUTION_FACTS_BYTES <= MAX_EXECUTION_INPUT_BYTES) return;
  const message = `the input is ${bytes} bytes; an execution input may be at most ${MAX_EXECUTION_INPUT_BYTES - EXECUTION_FACTS_BYTES} bytes (Step Functions' 256 KiB, less the execution facts)`;
  throw new RequestTooLargeError(message, [{ path: '/input', message }]);
}

/**
 * A record that may have been written but never handed to the state machine (the writer died or is
 * mid-start): RUNNING, and either without an ARN or with the planned one (written before the start).
 */
const mayNeedStart = (execution: ExecutionItem, plannedArn: string | undefined): boolean =>
  execution.status === 'RUNNING' &&
  (execution.executionArn === undefined || execution.executionArn === plannedArn);

const alreadyStarted = (execution: ExecutionItem): StartExecutionResult => ({
  executionId: execution.executionId,
  status: execution.status,
  alreadyStarted: true,
});

/** The deployed machine of a version, deploying it now if the save did not (or its deploy failed). */
export async function machineOf(deps: StartDeps, flow: FlowVersion): Promise<DeployedMachine> {
  if (flow.machine) return flow.machine;
  const machine = await deps.stateMachines.deploy({
    tenantId: flow.tenant,
    flowId: flow.flowId,
    version: flow.version,
    asl: flow.compiled,
    type: flow.report.stateMachineType,
  });
  try {
    await deps.stores.flows.setMachine(flow.tenant, flow.flowId, flow.version, machine);
  } catch (error) {
    // Another start deployed the same version first; its record wins and names the same machine.
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  return machine;
}
