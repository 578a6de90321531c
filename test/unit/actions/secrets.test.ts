import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { ActionDefinition, ActionLogger, TaskPayload } from '../../../lib/actions/action.ts';
import { logAction } from '../../../lib/actions/log/index.ts';
import { runAction } from '../../../lib/actions/run-action.ts';
import { transformAction } from '../../../lib/actions/transform/index.ts';
import {
  createAwsSecretSource,
  hasSecretReference,
  redactSecrets,
  resolveSecretReferences,
  type SecretSource,
} from '../../../lib/security/secrets.ts';
import {
  SecretNotFoundError,
  scopeSecretReference,
  tenantSecretLayout,
} from '../../../lib/security/tenant-secrets.ts';

const layout = tenantSecretLayout('prod');

/** A source with the secrets of two tenants, recording every read. */
function memorySource(values: Record<string, Record<string, string>>): SecretSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    layout,
    reads,
    async get(tenant, reference) {
      reads.push(`${tenant}:${reference.store}:${reference.name}`);
      const value = values[tenant]?.[reference.name];
      if (value === undefined) throw new SecretNotFoundError(`secret ${reference.name} not found`);
      return value;
    },
  };
}

const task = (action: string, config: Record<string, unknown>, tenantId?: string): TaskPayload => ({
  nodeId: 'n1',
  action,
  config,
  attempt: 1,
  execution: {
    id: 'exec-1',
    startedAt: '2026-01-01T00:00:00Z',
    flowId: 'flow-1',
    version: 1,
    ...(tenantId ? { tenant: tenantId } : {}),
  },
});

describe('secret references', () => {
  it('finds and resolves every form in a string: {{ secret:name }}, ssm: and sm:', async () => {
    expect(hasSecretReference('Bearer {{ secret:api-token }}')).toBe(true);
    expect(hasSecretReference('Bearer {{ secret:ssm:/api/token }}')).toBe(true);
    expect(hasSecretReference('Bearer {{ input.token }}')).toBe(false);
    const out = await resolveSecretReferences(
      '{{secret:ssm:/a}}:{{ secret:sm:b }}:{{ secret:c.d }}',
      async (ref) => `${ref.store}=${ref.name}`,
    );
    expect(out).toEqual({ value: 'ssm=/a:sm=b:tenant=c.d', secrets: ['ssm=/a', 'sm=b', 'tenant=c.d'] });
  });

  it('names the reference, never a value, when resolution fails', async () => {
    const error = await resolveSecretReferences('{{ secret:sm:db }}', async () => {
      throw Object.assign(new Error('value-leak-xyz'), { name: 'ResourceNotFoundException' });
    }).catch((e: Error) => e);
    expect((error as Error).name).toBe('SecretUnavailable');
    expect((error as Error).message).toContain('sm:db');
    expect((error as Error).message).not.toContain('value-leak-xyz');
  });

  it('redacts resolved values', () => {
    expect(redactSecrets('token s3cr3t-value in s3cr3t-value', ['s3cr3t-value'])).toBe('token *** in ***');
  });
});

describe('scopeSecretReference: only the run tenant’s prefix', () => {
  it('maps {{ secret:name }} and relative old forms below the tenant', () => {
    expect(scopeSecretReference({ store: 'tenant', name: 'db' }, 'acme', layout)).toEqual({
      store: 'ssm',
      name: 'db',
    });
    expect(scopeSecretReference({ store: 'ssm', name: 'team/db' }, 'acme', layout)).toEqual({
      store: 'ssm',
      name: 'team/db',
    });
    expect(scopeSecretReference({ store: 'sm', name: 'db' }, 'acme', layout)).toEqual({
      store: 'sm',
      name: 'db',
    });
  });

  it('accepts an absolute old-form path inside the tenant prefix', () => {
    expect(
      scopeSecretReference({ store: 'ssm', name: '/flowforge/prod/tenants/acme/secrets/db' }, 'acme', layout),
    ).toEqual({ store: 'ssm', name: 'db' });
    expect(
      scopeSecretReference({ store: 'sm', name: 'flowforge/prod/tenants/acme/secrets/db' }, 'acme', layout),
    ).toEqual({ store: 'sm', name: 'db' });
  });

  it.each([
    ['another tenant', { store: 'ssm' as const, name: '/flowforge/prod/tenants/other/secrets/db' }],
    [
      'a tenant whose name extends this one',
      { store: 'ssm' as const, name: '/flowforge/prod/tenants/acme2/secrets/db' },
    ],
    ['the webhook signing keys', { store: 'ssm' as const, name: '/flowforge/prod/webhooks/acme/flow/hook' }],
    ['any other parameter', { store: 'ssm' as const, name: '/other/param' }],
    [
      'another tenant in Secrets Manager',
      { store: 'sm' as const, name: 'flowforge/prod/tenants/other/secrets/db' },
    ],
    ['a climb out of the prefix', { store: 'ssm' as const, name: '../../other/secrets/db' }],
    ['an empty segment', { store: 'sm' as const, name: 'a//b' }],
    ['a bad plain name', { store: 'tenant' as const, name: 'a/b' }],
  ])('refuses %s', (_label, reference) => {
    expect(() => scopeSecretReference(reference, 'acme', layout)).toThrow(
      expect.objectContaining({ name: 'SecretOutOfScope' }),
    );
  });
});

describe('createAwsSecretSource (Powertools Parameters, tenant paths)', () => {
  const ssm = mockClient(SSMClient);
  const sm = mockClient(SecretsManagerClient);
  beforeAll(() => {
    process.env.AWS_REGION ??= 'us-east-1';
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: 'x', Value: 'from-ssm', Type: 'SecureString' } });
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'from-sm' });
  });

  it('reads /flowforge/<stage>/tenants/<tenant>/secrets/<name> decrypted, cached, and SM under the same prefix', async () => {
    const source = createAwsSecretSource(layout, { maxAgeSeconds: 60 });
    expect(await source.get('acme', { store: 'ssm', name: 'token' })).toBe('from-ssm');
    expect(await source.get('acme', { store: 'ssm', name: 'token' })).toBe('from-ssm');
    expect(await source.get('acme', { store: 'sm', name: 'db' })).toBe('from-sm');
    const ssmCalls = ssm.commandCalls(GetParameterCommand);
    expect(ssmCalls).toHaveLength(1);
    expect(ssmCalls[0]?.args[0].input).toEqual({
      Name: '/flowforge/prod/tenants/acme/secrets/token',
      WithDecryption: true,
    });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'flowforge/prod/tenants/acme/secrets/db',
    });
  });
});

describe('the action core resolves {{ secret:… }} from the run tenant and redacts the values', () => {
  const source = memorySource({
    acme: { token: 'acme-VALUE-123', other: 'x' },
    evil: { token: 'evil-VALUE-456' },
  });

  it('resolves any config string, nested or not, from the run tenant only', async () => {
    const seen: unknown[] = [];
    const probe: ActionDefinition<Record<string, unknown>, unknown> = {
      kind: 'probe',
      configSchema: z.looseObject({}),
      async run(config) {
        seen.push(config);
        return { ok: true };
      },
    };
    await runAction(
      probe,
      task('probe', { message: 'k={{ secret:token }}', nested: ['{{ secret:token }}'] }, 'acme'),
      {
        secrets: source,
      },
    );
    expect(seen[0]).toMatchObject({ message: 'k=acme-VALUE-123', nested: ['acme-VALUE-123'] });
    expect(source.reads.every((read) => read.startsWith('acme:'))).toBe(true);
  });

  it('a flow that echoes a secret into a log sees *** in its output and log line', async () => {
    const lines: string[] = [];
    const logger: ActionLogger = {
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    };
    const output = await runAction(
      logAction as never,
      task('log', { message: 'the token is {{ secret:token }}' }, 'acme'),
      { secrets: source, logger },
    );
    expect(output).toEqual({ message: 'the token is ***' });
    expect(lines).toEqual(['the token is ***']);
  });

  it('a transform that echoes a secret sees *** in its output, and an error never carries the value', async () => {
    const output = await runAction(
      transformAction as never,
      task('transform', { expression: '"v=" & "{{ secret:token }}"' }, 'acme'),
      { secrets: source },
    );
    expect(output).toBe('v=***');
    const error = (await runAction(
      transformAction as never,
      task('transform', { expression: '$error("leak {{ secret:token }}")' }, 'acme'),
      { secrets: source },
    ).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(`${error.message} ${error.stack} ${JSON.stringify(error.cause ?? null)}`).not.toContain(
      'acme-VALUE-123',
    );
  });

  it('refuses another tenant’s path, and a run without a tenant or store, with SecretUnavailable', async () => {
    const cross = (await runAction(
      logAction as never,
      task('log', { message: '{{ secret:ssm:/flowforge/prod/tenants/evil/secrets/token }}' }, 'acme'),
      { secrets: source },
    ).catch((e: unknown) => e)) as Error;
    expect(cross.name).toBe('SecretUnavailable');
    expect(cross.message).not.toContain('evil-VALUE-456');
    const noTenant = (await runAction(logAction as never, task('log', { message: '{{ secret:token }}' }), {
      secrets: source,
    }).catch((e: unknown) => e)) as Error;
    expect(noTenant.name).toBe('SecretUnavailable');
    const noStore = (await runAction(
      logAction as never,
      task('log', { message: '{{ secret:token }}' }, 'acme'),
    ).catch((e: unknown) => e)) as Error;
    expect(noStore.name).toBe('SecretUnavailable');
  });
});
