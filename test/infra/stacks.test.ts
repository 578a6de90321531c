import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicRoutes } from '../../infra/constructs/flowforge-api.ts';
import { InvalidSettingsError, loadSettings, UnknownStageError } from '../../infra/settings.ts';
import { visibilityTimeoutFactor } from '../../infra/stateful-stack.ts';
import { actionFunctionTimeoutSeconds, deployedActionKinds } from '../../lib/actions/catalog.ts';
import { GSI1_NAME, GSI2_NAME, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../lib/store/table.ts';
import {
  actionsOf,
  allStatements,
  type CfnResource,
  resourcesOf,
  type Synthesized,
  synthFlowForge,
} from './synth-flowforge.ts';

// Structure and IAM of the synthesized templates. Functions are inline placeholders here (no esbuild):
// infra-nag.test.ts does the one real bundled synth.

const logicalIdOf = (ref: unknown): string => {
  const value = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = value.Ref ?? value['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a Ref/GetAtt: ${JSON.stringify(ref)}`);
  return id;
};

/** Statements of the identity policies attached to the role `roleId`. */
function roleStatements(synth: Synthesized, roleId: string): Array<Record<string, unknown>> {
  return Object.values(resourcesOf(synth.statelessTemplate, 'AWS::IAM::Policy'))
    .filter((policy) =>
      ((policy.Properties?.Roles ?? []) as unknown[]).some((role) => logicalIdOf(role) === roleId),
    )
    .flatMap(
      (policy) =>
        (
          (policy.Properties?.PolicyDocument ?? { Statement: [] }) as {
            Statement: Array<Record<string, unknown>>;
          }
        ).Statement,
    );
}

function functionsByName(synth: Synthesized): Map<string, [string, CfnResource]> {
  const functions = resourcesOf(synth.statelessTemplate, 'AWS::Lambda::Function');
  return new Map(
    Object.entries(functions).map(([id, fn]) => [
      fn.Properties?.FunctionName as string,
      [id, fn] as [string, CfnResource],
    ]),
  );
}

function envOf(synth: Synthesized, functionName: string): Record<string, unknown> {
  const environment = functionsByName(synth).get(functionName)?.[1].Properties?.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
}

function functionRoleId(synth: Synthesized, functionName: string): string {
  const entry = functionsByName(synth).get(functionName);
  if (!entry) throw new Error(`no function ${functionName}`);
  return logicalIdOf(entry[1].Properties?.Role);
}

/** What the payload grants may contain: object reads and writes, nothing on the bucket itself. */
const payloadActions: ReadonlySet<string> = new Set(['s3:GetObject', 's3:PutObject']);

/** The statements of a role that name the payload bucket. */
const payloadStatements = (statements: Array<Record<string, unknown>>) =>
  statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));

describe('FlowForge dev stacks', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({ stage: 'dev' });
  });

  it('deploys exactly the API, the authorizer, both triggers, the status write-back, the wait and subflow functions and one function per catalog action kind (and the internal foreach)', () => {
    const names = [...functionsByName(synth).keys()].sort();
    const expected = [
      'flowforge-dev-api',
      'flowforge-dev-authorizer',
      'flowforge-dev-execution-status',
      'flowforge-dev-trigger-schedule',
      'flowforge-dev-trigger-sqs',
      'flowforge-dev-action-waits',
      'flowforge-dev-action-subflow',
      ...deployedActionKinds().map((kind) => `flowforge-dev-action-${kind}`),
    ].sort();
    expect(names).toEqual(expected);
  });

  it('runs every function on arm64, nodejs24.x, active tracing, with its own log group that has a retention', () => {
    const logGroups = resourcesOf(synth.statelessTemplate, 'AWS::Logs::LogGroup');
    const seen = new Set<string>();
    for (const [name, [, fn]] of functionsByName(synth)) {
      const props = fn.Properties ?? {};
      expect(props.Architectures, name).toEqual(['arm64']);
      expect(props.Runtime, name).toBe('nodejs24.x');
      expect(props.TracingConfig, name).toEqual({ Mode: 'Active' });
      const logGroupId = logicalIdOf((props.LoggingConfig as { LogGroup: unknown }).LogGroup);
      expect(seen.has(logGroupId), `${name} shares a log group`).toBe(false);
      seen.add(logGroupId);
      const logGroup = logGroups[logGroupId]?.Properties ?? {};
      expect(logGroup.LogGroupName).toBe(`/aws/lambda/${name}`);
      expect(logGroup.RetentionInDays).toBe(7);
      const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        FLOWFORGE_STAGE: 'dev',
        POWERTOOLS_METRICS_NAMESPACE: 'FlowForge',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^flowforge-/),
      });
    }
  });

  it('gives functions roles that write only their own log group (no AWSLambdaBasicExecutionRole)', () => {
    for (const role of Object.values(resourcesOf(synth.statelessTemplate, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
    const roleId = functionRoleId(synth, 'flowforge-dev-api');
    const logStatement = roleStatements(synth, roleId).find((s) =>
      actionsOf(s).includes('logs:PutLogEvents'),
    );
    expect(logStatement?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ApiFunctionLogs/), 'Arn'],
    });
  });

  it('has the single table: on demand, pk/sk strings, gsi1 and gsi2, TTL expiresAt; dev without PITR and deletable', () => {
    synth.statefulTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: GSI1_NAME, Projection: { ProjectionType: 'ALL' } }),
          Match.objectLike({ IndexName: GSI2_NAME, Projection: { ProjectionType: 'ALL' } }),
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        DeletionProtectionEnabled: false,
      }),
    });
  });

  it('feeds the SQS trigger from the trigger queue with ReportBatchItemFailures', () => {
    const [mapping, ...more] = Object.values(
      resourcesOf(synth.statelessTemplate, 'AWS::Lambda::EventSourceMapping'),
    );
    expect(more).toHaveLength(0);
    expect(mapping?.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(logicalIdOf(mapping?.Properties?.FunctionName)).toBe(
      functionsByName(synth).get('flowforge-dev-trigger-sqs')?.[0],
    );
    expect(JSON.stringify(mapping?.Properties?.EventSourceArn)).toContain('TriggerQueue');
  });

  it('keeps the trigger queue invisible for at least six trigger-function timeouts, SSL only, with a DLQ', () => {
    const queues = resourcesOf(synth.statefulTemplate, 'AWS::SQS::Queue');
    const triggerQueue = Object.values(queues).find(
      (q) => q.Properties?.QueueName === 'flowforge-dev-triggers',
    );
    const timeout = functionsByName(synth).get('flowforge-dev-trigger-sqs')?.[1].Properties
      ?.Timeout as number;
    expect(visibilityTimeoutFactor).toBe(6);
    expect(triggerQueue?.Properties?.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    expect(triggerQueue?.Properties?.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^TriggerDlq/), 'Arn'] },
      maxReceiveCount: 5,
    });
    const policies = resourcesOf(synth.statefulTemplate, 'AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(Object.keys(queues).length);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('alarms on the depth of every DLQ, to the alarm topic', () => {
    const alarms = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::CloudWatch::Alarm'));
    for (const dlq of ['TriggerDlq', 'SchedulerDlq']) {
      const alarm = alarms.find(
        (a) =>
          a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties?.Dimensions).includes(dlq),
      );
      expect(alarm?.Properties, dlq).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: expect.stringMatching(/AlarmTopic/) }],
      });
    }
  });

  it('alarms on the API 5xx rate, failed executions and throttles of every function', () => {
    const alarms = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::CloudWatch::Alarm'));
    const names = alarms.map((a) => a.Properties?.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining([
        'flowforge-dev-api-5xx-rate',
        'flowforge-dev-failed-executions',
        ...[...functionsByName(synth).keys()].map((name) => `${name}-throttles`),
      ]),
    );
    for (const alarm of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
    }
    synth.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.states'],
        detail: Match.objectLike({ status: Match.arrayWith(['FAILED', 'TIMED_OUT']) }),
      }),
    });
    synth.statelessTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [
        Match.objectLike({ MetricName: 'ExecutionsFailed', MetricNamespace: 'FlowForge/dev' }),
      ],
    });
    synth.statelessTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Action duration and failures by kind: the EMF metrics functions/shared/action-handler.ts publishes.
    const dashboard = JSON.stringify(resourcesOf(synth.statelessTemplate, 'AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('SEARCH(');
    for (const metricName of ['ActionDuration', 'ActionFailures']) expect(dashboard).toContain(metricName);
  });

  it('writes no Allow statement with the action "*" or a service-wide "service:*"', () => {
    const statements = [...allStatements(synth.statefulTemplate), ...allStatements(synth.statelessTemplate)];
    expect(statements.length).toBeGreaterThan(20);
    const offending = statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => actionsOf(s))
      .filter((action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action));
    expect(offending).toEqual([]);
  });

  it('lets the state machine role invoke exactly the action functions (and their versions/aliases)', () => {
    const roles = resourcesOf(synth.statelessTemplate, 'AWS::IAM::Role');
    const [roleId] = Object.entries(roles).find(([, role]) =>
      JSON.stringify(role.Properties?.AssumeRolePolicyDocument).includes('states.amazonaws.com'),
    ) ?? [''];
    const statements = roleStatements(synth, roleId);
    const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invoke).toHaveLength(1);
    expect(actionsOf(invoke[0] ?? {})).toEqual(['lambda:InvokeFunction']);
    const actionFunctionIds = [...deployedActionKinds(), 'waits', 'subflow'].map(
      (kind) => functionsByName(synth).get(`flowforge-dev-action-${kind}`)?.[0],
    );
    const expected = actionFunctionIds.flatMap((id) => [
      { 'Fn::GetAtt': [id, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] },
    ]);
    const resources = invoke[0]?.Resource;
    expect(Array.isArray(resources) ? resources : [resources]).toEqual(expect.arrayContaining(expected));
    expect(Array.isArray(resources) ? resources.length : 1).toBe(expected.length);
  });

  it('keeps large outputs in a private, encrypted, TLS-only bucket that expires them, with access logs', () => {
    const buckets = resourcesOf(synth.statefulTemplate, 'AWS::S3::Bucket');
    const payload = Object.values(buckets).find((b) =>
      JSON.stringify(b.Properties?.BucketName).includes('flowforge-dev-payloads-'),
    );
    expect(payload).toBeDefined();
    const props = payload?.Properties ?? {};
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(props.LifecycleConfiguration).toEqual({
      Rules: [
        {
          ExpirationInDays: 30,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
      ],
    });
    expect(props.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'payloads/' });
    const policies = Object.values(resourcesOf(synth.statefulTemplate, 'AWS::S3::BucketPolicy'));
    const denyInsecure = policies.flatMap((p) => {
      const document = p.Properties?.PolicyDocument as
        | { Statement?: Array<Record<string, unknown>> }
        | undefined;
      return document?.Statement ?? [];
    });
    expect(denyInsecure).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
  });

  it('lets every action function get and put payload objects and the API only get them; nobody lists or deletes', () => {
    const objectArn = (statement: Record<string, unknown>) => JSON.stringify(statement.Resource);
    for (const kind of deployedActionKinds()) {
      const name = `flowforge-dev-action-${kind}`;
      const statements = payloadStatements(roleStatements(synth, functionRoleId(synth, name)));
      expect(statements.flatMap((s) => actionsOf(s)).sort(), kind).toEqual(['s3:GetObject', 's3:PutObject']);
      for (const statement of statements)
        expect(objectArn(statement)).toMatch(/flowforge-dev-payloads-.*\/\*/);
      expect(JSON.stringify(envOf(synth, name).FLOWFORGE_PAYLOAD_BUCKET)).toContain(
        'flowforge-dev-payloads-',
      );
    }
    const api = payloadStatements(roleStatements(synth, functionRoleId(synth, 'flowforge-dev-api')));
    expect(api.flatMap((s) => actionsOf(s))).toEqual(['s3:GetObject']);
    expect(JSON.stringify(envOf(synth, 'flowforge-dev-api').FLOWFORGE_PAYLOAD_BUCKET)).toContain(
      'flowforge-dev-payloads-',
    );
    for (const name of [
      'flowforge-dev-authorizer',
      'flowforge-dev-trigger-sqs',
      'flowforge-dev-trigger-schedule',
    ]) {
      expect(payloadStatements(roleStatements(synth, functionRoleId(synth, name))), name).toEqual([]);
    }
  });

  it('lets only the API, the wait and subflow functions and the status write-back answer task tokens; the wait function invokes the action functions for notify', () => {
    const answering = [...functionsByName(synth).keys()].filter((name) =>
      roleStatements(synth, functionRoleId(synth, name)).some((s) =>
        actionsOf(s).some((a) => a.startsWith('states:SendTask')),
      ),
    );
    expect(answering.sort()).toEqual([
      'flowforge-dev-action-subflow',
      'flowforge-dev-action-waits',
      'flowforge-dev-api',
      'flowforge-dev-execution-status',
    ]);
    const waits = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-action-waits'));
    const invoke = waits.find((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke?.Resource)).toContain('function:flowforge-dev-action-email');
    expect(JSON.stringify(invoke?.Resource)).not.toContain('action-waits');
    expect(envOf(synth, 'flowforge-dev-api').FLOWFORGE_WAIT_FUNCTION_ARN).toEqual(expect.anything());
    expect(envOf(synth, 'flowforge-dev-api').FLOWFORGE_SUBFLOW_FUNCTION_ARN).toEqual(expect.anything());
  });

  it('lets the subflow function start executions of this deployment’s machines, and never deploy one', () => {
    const stateActions = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-action-subflow'))
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('states:'))
      .sort();
    expect(stateActions).toEqual([
      'states:DescribeExecution',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
      'states:StartExecution',
    ]);
    const start = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-action-subflow')).find((s) =>
      actionsOf(s).includes('states:StartExecution'),
    );
    expect(JSON.stringify(start?.Resource)).toContain('stateMachine:flowforge-dev-*');
  });

  it('gives the code action no right beyond its own logs (and X-Ray) and the payload objects: no table, no network service', () => {
    const statements = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-action-code'));
    const actions = statements.flatMap((s) => actionsOf(s));
    expect(
      actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:') && !payloadActions.has(a)),
    ).toEqual([]);
    const logResources = JSON.stringify(
      statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:'))).map((s) => s.Resource),
    );
    expect(logResources).toMatch(/Actioncode\w*Logs/);
    expect(envOf(synth, 'flowforge-dev-action-code').FLOWFORGE_TABLE_NAME).toBeUndefined();
  });

  it('lets the API pass the state machine role only to Step Functions and manage only its own machines', () => {
    const statements = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-api'));
    const passRoles = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRoles.map((s) => s.Condition)).toEqual(
      expect.arrayContaining([
        { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
        { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      ]),
    );
    for (const statement of passRoles) {
      expect(statement.Resource).toMatchObject({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    }
    const states = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    const resources = JSON.stringify(states.map((s) => s.Resource));
    expect(resources).toContain(':stateMachine:flowforge-dev-*');
    expect(resources).toContain(':execution:flowforge-dev-*:*');
    const unscoped = states.filter((s) => s.Resource === '*').flatMap((s) => actionsOf(s));
    // SendTask* take a task token, not an ARN (the callback and event routes answer waiting Tasks).
    expect(unscoped.sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
      'states:ValidateStateMachineDefinition',
    ]);
    const schedules = statements.find((s) => actionsOf(s).includes('scheduler:CreateSchedule'));
    expect(JSON.stringify(schedules?.Resource)).toContain(':schedule/flowforge-dev/*');
  });

  it('narrows the table to the items each event-driven function owns (dynamodb:LeadingKeys), with no Scan or batch call', () => {
    const expected: Record<string, string[]> = {
      'flowforge-dev-action-http': ['IDEMPOTENCY#*', 'CIRCUIT#*'],
      'flowforge-dev-action-email': ['IDEMPOTENCY#*'],
      'flowforge-dev-action-queue': ['IDEMPOTENCY#*'],
      'flowforge-dev-action-transform': ['IDEMPOTENCY#*'],
      'flowforge-dev-action-log': ['IDEMPOTENCY#*'],
      'flowforge-dev-action-waits': ['T#*#WAIT#*', 'T#*#EVT#*', 'T#*#EVW#*', 'CB#*'],
      'flowforge-dev-action-subflow': ['T#*'],
      'flowforge-dev-execution-status': ['T#*'],
      // The triggers start flows: flows and executions only (infra/constructs/table-keys.ts).
      'flowforge-dev-trigger-sqs': ['T#*#FLOW#*', 'T#*#EXEC#*'],
      'flowforge-dev-trigger-schedule': ['T#*#FLOW#*', 'T#*#EXEC#*'],
    };
    for (const [name, keys] of Object.entries(expected)) {
      const dynamo = roleStatements(synth, functionRoleId(synth, name)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('dynamodb:')),
      );
      expect(dynamo, name).toHaveLength(1);
      const [statement] = dynamo as Array<Record<string, unknown>>;
      expect(statement?.Condition, name).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys },
      });
      const actions = actionsOf(statement ?? {});
      for (const refused of ['dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'])
        expect(actions, name).not.toContain(refused);
      expect(JSON.stringify(statement?.Resource), name).not.toContain('/index/');
    }
  });

  it('lets the authorizer write only lastUsedAt of API key items, besides reading the table', () => {
    const statements = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-authorizer'));
    const writes = statements.filter((s) =>
      actionsOf(s).some(
        (a) => !/:(Get|Query|BatchGet|Describe|Scan|ConditionCheck)/.test(a) && a.startsWith('dynamodb:'),
      ),
    );
    expect(writes).toHaveLength(1);
    expect(actionsOf(writes[0] ?? {})).toEqual(['dynamodb:UpdateItem']);
    expect(writes[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
    });
  });

  it('lets the scheduler role invoke only the schedule trigger and dead-letter to the scheduler DLQ', () => {
    const roles = resourcesOf(synth.statelessTemplate, 'AWS::IAM::Role');
    const [roleId] = Object.entries(roles).find(([, role]) =>
      JSON.stringify(role.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    ) ?? [''];
    const statements = roleStatements(synth, roleId);
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [functionsByName(synth).get('flowforge-dev-trigger-schedule')?.[0], 'Arn'] },
    ]);
    expect(JSON.stringify(statements)).toContain('SchedulerDlq');
  });

  it('puts the authorizer on every route except health, openapi.json and webhooks', () => {
    const routes = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::ApiGatewayV2::Route'));
    const open = routes
      .filter((r) => r.Properties?.AuthorizationType === 'NONE')
      .map((r) => r.Properties?.RouteKey);
    expect(open.sort()).toEqual(publicRoutes.map((r) => `${r.method} ${r.path}`).sort());
    expect(open.sort()).toEqual([
      'GET /api/v1/health',
      'GET /api/v1/openapi.json',
      'HEAD /api/v1/health',
      'HEAD /api/v1/openapi.json',
      'POST /api/v1/callbacks/{callbackId}',
      'POST /api/v1/hooks/{flowId}/{triggerId}',
    ]);
    const authorized = routes.filter((r) => r.Properties?.AuthorizationType !== 'NONE');
    expect(authorized.length).toBeGreaterThanOrEqual(5);
    for (const route of authorized) {
      expect(route.Properties?.AuthorizationType).toBe('CUSTOM');
      expect(route.Properties?.AuthorizerId).toBeDefined();
      expect(route.Properties?.RouteKey).toMatch(/^(GET|HEAD|POST|PUT|PATCH|DELETE) \/api\/v1\/\{proxy\+\}$/);
    }
    synth.statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('logs API access as JSON and throttles every route, webhooks tighter', () => {
    synth.statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      RouteSettings: {
        'POST /api/v1/hooks/{flowId}/{triggerId}': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      },
    });
  });

  it('writes finished executions back through a rule on this deployment’s machines, reading them, answering subflow parents and stopping their children', () => {
    const rules = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::Events::Rule'));
    const rule = rules.find((r) => r.Properties?.Name === 'flowforge-dev-execution-finished');
    expect(rule).toBeDefined();
    const pattern = rule?.Properties?.EventPattern as { source: string[]; detail: { status: string[] } };
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern.detail.status.sort()).toEqual(['ABORTED', 'FAILED', 'SUCCEEDED', 'TIMED_OUT']);
    const [fnId] = functionsByName(synth).get('flowforge-dev-execution-status') ?? [];
    const targets = (rule?.Properties?.Targets ?? []) as Array<{ Arn: unknown }>;
    expect(targets.map((t) => logicalIdOf(t.Arn))).toEqual([fnId]);
    const stateActions = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-execution-status'))
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('states:'))
      .sort();
    expect(stateActions).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
      'states:StopExecution',
    ]);
  });

  it('gives the status rule target a DLQ, and the status and schedule functions an OnFailure destination', () => {
    const rule = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::Events::Rule')).find(
      (r) => r.Properties?.Name === 'flowforge-dev-execution-finished',
    );
    const [target] = (rule?.Properties?.Targets ?? []) as Array<{
      DeadLetterConfig?: { Arn: unknown };
      RetryPolicy?: { MaximumRetryAttempts: number };
    }>;
    const queues = resourcesOf(synth.statelessTemplate, 'AWS::SQS::Queue');
    const dlqId = Object.entries(queues).find(
      ([, q]) => q.Properties?.QueueName === 'flowforge-dev-execution-status-dlq',
    )?.[0];
    expect(dlqId).toBeDefined();
    expect(logicalIdOf(target?.DeadLetterConfig?.Arn)).toBe(dlqId);
    expect(target?.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
    const invokeConfigs = Object.values(
      resourcesOf(synth.statelessTemplate, 'AWS::Lambda::EventInvokeConfig'),
    );
    const onFailureOf = (functionName: string) => {
      const [fnId] = functionsByName(synth).get(functionName) ?? [];
      const config = invokeConfigs.find((c) =>
        JSON.stringify(c.Properties?.FunctionName).includes(fnId ?? '?'),
      );
      return JSON.stringify(
        (config?.Properties?.DestinationConfig as { OnFailure?: { Destination: unknown } } | undefined)
          ?.OnFailure,
      );
    };
    expect(onFailureOf('flowforge-dev-execution-status')).toContain(dlqId);
    // The schedule trigger's failed async invocations go to the scheduler DLQ (stateful stack).
    expect(onFailureOf('flowforge-dev-trigger-schedule')).toContain('SchedulerDlq');
  });

  it('deploys each action Lambda with the timeout the validator holds nodes to', () => {
    for (const kind of deployedActionKinds()) {
      const [, fn] = functionsByName(synth).get(`flowforge-dev-action-${kind}`) ?? [];
      expect(fn?.Properties?.Timeout).toBe(actionFunctionTimeoutSeconds(kind));
    }
    expect(functionsByName(synth).get('flowforge-dev-action-http')?.[1].Properties?.Timeout).toBe(900);
  });

  it('lets the state machines run a forEach Distributed Map: their own child executions and the payload objects, nothing more', () => {
    const roles = resourcesOf(synth.statelessTemplate, 'AWS::IAM::Role');
    const roleId = Object.entries(roles).find(
      ([, r]) => r.Properties?.RoleName === 'flowforge-dev-state-machines',
    )?.[0] as string;
    const statements = roleStatements(synth, roleId);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid) ?? {};
    expect(actionsOf(bySid('DistributedMapChildren'))).toEqual(['states:StartExecution']);
    expect(JSON.stringify(bySid('DistributedMapChildren').Resource)).toContain(
      'stateMachine:flowforge-dev-*',
    );
    expect(actionsOf(bySid('DistributedMapChildExecutions')).sort()).toEqual([
      'states:DescribeExecution',
      'states:StopExecution',
    ]);
    expect(JSON.stringify(bySid('DistributedMapChildExecutions').Resource)).toContain(
      'execution:flowforge-dev-*:*',
    );
    expect(actionsOf(bySid('DistributedMapPayloads')).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
    expect(JSON.stringify(bySid('DistributedMapPayloads').Resource)).toMatch(/flowforge-dev-payloads-.*\/\*/);
  });

  it('names the state machine and scheduler roles, so a replaced stateless stack recreates the same ARNs', () => {
    const names = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::IAM::Role')).map(
      (r) => r.Properties?.RoleName,
    );
    expect(names).toEqual(
      expect.arrayContaining(['flowforge-dev-state-machines', 'flowforge-dev-scheduler']),
    );
  });

  it('reads Express runs from their own log group: subscription of terminal events to the status function, FilterLogEvents for readers', () => {
    const groups = resourcesOf(synth.statelessTemplate, 'AWS::Logs::LogGroup');
    const expressId = Object.entries(groups).find(
      ([, g]) => g.Properties?.LogGroupName === '/aws/vendedlogs/states/flowforge-dev-express',
    )?.[0];
    expect(expressId).toBeDefined();
    const [filter] = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::Logs::SubscriptionFilter'));
    expect(logicalIdOf(filter?.Properties?.LogGroupName)).toBe(expressId);
    const [statusFnId] = functionsByName(synth).get('flowforge-dev-execution-status') ?? [];
    expect(logicalIdOf(filter?.Properties?.DestinationArn)).toBe(statusFnId);
    for (const type of ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'])
      expect(filter?.Properties?.FilterPattern).toContain(type);
    for (const functionName of ['flowforge-dev-api', 'flowforge-dev-execution-status']) {
      const statement = roleStatements(synth, functionRoleId(synth, functionName)).find(
        (st) => st.Sid === 'ReadExpressExecutionLogs',
      );
      expect(actionsOf(statement ?? {})).toEqual(['logs:FilterLogEvents']);
      expect(JSON.stringify(statement?.Resource)).toContain(expressId);
      expect(envOf(synth, functionName).FLOWFORGE_EXPRESS_LOG_GROUP_ARN).toBeDefined();
    }
  });

  it('outputs the API URL and the trigger queue URL', () => {
    const outputs = synth.statelessTemplate.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain('/api/v1');
    expect(JSON.stringify(outputs.TriggerQueueUrl?.Value)).toContain('TriggerQueue');
  });

  it('tells the API everything it needs: action ARNs by kind, roles, prefixes, schedules', () => {
    const env = envOf(synth, 'flowforge-dev-api');
    for (const name of [
      'FLOWFORGE_TABLE_NAME',
      'FLOWFORGE_STATE_MACHINE_ROLE_ARN',
      'FLOWFORGE_ACTION_ARNS',
      'FLOWFORGE_SCHEDULE_GROUP',
      'FLOWFORGE_SCHEDULER_ROLE_ARN',
      'FLOWFORGE_SCHEDULER_DLQ_ARN',
      'FLOWFORGE_SCHEDULE_TARGET_ARN',
      'FLOWFORGE_API_BASE_URL',
      'FLOWFORGE_WEBHOOK_SECRET_PREFIX',
    ]) {
      expect(env[name], name).toBeDefined();
    }
    expect(env.FLOWFORGE_STATE_MACHINE_PREFIX).toBe('flowforge-dev');
    const arns = JSON.stringify(env.FLOWFORGE_ACTION_ARNS);
    for (const kind of deployedActionKinds())
      expect(arns).toContain(`:function:flowforge-dev-action-${kind}`);
  });
});

describe('FlowForge prod stacks', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({ stage: 'prod' });
  });

  it('retains the table with point-in-time recovery and deletion protection', () => {
    synth.statefulTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
    expect(synth.stateful.terminationProtection).toBe(true);
  });

  it('retains queues and logs and keeps logs three months', () => {
    for (const queue of Object.values(resourcesOf(synth.statefulTemplate, 'AWS::SQS::Queue'))) {
      expect(queue.DeletionPolicy).toBe('Retain');
    }
    for (const group of Object.values(resourcesOf(synth.statelessTemplate, 'AWS::Logs::LogGroup'))) {
      expect(group.DeletionPolicy).toBe('Retain');
      expect(group.Properties?.RetentionInDays).toBe(90);
    }
  });
});

describe('action functions follow the catalog', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({
      stage: 'dev',
      actionKinds: ['log', 'http', 'email', 'queue', 'transform', 'brand-new'],
      context: { sesIdentity: 'example.com', httpAllow: '10.0.0.0/8' },
    });
  });

  const statementsOf = (kind: string) =>
    roleStatements(synth, functionRoleId(synth, `flowforge-dev-action-${kind}`));
  const TENANT_SECRET_SIDS = new Set(['ReadTenantSecrets', 'ReadTenantSecretsManager']);
  const extraActions = (kind: string) =>
    statementsOf(kind)
      .filter((s) => !TENANT_SECRET_SIDS.has(s.Sid as string))
      .flatMap((s) => actionsOf(s))
      .filter(
        (a) =>
          !a.startsWith('dynamodb:') &&
          !a.startsWith('xray:') &&
          !a.startsWith('logs:') &&
          !(a === 's3:GetObject' || a === 's3:PutObject'),
      )
      .sort();

  it('adds a function for a new kind, with the safe default rights (the table and the payload bucket only)', () => {
    expect(functionsByName(synth).has('flowforge-dev-action-brand-new')).toBe(true);
    expect(extraActions('brand-new')).toEqual([]);
    expect(statementsOf('brand-new').some((s) => actionsOf(s).includes('dynamodb:PutItem'))).toBe(true);
    const stateMachineRole = JSON.stringify(synth.statelessTemplate.toJSON());
    expect(stateMachineRole).toContain('flowforge-dev-action-brand-new');
  });

  const env = (kind: string) => envOf(synth, `flowforge-dev-action-${kind}`);
  it('gives each kind its own extra rights', () => {
    expect(extraActions('log')).toEqual([]);
    expect(extraActions('transform')).toEqual([]);
    expect(extraActions('http')).toEqual([]);
    expect(extraActions('email')).toEqual(['ses:SendEmail']);
    expect(extraActions('queue')).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    const resources = (kind: string) => JSON.stringify(statementsOf(kind).map((s) => s.Resource));
    expect(resources('email')).toContain(':identity/example.com');
    // Issue 11: no flowforge-* wildcard — the queue action can reach no stage's trigger queue or DLQ.
    expect(resources('queue')).toContain(':flows-*');
    const sqsResources = JSON.stringify(
      statementsOf('queue')
        .filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')))
        .map((st) => st.Resource),
    );
    expect(sqsResources).not.toContain('flowforge');
    expect(env('queue').FLOWFORGE_ACCOUNT_ID).toBeDefined();
  });

  it('lets every action function read secrets only below the tenants path, never the webhook signing keys', () => {
    for (const kind of ['log', 'http', 'email', 'queue', 'transform', 'brand-new']) {
      const secretStatements = statementsOf(kind).filter((s) =>
        actionsOf(s).some(
          (a) => a.startsWith('ssm:') || a.startsWith('secretsmanager:') || a.startsWith('kms:'),
        ),
      );
      expect(secretStatements.map((s) => s.Sid).sort()).toEqual([
        'ReadTenantSecrets',
        'ReadTenantSecretsManager',
      ]);
      for (const statement of secretStatements) {
        const resources = JSON.stringify(statement.Resource);
        expect(resources).toMatch(/:(parameter|secret:)\/?flowforge\/dev\/tenants\/\*"/);
        expect(resources).not.toContain('webhooks');
        expect(actionsOf(statement).sort()).toEqual(
          statement.Sid === 'ReadTenantSecrets' ? ['ssm:GetParameter'] : ['secretsmanager:GetSecretValue'],
        );
      }
      expect(envOf(synth, `flowforge-dev-action-${kind}`).FLOWFORGE_TENANT_SECRETS_STAGE).toBe('dev');
    }
  });

  it('lets the API manage tenant secrets below the tenants path and its webhook keys below the webhooks path', () => {
    const statements = roleStatements(synth, functionRoleId(synth, 'flowforge-dev-api'));
    const manage = statements.find((s) => s.Sid === 'ManageTenantSecrets');
    expect(actionsOf(manage ?? {}).sort()).toEqual(['ssm:DeleteParameter', 'ssm:PutParameter']);
    expect(JSON.stringify(manage?.Resource)).toContain(':parameter/flowforge/dev/tenants/*');
    expect(actionsOf(statements.find((s) => s.Sid === 'ListTenantSecrets') ?? {})).toEqual([
      'ssm:DescribeParameters',
    ]);
    expect(envOf(synth, 'flowforge-dev-api').FLOWFORGE_TENANT_SECRETS_STAGE).toBe('dev');
  });

  it('sets the per-kind environment (http allow-list, email sender)', () => {
    expect(env('http').FLOWFORGE_HTTP_ALLOW).toBe('10.0.0.0/8');
    expect(env('email').FLOWFORGE_EMAIL_FROM).toBe('flowforge@example.com');
    expect(env('log').FLOWFORGE_TABLE_NAME).toBeDefined();
  });
});

describe("the ai action may call only the deployment's Bedrock models", () => {
  const aiStatements = (synth: Synthesized) =>
    roleStatements(synth, functionRoleId(synth, 'flowforge-dev-action-ai'));

  it('without bedrockModels it has no Bedrock right and refuses every model', () => {
    const synth = synthFlowForge({ stage: 'dev' });
    expect(
      aiStatements(synth)
        .flatMap((s) => actionsOf(s))
        .filter((a) => a.startsWith('bedrock:')),
    ).toEqual([]);
    expect(envOf(synth, 'flowforge-dev-action-ai').FLOWFORGE_AI_BEDROCK_MODELS).toBe('');
  });

  it('with bedrockModels it may InvokeModel exactly those (and no table)', () => {
    const synth = synthFlowForge({
      stage: 'dev',
      context: { bedrockModels: 'anthropic.claude-3-5-haiku-20241022-v1:0,eu.amazon.nova-micro-v1:0' },
    });
    const statements = aiStatements(synth);
    const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
    expect(invoke.flatMap((s) => actionsOf(s))).toEqual(['bedrock:InvokeModel']);
    const resources = JSON.stringify(invoke.map((s) => s.Resource));
    expect(resources).toContain('::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(resources).toContain(':inference-profile/eu.amazon.nova-micro-v1:0');
    expect(resources).toContain(':bedrock:*::foundation-model/amazon.nova-micro-v1:0');
    expect(resources).not.toMatch(/foundation-model\/\*/);
    expect(statements.flatMap((s) => actionsOf(s)).some((a) => a.startsWith('dynamodb:'))).toBe(false);
    expect(envOf(synth, 'flowforge-dev-action-ai').FLOWFORGE_AI_BEDROCK_MODELS).toBe(
      'anthropic.claude-3-5-haiku-20241022-v1:0,eu.amazon.nova-micro-v1:0',
    );
  });
});

describe('extra named queues', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({
      stage: 'dev',
      context: { queues: 'orders,invoices', queueBindings: '{"orders":{"flowId":"fulfil","version":2}}' },
    });
  });

  it('creates each queue with the shared DLQ and feeds it to the SQS trigger with partial failures', () => {
    const queues = resourcesOf(synth.statefulTemplate, 'AWS::SQS::Queue');
    const byName = new Map(
      Object.entries(queues).map(([id, q]) => [q.Properties?.QueueName, [id, q] as const]),
    );
    const dlqId = byName.get('flowforge-dev-queues-dlq')?.[0];
    for (const name of ['flowforge-dev-orders', 'flowforge-dev-invoices']) {
      expect(byName.get(name)?.[1].Properties).toMatchObject({
        VisibilityTimeout: 180,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      });
    }
    const mappings = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(3);
    for (const mapping of mappings) {
      expect(mapping.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
    const alarms = Object.values(resourcesOf(synth.statelessTemplate, 'AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties?.AlarmName)).toContain('flowforge-dev-queuesdlq-depth');
  });

  it('passes the bindings by full queue name', () => {
    expect(JSON.parse(envOf(synth, 'flowforge-dev-trigger-sqs').FLOWFORGE_QUEUE_BINDINGS as string)).toEqual({
      'flowforge-dev-orders': { tenantId: 'default', flowId: 'fulfil', version: 2 },
    });
  });
});

describe('settings', () => {
  it('refuses an unknown stage, a malformed queue name and a binding to an undeclared queue', () => {
    expect(() => loadSettings('staging')).toThrow(UnknownStageError);
    expect(() => loadSettings('dev', { queues: 'ok,not ok' })).toThrow(InvalidSettingsError);
    expect(() => loadSettings('dev', { queues: 'a', queueBindings: '{"b":{"flowId":"x"}}' })).toThrow(
      /not in "queues": b/,
    );
    expect(() => loadSettings('dev', { queues: 'a', queueBindings: '{"a":{}}' })).toThrow(
      InvalidSettingsError,
    );
  });

  it('derives the sender from the SES identity and splits lists', () => {
    const settings = loadSettings('prod', {
      sesIdentity: 'example.com',
      corsOrigins: 'https://a.example, https://b.example',
    });
    expect(settings.emailFrom).toBe('flowforge@example.com');
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadSettings('dev', { sesIdentity: 'ops@example.com' }).emailFrom).toBe('ops@example.com');
  });
});
