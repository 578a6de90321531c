import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAwsSecretResolver,
  hasSecretReference,
  redactSecrets,
  resolveSecretReferences,
} from '../../../lib/security/secrets.ts';

describe('secret references', () => {
  it('finds and resolves every reference in a string', async () => {
    expect(hasSecretReference('Bearer {{ secret:ssm:/api/token }}')).toBe(true);
    expect(hasSecretReference('Bearer {{ input.token }}')).toBe(false);
    const out = await resolveSecretReferences(
      '{{secret:ssm:/a}}:{{ secret:sm:b }}',
      async (ref) => `${ref.store}=${ref.name}`,
    );
    expect(out).toEqual({ value: 'ssm=/a:sm=b', secrets: ['ssm=/a', 'sm=b'] });
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

describe('createAwsSecretResolver (Powertools Parameters)', () => {
  const ssm = mockClient(SSMClient);
  const sm = mockClient(SecretsManagerClient);
  beforeAll(() => {
    process.env.AWS_REGION ??= 'us-east-1';
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: '/api/token', Value: 'from-ssm', Type: 'SecureString' } });
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'from-sm' });
  });

  it('reads SSM parameters decrypted and Secrets Manager secrets, cached', async () => {
    const resolve = createAwsSecretResolver({ maxAgeSeconds: 60 });
    expect(await resolve({ store: 'ssm', name: '/api/token' })).toBe('from-ssm');
    expect(await resolve({ store: 'ssm', name: '/api/token' })).toBe('from-ssm');
    expect(await resolve({ store: 'sm', name: 'db-password' })).toBe('from-sm');
    const ssmCalls = ssm.commandCalls(GetParameterCommand);
    expect(ssmCalls).toHaveLength(1);
    expect(ssmCalls[0]?.args[0].input).toEqual({ Name: '/api/token', WithDecryption: true });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'db-password' });
  });
});
