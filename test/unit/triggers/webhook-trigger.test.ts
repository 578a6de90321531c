import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  signGithubWebhook,
  signWebhook,
} from '../../../lib/security/webhook-signature.ts';
import type { TriggerRegistration } from '../../../lib/store/types.ts';
import { TriggerNotFoundError, WebhookAuthError } from '../../../lib/triggers/errors.ts';
import { resolveLocalWebhookSecrets } from '../../../lib/triggers/webhook-secrets.ts';
import { handleWebhook, webhookInput } from '../../../lib/triggers/webhook-trigger.ts';
import { fakeFlows, fakeStartExecution, orderFlow } from './fakes.ts';

const NOW = new Date('2026-05-01T12:00:00Z');

function setup(options: { secretRef?: string; enabled?: boolean } = {}) {
  const secret = generateWebhookSecret();
  const registrations: TriggerRegistration[] = [
    {
      tenant: 'acme',
      flowId: 'orders',
      triggerId: 'hook',
      type: 'webhook',
      version: 1,
      enabled: options.enabled ?? true,
      secretRef: options.secretRef ?? `plain:${secret}`,
      updatedAt: NOW.toISOString(),
    },
    {
      tenant: 'acme',
      flowId: 'gh',
      triggerId: 'push',
      type: 'webhook',
      version: 1,
      enabled: true,
      secretRef: 'plain:gh-shared-secret',
      updatedAt: NOW.toISOString(),
    },
  ];
  const seen = new Set<string>();
  const fake = fakeStartExecution();
  const deps = {
    triggers: {
      findWebhook: async (flowId: string, triggerId: string) =>
        registrations.find((r) => r.flowId === flowId && r.triggerId === triggerId),
    },
    webhookReplay: {
      remember: async (tenant: string, webhookId: string) => {
        const key = `${tenant}/${webhookId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      },
    },
    resolveSecrets: resolveLocalWebhookSecrets,
    getFlow: fakeFlows([
      { tenantId: 'acme', flowId: 'orders', version: 4, definition: orderFlow },
      {
        tenantId: 'acme',
        flowId: 'gh',
        definition: {
          name: 'gh',
          nodes: [{ id: 'push', type: 'trigger', trigger: 'webhook', config: { signature: 'github' } }],
        },
      },
    ]),
    startExecution: fake.startExecution,
    now: () => NOW,
  };
  return { secret, deps, fake, seen };
}

const body = JSON.stringify({ orderId: 'o-42', amount: 12 });
const signed = (secret: string | string[], id = 'msg_1', rawBody = body, timestamp = NOW) =>
  signWebhook({ secret, webhookId: id, timestamp, rawBody });

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebhookAuthError);
  return (error as WebhookAuthError).reason;
}

describe('handleWebhook', () => {
  it('a valid signature starts the flow once, with the webhook-id in the idempotency key', async () => {
    const { secret, deps, fake } = setup();
    const result = await handleWebhook(
      { flowId: 'orders', triggerId: 'hook', rawBody: body, headers: signed(secret) },
      deps,
    );
    expect(result).toEqual({
      tenantId: 'acme',
      executionId: 'exec-1',
      status: 'RUNNING',
      alreadyStarted: false,
    });
    expect(fake.calls).toEqual([
      {
        tenantId: 'acme',
        flowId: 'orders',
        version: 4,
        input: { orderId: 'o-42', amount: 12 },
        trigger: { id: 'hook', type: 'webhook' },
        idempotencyKey: 'webhook:orders:hook:msg_1',
      },
    ]);
  });

  it('the same webhook-id twice is one execution', async () => {
    const { secret, deps, fake } = setup();
    const first = await handleWebhook(
      { flowId: 'orders', triggerId: 'hook', rawBody: body, headers: signed(secret) },
      deps,
    );
    // The sender's retry: same id, re-signed a little later.
    const retry = signed(secret, 'msg_1', body, new Date(NOW.getTime() + 30_000));
    const second = await handleWebhook(
      { flowId: 'orders', triggerId: 'hook', rawBody: body, headers: retry },
      deps,
    );
    expect(second).toMatchObject({ executionId: first.executionId, alreadyStarted: true });
    expect(fake.started).toHaveLength(1);
  });

  it('tampered body, wrong secret, stale timestamp and missing headers are refused with their reason', async () => {
    const { secret, deps, fake } = setup();
    const request = (rawBody: string, headers: Record<string, string>) =>
      handleWebhook({ flowId: 'orders', triggerId: 'hook', rawBody, headers }, deps);
    expect(await reasonOf(request(body.replace('12', '13'), signed(secret)))).toBe('bad-signature');
    expect(await reasonOf(request(body, signed(generateWebhookSecret())))).toBe('bad-signature');
    const stale = signed(secret, 'msg_2', body, new Date(NOW.getTime() - 6 * 60_000));
    expect(await reasonOf(request(body, stale))).toBe('stale-timestamp');
    const { 'webhook-signature': _dropped, ...unsigned } = signed(secret);
    expect(await reasonOf(request(body, unsigned))).toBe('missing-headers');
    expect(await reasonOf(request(body, { ...signed(secret), 'webhook-timestamp': 'soon' }))).toBe(
      'bad-timestamp',
    );
    expect(fake.calls).toEqual([]);
  });

  it('accepts a rotated secret: two signatures, and two secrets in the reference', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const { deps, fake } = setup({ secretRef: `plain:${newSecret}` });
    await handleWebhook(
      {
        flowId: 'orders',
        triggerId: 'hook',
        rawBody: body,
        headers: signed([oldSecret, newSecret], 'msg_r1'),
      },
      deps,
    );
    const both = setup({ secretRef: `plain:${newSecret} ${oldSecret}` });
    await handleWebhook(
      { flowId: 'orders', triggerId: 'hook', rawBody: body, headers: signed(oldSecret, 'msg_r2') },
      both.deps,
    );
    expect(fake.calls).toHaveLength(1);
    expect(both.fake.calls).toHaveLength(1);
  });

  it('unknown flow, unknown or disabled trigger → not found', async () => {
    const { secret, deps } = setup();
    const call = (flowId: string, triggerId: string, d = deps) =>
      handleWebhook({ flowId, triggerId, rawBody: body, headers: signed(secret) }, d);
    await expect(call('nope', 'hook')).rejects.toThrow(TriggerNotFoundError);
    await expect(call('orders', 'nope')).rejects.toThrow(TriggerNotFoundError);
    const disabled = setup({ enabled: false });
    await expect(call('orders', 'hook', disabled.deps)).rejects.toThrow(TriggerNotFoundError);
  });

  it('verifies GitHub X-Hub-Signature-256 when the trigger asks for it', async () => {
    const { deps, fake } = setup();
    const payload = '{"ref":"refs/heads/main"}';
    const headers = {
      'X-Hub-Signature-256': signGithubWebhook('gh-shared-secret', payload),
      'X-GitHub-Delivery': 'd-7',
    };
    await handleWebhook({ flowId: 'gh', triggerId: 'push', rawBody: Buffer.from(payload), headers }, deps);
    expect(fake.calls[0]).toMatchObject({
      input: { ref: 'refs/heads/main' },
      idempotencyKey: 'webhook:gh:push:d-7',
    });
    // A Standard Webhooks signature is not accepted on a GitHub trigger.
    const standard = signWebhook({
      secret: generateWebhookSecret(),
      webhookId: 'x',
      timestamp: NOW,
      rawBody: payload,
    });
    expect(
      await reasonOf(
        handleWebhook({ flowId: 'gh', triggerId: 'push', rawBody: payload, headers: standard }, deps),
      ),
    ).toBe('missing-headers');
  });
});

describe('webhookInput', () => {
  it('parses JSON, wraps other text and maps an empty body to {}', () => {
    expect(webhookInput('{"a":1}')).toEqual({ a: 1 });
    expect(webhookInput(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(webhookInput('a=1&b=2')).toEqual({ raw: 'a=1&b=2' });
    expect(webhookInput('  ')).toEqual({});
  });
});
