import * as z from 'zod';
import { stateMachineNameFor } from '../../lib/runtime/execution-names.ts';
import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { recordExecutionStatus } from '../../lib/service/executions.ts';
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

const machineInputSchema = z.object({ execution: z.object({ id: z.string(), flowId: z.string() }) });

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
 * The EventBridge target for Step Functions status changes of the deployment's flow machines:
 * writes a finished execution's status, nodes, output and error into the store, as the local
 * server's finish hook does. Events of other machines or of unknown executions are ignored.
 */
export const createExecutionStatusHandler =
  (getDeps: () => Deps | Promise<Deps>, log: ServiceLogger, prefix: () => string) =>
  async (event: unknown): Promise<void> => {
    const parsed = statusChangeSchema.safeParse(event);
    if (!parsed.success) {
      log.warn('not a Step Functions status change', { issues: parsed.error.issues.length });
      return;
    }
    const { detail } = parsed.data;
    let input: unknown;
    try {
      input = JSON.parse(detail.input ?? 'null');
    } catch {
      input = null;
    }
    const machine = machineInputSchema.safeParse(input);
    // A version ARN ends in `:<version>`; the machine's name is the part before it.
    const machineName = detail.stateMachineArn.replace(/:\d+$/, '').split(':').at(-1) ?? '';
    const tenant = machine.success
      ? tenantOfMachine(prefix(), machineName, machine.data.execution.flowId)
      : undefined;
    if (!machine.success || tenant === undefined) {
      log.info('status change of a machine this deployment cannot attribute', {
        executionArn: detail.executionArn,
      });
      return;
    }
    await recordExecutionStatus(await getDeps(), tenant, machine.data.execution.id);
  };

/** The deployed handler (an EventBridge rule on `aws.states` status changes targets it). */
// The lean dependencies of the event-driven functions (table + Step Functions reads), not the API's.
export const handler = createExecutionStatusHandler(
  triggerDeps,
  triggerLogger,
  () => process.env.FLOWFORGE_STATE_MACHINE_PREFIX || 'flowforge',
);
