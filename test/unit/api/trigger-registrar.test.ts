import { describe, expect, it } from 'vitest';
import type { RegisterTriggersRequest } from '../../../lib/service/deps.ts';
import { createTriggerRegistrar } from '../../../lib/service/trigger-registrar.ts';
import type { TriggerRegistration, TriggerStateStorePort } from '../../../lib/store/types.ts';
import type { ScheduledFlow, Schedules, ScheduleTrigger } from '../../../lib/triggers/schedules.ts';

const fakes = () => {
  const registrations = new Map<string, TriggerRegistration>();
  const triggerState = {
    putRegistration: async (registration: Omit<TriggerRegistration, 'updatedAt'>) => {
      const stored = { ...registration, updatedAt: 'now' };
      registrations.set(registration.triggerId, stored);
      return stored;
    },
    listRegistrations: async () => [...registrations.values()],
    deleteRegistration: async (_tenant: string, _flow: string, triggerId: string) => {
      registrations.delete(triggerId);
    },
  } as unknown as TriggerStateStorePort;
  const scheduled: Array<{ flow: ScheduledFlow; triggers: readonly ScheduleTrigger[] }> = [];
  const unregistered: string[] = [];
  const schedules: Schedules = {
    register: async (flow, triggers) => {
      scheduled.push({ flow, triggers });
    },
    unregister: async (_tenant, flowId) => {
      unregistered.push(flowId);
    },
  };
  let n = 0;
  const removed: string[] = [];
  const secrets = {
    create: async () => {
      n++;
      return { secret: `whsec_${n}`, secretRef: `plain:whsec_${n}` };
    },
    remove: async (ref: string) => {
      removed.push(ref);
    },
  };
  return {
    registrar: createTriggerRegistrar({ triggerState, schedules, secrets }),
    registrations,
    scheduled,
    unregistered,
    removed,
  };
};

const request = (
  version: number,
  triggers: RegisterTriggersRequest['triggers'],
): RegisterTriggersRequest => ({
  tenantId: 't1',
  flowId: 'f1',
  version,
  triggers,
});

describe('trigger registrar', () => {
  it('gives a new webhook a secret once, keeps it across versions, removes dropped triggers', async () => {
    const { registrar, registrations, scheduled, removed } = fakes();
    const first = await registrar.register(
      request(1, [
        { id: 'manual', type: 'manual' },
        { id: 'hook', type: 'webhook' },
        { id: 'tick', type: 'schedule', config: { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' } },
      ]),
    );
    expect(first).toEqual({ hook: { secret: 'whsec_1' } });
    expect([...registrations.keys()].sort()).toEqual(['hook', 'tick']);
    expect(registrations.get('tick')?.schedule).toEqual({ cron: '0 2 * * ? *', timezone: 'Europe/Berlin' });
    expect(scheduled[0]?.triggers.map((t) => t.id)).toEqual(['tick']);

    const second = await registrar.register(
      request(2, [
        { id: 'hook', type: 'webhook' },
        { id: 'inbox', type: 'queue' },
      ]),
    );
    expect(second).toEqual({});
    expect(registrations.get('hook')).toMatchObject({ version: 2, secretRef: 'plain:whsec_1' });
    expect([...registrations.keys()].sort()).toEqual(['hook', 'inbox']);
    expect(scheduled[1]?.triggers).toEqual([]);

    await registrar.register(request(3, [{ id: 'inbox', type: 'queue' }]));
    expect(removed).toEqual(['plain:whsec_1']);
  });

  it('removes every trigger and schedule of a deleted flow', async () => {
    const { registrar, registrations, unregistered, removed } = fakes();
    await registrar.register(request(1, [{ id: 'hook', type: 'webhook' }]));
    await registrar.unregisterAll('t1', 'f1');
    expect(registrations.size).toBe(0);
    expect(unregistered).toEqual(['f1']);
    expect(removed).toEqual(['plain:whsec_1']);
  });
});
