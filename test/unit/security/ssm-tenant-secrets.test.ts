import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSsmTenantSecrets } from '../../../lib/security/ssm-tenant-secrets.ts';
import { tenantSecretLayout } from '../../../lib/security/tenant-secrets.ts';

const ssm = mockClient(SSMClient);
const store = () =>
  createSsmTenantSecrets({ ssm: new SSMClient({ region: 'eu-west-1' }), layout: tenantSecretLayout('prod') });

describe('SSM tenant secrets (the AWS adapter of PUT/GET/DELETE /secrets)', () => {
  beforeEach(() => ssm.reset());

  it('PUT writes one SecureString under /flowforge/<stage>/tenants/<tenant>/secrets/, version 1 = created', async () => {
    ssm.on(PutParameterCommand).resolvesOnce({ Version: 1 }).resolvesOnce({ Version: 2 });
    expect((await store().put('acme', 'db', 'v1')).created).toBe(true);
    expect((await store().put('acme', 'db', 'v2')).created).toBe(false);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/flowforge/prod/tenants/acme/secrets/db',
      Value: 'v1',
      Type: 'SecureString',
      Overwrite: true,
      Tier: 'Standard',
      Description: 'FlowForge secret db of tenant acme',
    });
  });

  it('GET lists with DescribeParameters one level below the tenant path (names and dates, never values)', async () => {
    ssm.on(DescribeParametersCommand).resolves({
      Parameters: [
        {
          Name: '/flowforge/prod/tenants/acme/secrets/b',
          LastModifiedDate: new Date('2026-01-02T00:00:00Z'),
        },
        {
          Name: '/flowforge/prod/tenants/acme/secrets/a',
          LastModifiedDate: new Date('2026-01-01T00:00:00Z'),
        },
      ],
      NextToken: 'next-page',
    });
    const page = await store().list('acme', { limit: 2 });
    expect(page.items).toEqual([
      { name: 'a', updatedAt: '2026-01-01T00:00:00.000Z' },
      { name: 'b', updatedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(ssm.commandCalls(DescribeParametersCommand)[0]?.args[0].input).toEqual({
      ParameterFilters: [
        { Key: 'Path', Option: 'OneLevel', Values: ['/flowforge/prod/tenants/acme/secrets'] },
      ],
      MaxResults: 2,
    });
    // The cursor carries the tenant: it continues acme's listing and no one else's.
    await store().list('acme', { cursor: page.nextCursor as string });
    expect(ssm.commandCalls(DescribeParametersCommand)[1]?.args[0].input.NextToken).toBe('next-page');
    await expect(store().list('globex', { cursor: page.nextCursor as string })).rejects.toMatchObject({
      name: 'InvalidCursorError',
    });
  });

  it('DELETE removes the parameter; an unknown one is SecretNotFound', async () => {
    ssm
      .on(DeleteParameterCommand)
      .resolvesOnce({})
      .rejectsOnce(new ParameterNotFound({ message: 'gone', $metadata: {} }));
    await store().delete('acme', 'db');
    expect(ssm.commandCalls(DeleteParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/flowforge/prod/tenants/acme/secrets/db',
    });
    await expect(store().delete('acme', 'db')).rejects.toMatchObject({ name: 'SecretNotFound' });
  });

  it('never sends a request for a name outside the secret-name grammar', async () => {
    await expect(store().delete('acme', '../webhooks/x')).rejects.toMatchObject({ name: 'SecretNotFound' });
    expect(ssm.calls()).toHaveLength(0);
  });
});
