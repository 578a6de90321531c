import { ArnFormat, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  actionFunctionTimeoutSeconds,
  actionsWithoutSecrets,
  deployedActionKinds,
} from '../lib/actions/catalog.ts';
import { TERMINAL_EVENT_STATUS } from '../lib/runtime/express-logs.ts';
import {
  kindsWithoutTable,
  rightsFor,
  shippedPackagesFor,
  tableKeysFor,
} from './constructs/action-rights.ts';
import { deploymentArn } from './constructs/arns.ts';
import { FlowForgeApi } from './constructs/flowforge-api.ts';
import { FlowForgeFunction } from './constructs/flowforge-function.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { StateMachineRole } from './constructs/state-machine-role.ts';
import { triggerTableKeys } from './constructs/table-keys.ts';
import type { StageSettings } from './settings.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  settings: StageSettings;
  stateful: StatefulStack;
  /** The action kinds to deploy; default: the catalog's and the internal ones (`deployedActionKinds()`). Tests pass others. */
  actionKinds?: readonly string[];
}

/**
 * SendTaskSuccess / SendTaskFailure: only the functions that answer waiting Tasks (the API's callback
 * and event routes, the wait function for early events, the subflow function for a child that had
 * already ended, the status write-back for a child that ends). They take a task token, not an ARN: the
 * Service Authorization Reference lists no resource type for them, hence `*`.
 */
function bindTaskTokens(fn: FlowForgeFunction): void {
  fn.grant(
    new iam.PolicyStatement({
      sid: 'AnswerTaskTokens',
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: ['*'],
    }),
  );
}

/** The handler file of an action kind (exports `handler`). */
export const actionEntry = (kind: string): string => `functions/actions/${kind}.ts`;

/**
 * The code: every Lambda (API, authorizer, one per action kind of the catalog, the SQS and schedule
 * triggers), the HTTP API, the Step Functions execution role, the scheduler role, dashboard and alarms.
 * It can be replaced at will; the data lives in the stateful stack.
 */
export class StatelessStack extends Stack {
  readonly apiFunction: FlowForgeFunction;
  readonly authorizerFunction: FlowForgeFunction;
  /** Action kind → its function; the keys are exactly the catalog's kinds. */
  readonly actionFunctions: ReadonlyMap<string, FlowForgeFunction>;
  readonly sqsTriggerFunction: FlowForgeFunction;
  readonly scheduleTriggerFunction: FlowForgeFunction;
  readonly executionStatusFunction: FlowForgeFunction;
  /** The wait Lambda of waitForCallback / waitForEvent Tasks (`<prefix>-action-waits`). */
  readonly waitFunction: FlowForgeFunction;
  /** The subflow Lambda of subflow Tasks (`<prefix>-action-subflow`). */
  readonly subflowFunction: FlowForgeFunction;
  readonly stateMachineRole: iam.Role;
  readonly expressLogGroup: logs.LogGroup;
  /** Status change events the write-back could not process after EventBridge's retries. */
  readonly statusDlq: sqs.Queue;
  readonly schedulerRole: iam.Role;
  readonly api: FlowForgeApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings, stateful } = props;
    const { prefix } = settings;

    // --- Actions: one function per catalog kind; rights by kind, the table for all (idempotency) ---
    const actionFunctions = new Map<string, FlowForgeFunction>();
    for (const kind of props.actionKinds ?? deployedActionKinds()) {
      const fn = new FlowForgeFunction(this, `Action-${kind}`, {
        settings,
        entry: actionEntry(kind),
        functionName: `${prefix}-action-${kind}`,
        serviceName: `flowforge-action-${kind}`,
        description: `FlowForge action "${kind}" (a Task of the compiled state machines)`,
        // The validator refuses nodes and request timeouts over this (lib/workflow/checks/action-timeouts.ts).
        timeout: Duration.seconds(actionFunctionTimeoutSeconds(kind)),
        shippedPackages: shippedPackagesFor(kind),
      });
      if (!kindsWithoutTable.has(kind)) fn.bindTableItems(stateful.tableName, tableKeysFor(kind));
      // Every kind resolves payload references in its config and offloads large outputs.
      fn.bindPayloads(stateful.payloadBucketName, 'readWrite');
      if (!actionsWithoutSecrets.has(kind)) fn.bindTenantSecrets(settings.stage, 'read');
      rightsFor(kind)(fn, { settings });
      actionFunctions.set(kind, fn);
    }
    this.actionFunctions = actionFunctions;

    // --- Waits: the .waitForTaskToken Task's function (registers the wait, runs notify, may answer at once) ---
    this.waitFunction = new FlowForgeFunction(this, 'WaitTask', {
      settings,
      entry: 'functions/waits/wait-task.ts',
      functionName: `${prefix}-action-waits`,
      serviceName: 'flowforge-waits',
      description: 'FlowForge waitForCallback / waitForEvent: registers the wait with its task token',
      timeout: Duration.seconds(60),
    });
    this.waitFunction
      // Waits, events and their waiters (T#<tenant>#WAIT|EVT|EVW#…) and callback pointers (CB#…) only.
      .bindTableItems(stateful.tableName, ['T#*#WAIT#*', 'T#*#EVT#*', 'T#*#EVW#*', 'CB#*'])
      .bindEnvironment(
        'FLOWFORGE_ACTION_ARNS',
        JSON.stringify(Object.fromEntries([...actionFunctions].map(([kind, fn]) => [kind, fn.arnFromName]))),
      )
      .grant(
        // notify runs through the action's own function (and its own rights), never in this one.
        new iam.PolicyStatement({
          sid: 'InvokeNotifyActions',
          actions: ['lambda:InvokeFunction'],
          resources: [...actionFunctions.values()].map((fn) => fn.arnFromName),
        }),
      );
    bindTaskTokens(this.waitFunction);

    // --- Subflows: starts a child through the start path; the child's status write-back answers a waiting parent ---
    this.subflowFunction = new FlowForgeFunction(this, 'SubflowTask', {
      settings,
      entry: 'functions/waits/subflow-task.ts',
      functionName: `${prefix}-action-subflow`,
      serviceName: 'flowforge-subflow',
      description: 'FlowForge subflow: starts the child execution of a subflow node (same tenant)',
      timeout: Duration.seconds(30),
    });
    // Start only (no deploy): the child version's machine was deployed when it was saved.
    this.subflowFunction
      // Tenant items only (flows, executions, waits: T#<tenant>#…), never API keys, webhooks or idempotency records.
      .bindTableItems(stateful.tableName, ['T#*'])
      .bindStateMachines(prefix, { kind: 'start' });
    bindTaskTokens(this.subflowFunction);

    this.stateMachineRole = new StateMachineRole(this, 'StateMachineRole', {
      actionFunctions: [...actionFunctions.values(), this.waitFunction, this.subflowFunction],
      roleName: `${prefix}-state-machines`,
      distributedMap: { stateMachinePrefix: prefix, payloadBucketName: stateful.payloadBucketName },
    }).role;
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${prefix}`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    // Express machines keep no history in Step Functions: they log every event with data here, and
    // their records are read back from it (lib/runtime/express-logs.ts).
    this.expressLogGroup = new logs.LogGroup(this, 'ExpressStateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${prefix}-express`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });

    // --- Triggers ---
    this.sqsTriggerFunction = new FlowForgeFunction(this, 'SqsTrigger', {
      settings,
      entry: 'functions/triggers/sqs.ts',
      functionName: `${prefix}-trigger-sqs`,
      serviceName: 'flowforge-trigger-sqs',
      description: 'Starts flows from messages of the trigger queue (partial batch failures)',
      timeout: settings.triggerFunctionTimeout,
    });
    this.sqsTriggerFunction
      // Flows and executions (T#<tenant>#FLOW|EXEC#…) only: the start path (constructs/table-keys.ts).
      .bindTableItems(stateful.tableName, triggerTableKeys)
      .bindStateMachines(prefix, { kind: 'start' })
      .bindQueue('FLOWFORGE_TRIGGER_QUEUE_URL', stateful.triggerQueue, 'consume');
    for (const queue of [stateful.triggerQueue, ...stateful.extraQueues.values()]) {
      this.sqsTriggerFunction.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: 10,
          maxBatchingWindow: Duration.seconds(1),
          reportBatchItemFailures: true,
        }),
      );
    }
    if (Object.keys(settings.queueBindings).length > 0) {
      this.sqsTriggerFunction.bindEnvironment(
        'FLOWFORGE_QUEUE_BINDINGS',
        JSON.stringify(
          Object.fromEntries(
            Object.entries(settings.queueBindings).map(([name, binding]) => [`${prefix}-${name}`, binding]),
          ),
        ),
      );
    }

    this.scheduleTriggerFunction = new FlowForgeFunction(this, 'ScheduleTrigger', {
      settings,
      entry: 'functions/triggers/schedule.ts',
      functionName: `${prefix}-trigger-schedule`,
      serviceName: 'flowforge-trigger-schedule',
      description: 'Starts flows when their EventBridge Scheduler schedule fires',
      timeout: settings.triggerFunctionTimeout,
    });
    this.scheduleTriggerFunction
      .bindTableItems(stateful.tableName, triggerTableKeys)
      .bindStateMachines(prefix, { kind: 'start' });
    // Scheduler invokes asynchronously: a start that fails after Lambda's own retries lands in the
    // scheduler DLQ (with the request and the error) instead of vanishing.
    this.scheduleTriggerFunction.function.configureAsyncInvoke({
      onFailure: new SqsDestination(stateful.schedulerDlq),
      retryAttempts: 2,
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      // Fixed: schedules created at run time point at this ARN and must survive a replaced stack.
      roleName: `${prefix}-scheduler`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'EventBridge Scheduler: invokes the schedule trigger only, dead letters to its DLQ.',
    });
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeScheduleTrigger',
        actions: ['lambda:InvokeFunction'],
        resources: [this.scheduleTriggerFunction.function.functionArn],
      }),
    );
    stateful.schedulerDlq.grantSendMessages(this.schedulerRole);

    // --- Execution status write-back: finished runs land in the table, as the local server's finish hook does ---
    this.executionStatusFunction = new FlowForgeFunction(this, 'ExecutionStatus', {
      settings,
      entry: 'functions/api/execution-status.ts',
      functionName: `${prefix}-execution-status`,
      serviceName: 'flowforge-execution-status',
      description: 'Writes finished executions of the flow state machines back into the table',
      timeout: Duration.seconds(30),
    });
    this.executionStatusFunction
      // Executions, the waits of subflow parents and their children notes: tenant items (T#<tenant>#…) only.
      .bindTableItems(stateful.tableName, ['T#*'])
      .bindStateMachines(prefix, { kind: 'read' })
      .bindExpressLogs(this.expressLogGroup)
      .grant(
        // A parent that ended other than SUCCEEDED stops the subflow children it waited for.
        new iam.PolicyStatement({
          sid: 'StopSubflowChildren',
          actions: ['states:StopExecution'],
          resources: [deploymentArn('states', `execution:${prefix}-*:*`)],
        }),
      );
    // A finished subflow child answers its waiting parent's task token.
    bindTaskTokens(this.executionStatusFunction);
    this.statusDlq = new sqs.Queue(this, 'ExecutionStatusDlq', {
      queueName: `${prefix}-execution-status-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // The rule and the log subscription invoke asynchronously: a write-back that still fails after
    // Lambda's retries (e.g. the history kept lagging) lands here with the event, as undeliverable events do.
    this.executionStatusFunction.function.configureAsyncInvoke({
      onFailure: new SqsDestination(this.statusDlq),
      retryAttempts: 2,
    });
    Validations.of(this.statusDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the status rule target (alarmed on depth > 0).',
    });
    // Express runs emit no status events: their terminal log events reach the same function.
    new logs.SubscriptionFilter(this, 'ExpressFinishedFilter', {
      logGroup: this.expressLogGroup,
      destination: new LambdaDestination(this.executionStatusFunction.function),
      filterPattern: logs.FilterPattern.any(
        ...Object.keys(TERMINAL_EVENT_STATUS).map((type) =>
          logs.FilterPattern.stringValue('$.type', '=', type),
        ),
      ),
      filterName: `${prefix}-express-finished`,
    });
    new events.Rule(this, 'ExecutionFinishedRule', {
      ruleName: `${prefix}-execution-finished`,
      description: `Finished executions of the ${prefix} state machines, written back into the table.`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: events.Match.prefix(
            this.formatArn({
              service: 'states',
              resource: 'stateMachine',
              resourceName: `${prefix}-`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        },
      },
      targets: [
        new targets.LambdaFunction(this.executionStatusFunction.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.statusDlq,
        }),
      ],
    });

    // --- API ---
    this.authorizerFunction = new FlowForgeFunction(this, 'Authorizer', {
      settings,
      entry: 'functions/api/authorizer.ts',
      functionName: `${prefix}-authorizer`,
      serviceName: 'flowforge-authorizer',
      description: 'HTTP API Lambda authorizer: API keys (hashed, scoped, per tenant)',
      timeout: Duration.seconds(5),
    });
    this.authorizerFunction.bindTable(stateful.tableName, 'read').grant(
      // "Last used" of GET /keys: one attribute of API key items (pk KEY#<hash>), nothing else.
      new iam.PolicyStatement({
        sid: 'RecordKeyLastUsed',
        actions: ['dynamodb:UpdateItem'],
        resources: [deploymentArn('dynamodb', `table/${stateful.tableName}`)],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
        },
      }),
    );

    this.apiFunction = new FlowForgeFunction(this, 'ApiFunction', {
      settings,
      entry: 'functions/api/http-api.ts',
      functionName: `${prefix}-api`,
      serviceName: 'flowforge-api',
      description: 'FlowForge HTTP API (every route of /api/v1)',
      timeout: Duration.seconds(29),
      memorySize: 1024,
      // The save-time checks of code (acorn), transform (jsonata) and email (email-addresses) configs.
      shippedPackages: ['acorn', 'jsonata', 'email-addresses'],
    });
    this.apiFunction
      .bindTable(stateful.tableName, 'readWrite')
      .bindPayloads(stateful.payloadBucketName, 'read')
      .bindStateMachines(prefix, { kind: 'manage', executionRole: this.stateMachineRole })
      .bindSchedules({
        groupName: prefix,
        schedulerRole: this.schedulerRole,
        deadLetterQueueArn: stateful.schedulerDlq.queueArn,
        targetArn: this.scheduleTriggerFunction.arnFromName,
      })
      .bindEnvironment(
        'FLOWFORGE_ACTION_ARNS',
        JSON.stringify(Object.fromEntries([...actionFunctions].map(([kind, fn]) => [kind, fn.arnFromName]))),
      )
      .bindEnvironment('FLOWFORGE_WAIT_FUNCTION_ARN', this.waitFunction.arnFromName)
      .bindEnvironment('FLOWFORGE_SUBFLOW_FUNCTION_ARN', this.subflowFunction.arnFromName)
      .bindWebhookSecrets(`/flowforge/${settings.stage}/webhooks`)
      .bindTenantSecrets(settings.stage, 'manage')
      // Shown to users (where to send queue-triggered runs); the API itself never reads the queue.
      .bindEnvironment('FLOWFORGE_TRIGGER_QUEUE_URL', stateful.triggerQueue.queueUrl)
      .bindEnvironment('FLOWFORGE_STATE_MACHINE_LOG_GROUP_ARN', stateMachineLogs.logGroupArn)
      .bindExpressLogs(this.expressLogGroup);

    bindTaskTokens(this.apiFunction);

    this.api = new FlowForgeApi(this, 'HttpApi', {
      settings,
      handler: this.apiFunction,
      authorizer: this.authorizerFunction,
    });
    this.apiFunction.bindEnvironment('FLOWFORGE_API_BASE_URL', this.api.httpApi.apiEndpoint);
    this.waitFunction.bindEnvironment('FLOWFORGE_API_BASE_URL', this.api.httpApi.apiEndpoint);

    // --- Observability ---
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      httpApi: this.api.httpApi,
      functions: [
        this.apiFunction,
        this.authorizerFunction,
        this.sqsTriggerFunction,
        this.scheduleTriggerFunction,
        this.executionStatusFunction,
        this.waitFunction,
        this.subflowFunction,
        ...actionFunctions.values(),
      ],
      deadLetterQueues: [
        { label: 'TriggerDlq', queue: stateful.triggerDlq },
        { label: 'SchedulerDlq', queue: stateful.schedulerDlq },
        { label: 'ExecutionStatusDlq', queue: this.statusDlq },
        ...(stateful.extraQueuesDlq ? [{ label: 'QueuesDlq', queue: stateful.extraQueuesDlq }] : []),
      ],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.baseUrl, description: 'Base URL of the FlowForge API' });
    new CfnOutput(this, 'TriggerQueueUrl', {
      value: stateful.triggerQueue.queueUrl,
      description: 'Send { "flowId", "input" } here to start a flow',
    });
    new CfnOutput(this, 'TableName', { value: stateful.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
