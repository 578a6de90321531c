import type { TriggerRegistration, TriggerStateStorePort } from '../store/types.ts';
import type { Schedules } from '../triggers/schedules.ts';
import { scheduleTriggersOf } from '../triggers/schedules.ts';
import type { WebhookSecrets } from '../triggers/webhook-secrets.ts';
import type { RegisterTriggersRequest, TriggerRegistrar } from './deps.ts';

/**
 * The trigger registrar over the trigger state store, the `Schedules` port and the webhook secrets:
 * a version's webhook, schedule and queue triggers become the flow's registrations (a webhook
 * keeps its secret across versions while its trigger id stays; a new webhook gets a new secret,
 * returned once), schedules go to the scheduler, triggers the version dropped are removed.
 */
export function createTriggerRegistrar(options: {
  triggerState: TriggerStateStorePort;
  schedules: Schedules;
  secrets: Pick<WebhookSecrets, 'create' | 'remove'>;
}): TriggerRegistrar {
  const { triggerState, schedules, secrets } = options;
  return {
    async register(request: RegisterTriggersRequest) {
      const { tenantId, flowId, version } = request;
      const existing = new Map(
        (await triggerState.listRegistrations(tenantId, flowId)).map((registration) => [
          registration.triggerId,
          registration,
        ]),
      );
      const shown: Record<string, { secret?: string }> = {};
      const wanted = new Set<string>();
      for (const trigger of request.triggers) {
        if (trigger.type === 'manual') continue;
        wanted.add(trigger.id);
        const previous = existing.get(trigger.id);
        const registration: Omit<TriggerRegistration, 'updatedAt'> = {
          tenant: tenantId,
          flowId,
          triggerId: trigger.id,
          type: trigger.type,
          version,
          enabled: trigger.config?.enabled !== false,
        };
        if (trigger.type === 'webhook') {
          if (previous?.type === 'webhook' && previous.secretRef !== undefined) {
            registration.secretRef = previous.secretRef;
          } else {
            const created = await secrets.create(tenantId, flowId, trigger.id);
            registration.secretRef = created.secretRef;
            shown[trigger.id] = { secret: created.secret };
          }
        }
        if (trigger.type === 'schedule') {
          const { cron, rate, at, timezone } = (trigger.config ?? {}) as Record<string, unknown>;
          const expression = [cron, rate, at].find((value): value is string => typeof value === 'string');
          if (expression !== undefined) {
            registration.schedule = {
              cron: expression,
              ...(typeof timezone === 'string' ? { timezone } : {}),
            };
          }
        }
        await triggerState.putRegistration(registration);
      }
      for (const [triggerId, registration] of existing) {
        if (wanted.has(triggerId)) continue;
        await triggerState.deleteRegistration(tenantId, flowId, triggerId);
        if (registration.secretRef !== undefined) await secrets.remove(registration.secretRef);
      }
      await schedules.register(
        {
          tenantId,
          flowId,
          version,
          ...(request.machine ? { stateMachineArn: request.machine.stateMachineArn } : {}),
        },
        scheduleTriggersOf(request.triggers),
      );
      return shown;
    },

    async unregisterAll(tenantId: string, flowId: string) {
      await schedules.unregister(tenantId, flowId);
      for (const registration of await triggerState.listRegistrations(tenantId, flowId)) {
        await triggerState.deleteRegistration(tenantId, flowId, registration.triggerId);
        if (registration.secretRef !== undefined) await secrets.remove(registration.secretRef);
      }
    },
  };
}
