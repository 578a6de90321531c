import { gunzipSync } from 'node:zlib';
import * as z from 'zod';
import type { AwsStateMachines } from '../../lib/runtime/aws-state-machines.ts';
import { stateMachineNameFor } from '../../lib/runtime/execution-names.ts';
import { TERMINAL_EVENT_STATUS, toHistoryEvent } from '../../lib/runtime/express-logs.ts';
import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { type RecordRetry, recordExecutionStatus } from '../../lib/service/executions.ts';
import { triggerDeps, triggerLogger } from '../triggers/trigger-deps.ts';

/** The part of EventBridge's "Step Functions Execution Status Change" event this handler reads. */
const statusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.string().nullish(),
  }),
});

const machineInputSchema = z.object({
  execution: z.object({ id: z.string(), flowId: z.string(), tenant: z.string().optional() }),
});

/** A CloudWatch Logs subscription delivery (the Express log group's terminal events). */
const logsDeliverySchema = z.object({ awslogs: z.object({ data: z.string() }) });
const logsBatchSchema = z.object({ logEvents: z.array(z.object({ message: z.string() })) });

/** What the handler needs besides the deps. */
export interface ExecutionStatusOptions extends RecordRetry {
  /**
   * The machine input `{ input, execution }` of an execution whose event carried none: EventBridge
   * may omit `detail.input`, and Express log events never carry it (default: none — unattributable).
   */
  readInput?: (executionArn: string) => Promise<unknown>;
}

/**
 * The tenant of a flow machine's name `<prefix>-<tenant>-<flowId>`, checked by building the name
 * again; `undefined` for a name that had to be shortened with a hash (the status then arrives
 * when the execution is read).
 */
export const tenantOfMachine = (prefix: string, machineName: string, flowId: string): string | undefined => {
  const head = `${prefix}-`;
  const tail = `-${flowId}`;
  if (!machineName.startsWith(head) || !machineName.endsWith(tail)) return undefined;
  const tenant = machineName.slice(head.length, machineName.length - tail.length);
  return tenant !== '' && stateMachineNameFor(prefix, tenant, flowId) === machineName ? tenant : undefined;
};

/**
 * The target of finished runs of the deployment's flow machines, writing a finished execution's
 * status, nodes, output and error into the store, as the local server's finish hook does:
 * - Standard runs: EventBridge's "Step Functions Execution Status Change" event. The run is named by
 *   the event itself (`detail.executionArn`; the tenant from `detail.input` when EventBridge
 *   included it, else from `readInput`, i.e. DescribeExecution, retried while it lags).
 * - Express runs (no status events): the CloudWatch Logs subscription of the Express log group,
 *   filtered to the terminal event types; the tenant comes from the run's logged ExecutionStarted.
 * The record read is retried while the history lags (see `recordExecutionStatus`); an error makes
 * the invocation fail, so the event is delivered again and finally lands in the status DLQ.
 * Events of other machines or of unknown executions are ignored.
 */
export function createExecutionStatusHandler(
  getDeps: () => Deps | Promise<Deps>,
  log: ServiceLogger,
  prefix: () => string,
  options: ExecutionStatusOptions = {},
): (event: unknown) => Promise<void> {
  const record = async (executionArn: string, stateMachineArn?: string, inputText?: string) => {
    let input: unknown;
    try {
      input = inputText === undefined ? await options.readInput?.(executionArn) : JSON.parse(inputText);
    } catch {
      input = undefined;
    }
    // A version ARN ends in `:<version>`; the machine's name is the part before it.
    const machineName = (stateMachineArn ?? '').replace(/:\d+$/, '').split(':').at(-1) ?? '';
    // A Distributed Map's child execution (a forEach item) runs `<machine>/<map run label>`: its
    // input looks like a run's (the item's ItemSelector), but it is part of its parent's run.
    if (machineName.includes('/')) {
      log.info('status change of a forEach item (Distributed Map child execution)', { executionArn });
      return;
    }
    const machine = machineInputSchema.safeParse(input);
    const tenant = machine.success
      ? (machine.data.execution.tenant ??
        tenantOfMachine(prefix(), machineName, machine.data.execution.flowId))
      : undefined;
    if (!machine.success || tenant === undefined) {
      log.info('status change of a machine this deployment cannot attribute', { executionArn });
      return;
    }
    await recordExecutionStatus(await getDeps(), tenant, machine.data.execution.id, options);
  };

  return async (event) => {
    const delivery = logsDeliverySchema.safeParse(event);
    if (delivery.success) {
      for (const executionArn of terminalExpressRuns(delivery.data.awslogs.data, log))
        await record(executionArn);
      return;
    }
    const parsed = statusChangeSchema.safeParse(event);
    if (!parsed.success) {
      log.warn('not a Step Functions status change', { issues: parsed.error.issues.length });
      return;
    }
    const { detail } = parsed.data;
    await record(detail.executionArn, detail.stateMachineArn, detail.input ?? undefined);
  };
}

/** The execution ARNs of the terminal events in one CloudWatch Logs delivery (base64 gzip JSON). */
function terminalExpressRuns(data: string, log: ServiceLogger): string[] {
  let batch: z.infer<typeof logsBatchSchema>;
  try {
    batch = logsBatchSchema.parse(JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')));
  } catch {
    log.warn('not a CloudWatch Logs delivery', {});
    return [];
  }
  const arns = new Set<string>();
  for (const { message } of batch.logEvents) {
    const event = toHistoryEvent(message);
    if (event?.type && event.type in TERMINAL_EVENT_STATUS && event.executionArn)
      arns.add(event.executionArn);
  }
  return [...arns];
}

/** The deployed handler (the status rule and the Express log subscription target it). */
// The lean dependencies of the event-driven functions (table + Step Functions reads), not the API's.
export const handler = createExecutionStatusHandler(
  triggerDeps,
  triggerLogger,
  () => process.env.FLOWFORGE_STATE_MACHINE_PREFIX || 'flowforge',
  {
    readInput: (executionArn) => (triggerDeps().stateMachines as AwsStateMachines).machineInput(executionArn),
  },
);
