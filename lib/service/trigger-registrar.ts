import { generateWebhookSecret } from '../security/webhook-signature.ts';
import type { TriggerRegistration, TriggerStateStorePort } from '../store/types.ts';
import type { Schedules } from '../triggers/schedules.ts';
import { scheduleTriggersOf } from '../triggers/schedules.ts';
import type { RegisterTriggersRequest, TriggerRegistrar } from './deps.ts';

/**
 * Where webhook signing secrets are kept. The registration stores only the reference `save`
 * answers: in AWS `ssm:<parameter name>` (lib/triggers/webhook-secrets.ts); in local mode the
 * secret itself (the local store is on the user's own disk).
 */
export interface WebhookSecretVault {
  /** Stores a new secret of a trigger; answers the reference to keep in the trigger's registration. */
  save(tenantId: string, flowId: string, triggerId: string, secret: string): Promise<string>;
  /** Deletes a secret that is no longer used. */
  remove(secretRef: string): Promise<void>;
}

/** The local vault: the reference is the secret (resolved by `resolveLocalWebhookSecrets`). */
export const inlineSecretVault: WebhookSecretVault = {
  save: async (_tenant, _flow, _trigger, secret) => secret,
  remove: async () => {},
};

/**
 * The trigger registrar over the trigger state store, the `Schedules` port and a secret vault:
 * a version's webhook, schedule and queue triggers become the flow's registrations (a webhook
 * keeps its secret across versions while its trigger id stays; a new webhook gets a new secret,
 * returned once), schedules go to the scheduler, triggers the version dropped are removed.
 */
export function createTriggerRegistrar(options: {
  triggerState: TriggerStateStorePort;
  schedules: Schedules;
  secrets: WebhookSecretVault;
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
            const secret = generateWebhookSecret();
            registration.secretRef = await secrets.save(tenantId, flowId, trigger.id, secret);
            shown[trigger.id] = { secret };
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
