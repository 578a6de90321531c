import { handleSubflowTask } from '../../lib/service/aws-subflow-task.ts';
import { logger } from '../shared/logger.ts';
import { triggerDeps } from '../triggers/trigger-deps.ts';

/**
 * The subflow Lambda (`<prefix>-action-subflow`): every subflow node's Task invokes it. It starts
 * the child through the service's start path (the table, StartExecution on the deployment's flow
 * machines); a waiting node's `.waitForTaskToken` Task is answered later by the child's status
 * write-back (functions/api/execution-status.ts). Environment: `FLOWFORGE_TABLE_NAME`,
 * `FLOWFORGE_STATE_MACHINE_PREFIX`. It cannot deploy: a child version without a machine fails the node.
 */
export const handler = async (event: unknown): Promise<{ executionId: string; waiting?: boolean }> => {
  const task = event as { nodeId?: unknown; execution?: { id?: unknown } };
  logger.info('subflow begins', { nodeId: task.nodeId, executionId: task.execution?.id });
  return handleSubflowTask(triggerDeps(), event);
};
