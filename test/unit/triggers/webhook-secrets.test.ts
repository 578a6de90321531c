import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TriggerConfigurationError } from '../../../lib/triggers/errors.ts';
import {
  createAwsWebhookSecrets,
  createLocalWebhookSecrets,
  resolveLocalWebhookSecrets,
} from '../../../lib/triggers/webhook-secrets.ts';

const ssm = mockClient(SSMClient);
beforeEach(() => ssm.reset());

describe('local webhook secrets', () => {
  it('creates whsec_ secrets kept inline and resolves inline references (bare, plain:, rotation)', async () => {
    const secrets = createLocalWebhookSecrets();
    const { secret, secretRef } = await secrets.create('default', 'f', 'hook');
    expect(secret).toMatch(/^whsec_/);
    expect(await secrets.resolve(secretRef)).toEqual([secret]);
    expect(await resolveLocalWebhookSecrets('whsec_a whsec_b')).toEqual(['whsec_a', 'whsec_b']);
    await expect(resolveLocalWebhookSecrets('ssm:/x')).rejects.toThrow(TriggerConfigurationError);
  });
});

describe('AWS webhook secrets (SSM SecureString through Powertools Parameters)', () => {
  const client = new SSMClient({ region: 'eu-central-1' });

  it('writes a new secret as SecureString under the prefix and answers an ssm: reference', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const secrets = createAwsWebhookSecrets({
      ssm: client,
      parameterPrefix: '/flowforge/prod/webhooks/',
      kmsKeyId: 'alias/ff',
    });
    const { secret, secretRef } = await secrets.create('acme', 'orders', 'hook');
    expect(secretRef).toBe('ssm:/flowforge/prod/webhooks/acme/orders/hook');
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/flowforge/prod/webhooks/acme/orders/hook',
      Value: secret,
      Type: 'SecureString',
      Overwrite: true,
      Description: 'FlowForge webhook signing secret of acme/orders trigger hook',
      KeyId: 'alias/ff',
    });
  });

  it('resolves with decryption, caches, and splits a rotation value', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'whsec_new whsec_old' } });
    const secrets = createAwsWebhookSecrets({ ssm: client, parameterPrefix: '/ff' });
    expect(await secrets.resolve('ssm:/ff/acme/orders/hook')).toEqual(['whsec_new', 'whsec_old']);
    expect(await secrets.resolve('ssm:/ff/acme/orders/hook')).toEqual(['whsec_new', 'whsec_old']);
    const calls = ssm.commandCalls(GetParameterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({ Name: '/ff/acme/orders/hook', WithDecryption: true });
    await expect(secrets.resolve('whsec_inline')).rejects.toThrow(/must be ssm:/);
  });

  it('removes only parameters it wrote, ignoring ones already gone', async () => {
    ssm.on(DeleteParameterCommand).rejects(new ParameterNotFound({ message: 'gone', $metadata: {} }));
    const secrets = createAwsWebhookSecrets({ ssm: client, parameterPrefix: '/ff' });
    await secrets.remove('ssm:/ff/acme/orders/hook');
    await secrets.remove('ssm:/elsewhere/user-managed');
    await secrets.remove('secretsmanager:user-managed');
    expect(ssm.commandCalls(DeleteParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: '/ff/acme/orders/hook' },
    ]);
  });
});
