import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { startExecution } from '../../lib/service/start-execution.ts';
import { fireScheduledTrigger } from '../../lib/triggers/schedule-trigger.ts';

type GetDeps = () => Deps | Promise<Deps>;

/**
 * The schedule trigger Lambda, EventBridge Scheduler's target: its event is the schedule's Input
 * (`{ tenantId, flowId, triggerId, version, input, scheduledTime }`). One execution per scheduled
 * instant (idempotency key `schedule:<triggerId>:<scheduledTime>`); an error propagates so the
 * invocation is retried and then dead-lettered.
 */
export const createScheduleTriggerHandler =
  (getDeps: GetDeps, log: ServiceLogger) =>
  async (event: unknown): Promise<{ executionId: string; alreadyStarted: boolean }> => {
    const deps = await getDeps();
    const started = await fireScheduledTrigger(event, {
      startExecution: (request) => startExecution(deps, request),
    });
    log.info('schedule fired', { ...started });
    return { executionId: started.executionId, alreadyStarted: started.alreadyStarted };
  };
