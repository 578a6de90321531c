import path from 'node:path';
import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSettings } from '../settings.ts';
import { acknowledgeWildcard, deploymentArn, nagArn } from './arns.ts';

/** The repository root: entries are resolved against it and it is the bundling project root. */
export const projectRoot = path.resolve(import.meta.dirname, '..', '..');

/** The Lambda runtime of every FlowForge function (the newest Node.js runtime aws-cdk-lib knows). */
export const functionRuntime = lambda.Runtime.NODEJS_24_X;

/** The esbuild target matching `functionRuntime`. */
const esbuildTarget = 'node24';

/**
 * Context key that turns bundling off (`-c flowforge:bundle=false`): every function then gets a
 * tiny inline placeholder instead of its esbuild bundle. For template tests that only look at
 * structure and IAM; never deploy such an assembly.
 */
export const bundleContextKey = 'flowforge:bundle';

/** Whether functions under `scope` are bundled (true unless the context says `false`). */
export function bundlingEnabled(scope: Construct): boolean {
  const value: unknown = scope.node.tryGetContext(bundleContextKey);
  return !(value === false || value === 'false');
}

/**
 * ESM output still meets CommonJS dependencies (aws-xray-sdk-core) that call `require`: the banner
 * gives the module a real `require`.
 */
const esmRequireBanner =
  "import { createRequire as __flowforgeCreateRequire } from 'node:module'; const require = __flowforgeCreateRequire(import.meta.url);";

/** Bundling hooks that copy `packages` from the project's node_modules beside the bundle. */
function shipPackages(packages: readonly string[]) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) =>
      packages.map(
        (name) =>
          `mkdir -p "${outputDir}/node_modules/${name}" && cp -R "${inputDir}/node_modules/${name}/." "${outputDir}/node_modules/${name}/"`,
      ),
  };
}

const tableReadActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const tableWriteActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Table access a function gets with `bindTable`. */
export type TableAccess = 'read' | 'readWrite';

/** Queue access a function gets with `bindQueue`. */
export type QueueAccess = 'send' | 'consume';

export interface FlowForgeFunctionProps {
  settings: StageSettings;
  /** The handler file relative to the repository root, e.g. `functions/api/http-api.ts` (exports `handler`). */
  entry: string;
  /** The physical function name, `flowforge-<stage>-…`; also names the log group. */
  functionName: string;
  /** `POWERTOOLS_SERVICE_NAME`. */
  serviceName: string;
  description: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  /**
   * Packages copied as they are into the bundle's `node_modules/` (not inlined): code that loads
   * them on first use with `require` (e.g. acorn for the code action's syntax check) keeps them
   * out of every cold start that does not need them.
   */
  shippedPackages?: readonly string[];
}

/**
 * One FlowForge Lambda: NodejsFunction (esbuild, ESM, minified, source maps), arm64, the newest Node.js
 * runtime, active tracing, its own log group with the stage's retention, its own role that may write
 * only that log group, and the Powertools environment. Everything else the function needs comes
 * through the `bind…()` helpers, which set the environment variable and the grant together.
 */
export class FlowForgeFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly functionName: string;
  /** The handler file, relative to the repository root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: FlowForgeFunctionProps) {
    super(scope, id);
    const { settings } = props;
    this.functionName = props.functionName;
    this.entry = props.entry;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group in the account): only this function's.
    this.logGroup.grantWrite(this.role);

    const common = {
      functionName: props.functionName,
      description: props.description,
      runtime: functionRuntime,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      logGroup: this.logGroup,
      role: this.role,
      environment: {
        FLOWFORGE_STAGE: settings.stage,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'FlowForge',
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
        // Stack traces through the bundled source maps (aws-cdk-lib no longer sets this itself).
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    } satisfies Omit<lambda.FunctionProps, 'code' | 'handler'>;

    this.function = bundlingEnabled(this)
      ? new NodejsFunction(this, 'Function', {
          ...common,
          entry: path.join(projectRoot, props.entry),
          handler: 'handler',
          projectRoot,
          depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
          bundling: {
            format: OutputFormat.ESM,
            target: esbuildTarget,
            minify: true,
            sourceMap: true,
            sourceMapMode: SourceMapMode.DEFAULT,
            sourcesContent: false,
            mainFields: ['module', 'main'],
            banner: esmRequireBanner,
            ...(props.shippedPackages?.length ? { commandHooks: shipPackages(props.shippedPackages) } : {}),
            // The SDK clients go into the bundle instead of coming from the runtime's own copy: one
            // minified file starts about twice as fast as the SDK's many files read from disk
            // (bench/cold-start.bench.ts), and the versions are the ones the tests ran against.
            externalModules: [],
          },
        })
      : new lambda.Function(this, 'Function', {
          ...common,
          handler: 'index.handler',
          code: lambda.Code.fromInline(
            `exports.handler = async () => { throw new Error('placeholder of ${props.entry}: synthesized without bundling'); };`,
          ),
        });

    acknowledgeWildcard(
      this.role,
      '*',
      'Only for actions without resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, on the API function, scheduler:ListSchedules, ssm:DescribeParameters (the secrets listing, filtered to the tenant path in the request) and states:ValidateStateMachineDefinition; on the API and wait functions, states:SendTaskSuccess/SendTaskFailure (they take a task token, not an ARN).',
    );
  }

  /** The function's ARN built from its fixed name: no CloudFormation reference, so no dependency cycle. */
  get arnFromName(): string {
    return deploymentArn('lambda', `function:${this.functionName}`);
  }

  /** Sets an environment variable that needs no grant. */
  bindEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /** Adds a statement to the function's role (for rights no `bind…()` helper covers). */
  grant(...statements: iam.PolicyStatement[]): this {
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    return this;
  }

  /**
   * `FLOWFORGE_TABLE_NAME` and item-level read or read/write access to the table and its indexes.
   * Takes the table's fixed name (not a cross-stack token), so the grant and its cdk-nag
   * acknowledgement read the same whatever stack or environment synthesizes them.
   */
  bindTable(tableName: string, access: TableAccess): this {
    const table = `table/${tableName}`;
    acknowledgeWildcard(
      this.role,
      nagArn('dynamodb', `${table}/index/*`),
      'Queries on the global secondary indexes (gsi1, gsi2) of this one table; the grant names no other table.',
    );
    this.bindEnvironment('FLOWFORGE_TABLE_NAME', tableName);
    return this.grant(
      new iam.PolicyStatement({
        sid: access === 'read' ? 'ReadTable' : 'ReadWriteTable',
        actions: access === 'read' ? tableReadActions : [...tableReadActions, ...tableWriteActions],
        resources: [deploymentArn('dynamodb', table), deploymentArn('dynamodb', `${table}/index/*`)],
      }),
    );
  }

  /**
   * `FLOWFORGE_TABLE_NAME` and item rights on the table limited to items whose partition key matches
   * one of `leadingKeys` (IAM `dynamodb:LeadingKeys`, e.g. `IDEMPOTENCY#*`): single-item reads and
   * writes and Queries of the base table only. No Scan or batch call (their keys are not checked
   * item by item, and `ForAllValues` over no keys would allow them), no index.
   */
  bindTableItems(tableName: string, leadingKeys: readonly string[]): this {
    this.bindEnvironment('FLOWFORGE_TABLE_NAME', tableName);
    return this.grant(
      new iam.PolicyStatement({
        sid: 'ReadWriteOwnItems',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:ConditionCheckItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        resources: [deploymentArn('dynamodb', `table/${tableName}`)],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
      }),
    );
  }

  /**
   * `FLOWFORGE_PAYLOAD_BUCKET` and object rights on the payload bucket (by its fixed name, like the
   * table): `readWrite` (the action functions: resolve references, offload outputs) may get and put
   * objects, `read` (the API: show full values) may only get them. No list, no delete, no bucket-level
   * action: keys are unguessable and the lifecycle rule deletes.
   */
  bindPayloads(bucketName: string, access: 'read' | 'readWrite'): this {
    const objects = `arn:${Aws.PARTITION}:s3:::${bucketName}/*`;
    // cdk-nag prints the pseudo parameters of the name as <AWS::…>.
    const printed = bucketName
      .replace(Aws.ACCOUNT_ID, '<AWS::AccountId>')
      .replace(Aws.REGION, '<AWS::Region>');
    acknowledgeWildcard(
      this.role,
      `arn:<AWS::Partition>:s3:::${printed}/*`,
      'Objects of the one payload bucket; their keys are made at run time (<tenant>/<flowId>/<executionId>/<nodeId>/<random>).',
    );
    this.bindEnvironment('FLOWFORGE_PAYLOAD_BUCKET', bucketName);
    return this.grant(
      new iam.PolicyStatement({
        sid: access === 'read' ? 'ReadPayloads' : 'ReadWritePayloads',
        actions: access === 'read' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject'],
        resources: [objects],
      }),
    );
  }

  /**
   * `FLOWFORGE_STATE_MACHINE_PREFIX` = `prefix` (machines are named `<prefix>-<tenant>-<flowId>`, created
   * at run time per flow) and rights on exactly those machines and their executions. `start` may start
   * executions and describe them (an idempotent start reads the existing one); `manage` may also
   * validate, create, update, publish, delete and describe machines, list, stop and redrive executions,
   * read their history, and pass `executionRole` (only to Step Functions; `FLOWFORGE_STATE_MACHINE_ROLE_ARN`).
   */
  bindStateMachines(
    prefix: string,
    access: { kind: 'start' } | { kind: 'read' } | { kind: 'manage'; executionRole: iam.IRole },
  ): this {
    const machines = `stateMachine:${prefix}-*`;
    const executions = [`execution:${prefix}-*:*`, `express:${prefix}-*:*:*`];
    acknowledgeWildcard(
      this.role,
      nagArn('states', machines),
      'State machines are created at run time, one per flow, named with this deployment’s prefix; the grant covers only those (and their versions).',
    );
    for (const resource of executions) {
      acknowledgeWildcard(
        this.role,
        nagArn('states', resource),
        'Executions of this deployment’s run-time state machines (prefix-scoped; execution names are generated per run).',
      );
    }
    this.bindEnvironment('FLOWFORGE_STATE_MACHINE_PREFIX', prefix);
    const executionArns = executions.map((resource) => deploymentArn('states', resource));
    if (access.kind === 'read') {
      return this.grant(
        new iam.PolicyStatement({
          sid: 'ReadExecutions',
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: executionArns,
        }),
      );
    }
    if (access.kind === 'start') {
      return this.grant(
        new iam.PolicyStatement({
          sid: 'StartExecutions',
          actions: ['states:StartExecution'],
          resources: [deploymentArn('states', machines)],
        }),
        new iam.PolicyStatement({
          sid: 'DescribeExecutions',
          actions: ['states:DescribeExecution'],
          resources: executionArns,
        }),
      );
    }
    this.bindEnvironment('FLOWFORGE_STATE_MACHINE_ROLE_ARN', access.executionRole.roleArn);
    return this.grant(
      // ValidateStateMachineDefinition checks a definition before any machine exists: no resource type.
      new iam.PolicyStatement({
        sid: 'ValidateDefinitions',
        actions: ['states:ValidateStateMachineDefinition'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ManageStateMachines',
        actions: [
          'states:CreateStateMachine',
          'states:UpdateStateMachine',
          'states:DeleteStateMachine',
          'states:DescribeStateMachine',
          'states:PublishStateMachineVersion',
          'states:ListStateMachineVersions',
          'states:DeleteStateMachineVersion',
          'states:TagResource',
          'states:StartExecution',
          'states:ListExecutions',
        ],
        resources: [deploymentArn('states', machines)],
      }),
      new iam.PolicyStatement({
        sid: 'ManageExecutions',
        actions: [
          'states:DescribeExecution',
          'states:DescribeStateMachineForExecution',
          'states:GetExecutionHistory',
          'states:StopExecution',
          'states:RedriveExecution',
        ],
        resources: executionArns,
      }),
      new iam.PolicyStatement({
        sid: 'PassStateMachineRole',
        actions: ['iam:PassRole'],
        resources: [access.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
      }),
    );
  }

  /**
   * The schedule settings (`FLOWFORGE_SCHEDULE_GROUP`, `…_SCHEDULER_ROLE_ARN`, `…_SCHEDULER_DLQ_ARN`,
   * `…_SCHEDULE_TARGET_ARN`) and the rights to create, update, read, delete and list schedules of
   * that group, passing `schedulerRole` to EventBridge Scheduler only.
   */
  bindSchedules(options: {
    groupName: string;
    schedulerRole: iam.IRole;
    deadLetterQueueArn: string;
    targetArn: string;
  }): this {
    const schedules = `schedule/${options.groupName}/*`;
    acknowledgeWildcard(
      this.role,
      nagArn('scheduler', schedules),
      'Schedules are created at run time, one per schedule trigger; the grant covers only this deployment’s schedule group.',
    );
    this.bindEnvironment('FLOWFORGE_SCHEDULE_GROUP', options.groupName)
      .bindEnvironment('FLOWFORGE_SCHEDULER_ROLE_ARN', options.schedulerRole.roleArn)
      .bindEnvironment('FLOWFORGE_SCHEDULER_DLQ_ARN', options.deadLetterQueueArn)
      .bindEnvironment('FLOWFORGE_SCHEDULE_TARGET_ARN', options.targetArn);
    return this.grant(
      new iam.PolicyStatement({
        sid: 'ManageSchedules',
        actions: [
          'scheduler:CreateSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
          'scheduler:GetSchedule',
        ],
        resources: [deploymentArn('scheduler', schedules)],
      }),
      // ListSchedules has no resource type: it cannot be scoped to the group.
      new iam.PolicyStatement({
        sid: 'ListSchedules',
        actions: ['scheduler:ListSchedules'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'PassSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [options.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }

  /**
   * `FLOWFORGE_WEBHOOK_SECRET_PREFIX` = `parameterPrefix` (e.g. `/flowforge/dev/webhooks`): the API
   * writes, reads and deletes the webhook signing secrets (SSM SecureString under the AWS-managed key)
   * there, and may read user-managed Secrets Manager secrets named `flowforge/*`.
   */
  bindWebhookSecrets(parameterPrefix: string): this {
    const parameters = `parameter${parameterPrefix}/*`;
    const secrets = 'secret:flowforge/*';
    acknowledgeWildcard(
      this.role,
      nagArn('ssm', parameters),
      'One SecureString per webhook trigger, created at run time under this deployment’s webhook prefix.',
    );
    acknowledgeWildcard(
      this.role,
      nagArn('secretsmanager', secrets),
      'Webhook secrets an operator manages in Secrets Manager, limited to names under flowforge/ (ARNs carry a random suffix).',
    );
    this.bindEnvironment('FLOWFORGE_WEBHOOK_SECRET_PREFIX', parameterPrefix);
    return this.grant(
      new iam.PolicyStatement({
        sid: 'WebhookSecretParameters',
        actions: ['ssm:PutParameter', 'ssm:GetParameter', 'ssm:DeleteParameter'],
        resources: [deploymentArn('ssm', parameters)],
      }),
      new iam.PolicyStatement({
        sid: 'WebhookSecretsManager',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [deploymentArn('secretsmanager', secrets)],
      }),
    );
  }

  /**
   * `FLOWFORGE_TENANT_SECRETS_STAGE` = `stage`: tenant secrets are the SecureStrings
   * `/flowforge/<stage>/tenants/<tenant>/secrets/<name>` (and, for old-form references, Secrets
   * Manager secrets `flowforge/<stage>/tenants/<tenant>/secrets/<name>`). `read` (every action
   * function: `{{ secret:… }}` resolves in the action core) may only read parameters and secrets
   * below the tenants path — never `/flowforge/<stage>/webhooks/*`, the signing keys. `manage` (the
   * API) may put, delete and list them (DescribeParameters has no resource-level permission).
   */
  bindTenantSecrets(stage: string, access: 'read' | 'manage'): this {
    const parameters = `parameter/flowforge/${stage}/tenants/*`;
    const secrets = `secret:flowforge/${stage}/tenants/*`;
    this.bindEnvironment('FLOWFORGE_TENANT_SECRETS_STAGE', stage);
    acknowledgeWildcard(
      this.role,
      nagArn('ssm', parameters),
      'Tenant secrets are SecureStrings created at run time through PUT /secrets, one path per tenant below this stage’s tenants prefix; the action code scopes every read to the run’s own tenant.',
    );
    if (access === 'manage') {
      return this.grant(
        new iam.PolicyStatement({
          sid: 'ManageTenantSecrets',
          actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
          resources: [deploymentArn('ssm', parameters)],
        }),
        new iam.PolicyStatement({
          sid: 'ListTenantSecrets',
          actions: ['ssm:DescribeParameters'],
          resources: ['*'],
        }),
      );
    }
    acknowledgeWildcard(
      this.role,
      nagArn('secretsmanager', secrets),
      'Old-form {{ secret:sm:… }} references of flows, limited to this stage’s tenants prefix (Secrets Manager adds a random suffix to every secret ARN).',
    );
    return this.grant(
      new iam.PolicyStatement({
        sid: 'ReadTenantSecrets',
        actions: ['ssm:GetParameter'],
        resources: [deploymentArn('ssm', parameters)],
      }),
      new iam.PolicyStatement({
        sid: 'ReadTenantSecretsManager',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [deploymentArn('secretsmanager', secrets)],
      }),
    );
  }

  /**
   * `FLOWFORGE_EXPRESS_LOG_GROUP_ARN` and `logs:FilterLogEvents` on that one log group: Express
   * executions are read from their log events (they have no execution history).
   */
  bindExpressLogs(logGroup: logs.ILogGroup): this {
    this.bindEnvironment('FLOWFORGE_EXPRESS_LOG_GROUP_ARN', logGroup.logGroupArn);
    return this.grant(
      new iam.PolicyStatement({
        sid: 'ReadExpressExecutionLogs',
        actions: ['logs:FilterLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
  }

  /** `envName` = the queue URL, and send or consume rights on that queue. */
  bindQueue(envName: string, queue: IQueue, access: QueueAccess): this {
    this.bindEnvironment(envName, queue.queueUrl);
    if (access === 'send') queue.grantSendMessages(this.role);
    else queue.grantConsumeMessages(this.role);
    return this;
  }
}
