import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../functions/shared/http/api-event.ts';

const event = (method: string, path: string): ApiEvent =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId: 'apigw-req-1',
      routeKey: '$default',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
    },
  }) as unknown as ApiEvent;

const lambdaContext = {
  functionName: 'flowforge-api',
  functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-api',
  memoryLimitInMB: '512',
  awsRequestId: 'lambda-req-1',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 10_000,
} as never;

describe('the deployed API Lambda (functions/api/http-api.ts)', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      FLOWFORGE_TABLE_NAME: 'flowforge',
      FLOWFORGE_STATE_MACHINE_ROLE_ARN: 'arn:aws:iam::123456789012:role/sfn',
      FLOWFORGE_ACTION_ARNS: JSON.stringify({
        log: 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-action-log',
      }),
      FLOWFORGE_SCHEDULE_GROUP: 'flowforge',
      FLOWFORGE_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
      FLOWFORGE_SCHEDULE_TARGET_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-schedule',
      FLOWFORGE_API_BASE_URL: 'https://api.example.com',
      FLOWFORGE_TENANT_SECRETS_STAGE: 'test',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  it('answers health without a key and refuses a keyed route that API Gateway did not authorize', async () => {
    const { handler } = await import('../../../functions/api/http-api.ts');
    const health = await handler(event('GET', '/api/v1/health'), lambdaContext);
    expect(health.statusCode).toBe(200);
    expect(health.headers['x-request-id']).toBe('apigw-req-1');
    const flows = await handler(event('GET', '/api/v1/flows'), lambdaContext);
    expect(flows.statusCode).toBe(401);
    expect(JSON.parse(flows.body ?? '')).toMatchObject({ status: 401, requestId: 'apigw-req-1' });
  });

  it('builds its dependencies from the environment', async () => {
    const { awsDeps } = await import('../../../functions/shared/aws-deps.ts');
    const deps = awsDeps();
    expect(deps.compileContext.actionArns.log).toContain('flowforge-action-log');
    expect(deps.apiBaseUrl).toBe('https://api.example.com');
    // Tenant secrets go to SSM in AWS, never into the table.
    expect(deps.stores.secrets.constructor.name).not.toBe('SecretStore');
  });
});
