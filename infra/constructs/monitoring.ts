import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSettings } from '../settings.ts';
import type { FlowForgeFunction } from './flowforge-function.ts';

/**
 * The EMF metrics the action functions publish (Powertools metrics, namespace `FlowForge`, dimension
 * `action` = the kind). The dashboard finds them by name with a SEARCH, whatever other dimensions
 * (Powertools adds `service`) they carry.
 */
export const actionMetricNames = { duration: 'ActionDuration', failures: 'ActionFailures' } as const;

/** Execution status (EventBridge `detail.status`) → the metric counted for it. */
export const executionStatusMetrics = {
  RUNNING: 'ExecutionsStarted',
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  TIMED_OUT: 'ExecutionsTimedOut',
  ABORTED: 'ExecutionsAborted',
} as const;

/** What the account (through IAM) may do with the alarm topic's key: administer it, not use it. */
const keyAdministrationActions = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

export interface MonitoredQueue {
  label: string;
  queue: sqs.IQueue;
}

export interface MonitoringProps {
  settings: StageSettings;
  httpApi: apigw.HttpApi;
  functions: readonly FlowForgeFunction[];
  /** Dead-letter queues: any message in one raises an alarm. */
  deadLetterQueues: readonly MonitoredQueue[];
}

/**
 * Dashboard and alarms of one deployment, all alarms to one SNS topic.
 *
 * Executions: state machines are created at run time, one per flow, and `AWS/States` metrics exist only
 * per machine (no prefix aggregation an alarm could use). So an EventBridge rule takes the status
 * changes of this deployment's machines (ARN prefix `stateMachine:<prefix>-`) into a log group, and
 * metric filters count them per status in the namespace `FlowForge/<stage>`; the failed-executions
 * alarm watches those counts. The log group doubles as an audit trail of every run's outcome.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly executionEvents: logs.LogGroup;
  readonly executionMetricsNamespace: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings } = props;
    const stack = Stack.of(this);
    const period = Duration.minutes(5);

    // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key: a key they may use.
    // The policy names its actions (the usual default would grant the account `kms:*`).
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${settings.prefix} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: settings.removalPolicy,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersKey',
            principals: [new iam.AccountRootPrincipal()],
            actions: keyAdministrationActions,
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'CloudWatchAlarmsPublish',
            principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
          }),
        ],
      }),
    });
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${settings.prefix}-alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (settings.alarmEmail)
      this.topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    const alarmAction = new SnsAction(this.topic);
    const addAlarm = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
      this.alarms.push(alarm);
      return alarm;
    };

    // --- API ---
    const api = props.httpApi;
    const requests = api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = api.metricServerError({ period, statistic: 'Sum' });
    const clientErrors = api.metricClientError({ period, statistic: 'Sum' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate (%)',
      period,
    });
    addAlarm(
      serverErrorRate.createAlarm(this, 'Api5xxRate', {
        alarmName: `${settings.prefix}-api-5xx-rate`,
        alarmDescription: `More than ${settings.api5xxRatePercent}% of API requests answered 5xx.`,
        threshold: settings.api5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    // --- Executions (see the class comment) ---
    this.executionMetricsNamespace = `FlowForge/${settings.stage}`;
    this.executionEvents = new logs.LogGroup(this, 'ExecutionEvents', {
      logGroupName: `/aws/events/${settings.prefix}-executions`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    // Written as a plain AWS::Logs::ResourcePolicy: the events target helper would deploy a custom-resource Lambda.
    new logs.ResourcePolicy(this, 'ExecutionEventsPolicy', {
      resourcePolicyName: `${settings.prefix}-execution-events`,
      policyStatements: [
        new iam.PolicyStatement({
          principals: [
            new iam.ServicePrincipal('events.amazonaws.com'),
            new iam.ServicePrincipal('delivery.logs.amazonaws.com'),
          ],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.executionEvents.logGroupArn],
        }),
      ],
    });
    const machineArnPrefix = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${settings.prefix}-`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    new events.Rule(this, 'ExecutionStatusRule', {
      ruleName: `${settings.prefix}-execution-status`,
      description: `Status changes of the ${settings.prefix} state machines, counted by metric filters.`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: Object.keys(executionStatusMetrics),
          stateMachineArn: events.Match.prefix(machineArnPrefix),
        },
      },
      targets: [{ bind: () => ({ arn: this.executionEvents.logGroupArn }) }],
    });
    const executionMetric = {} as Record<keyof typeof executionStatusMetrics, cloudwatch.Metric>;
    for (const [status, metricName] of Object.entries(executionStatusMetrics) as [
      keyof typeof executionStatusMetrics,
      string,
    ][]) {
      const filter = new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup: this.executionEvents,
        metricNamespace: this.executionMetricsNamespace,
        metricName,
        filterPattern: logs.FilterPattern.stringValue('$.detail.status', '=', status),
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
      executionMetric[status] = filter.metric({ period, statistic: 'Sum' });
    }
    const failedRuns = new cloudwatch.MathExpression({
      expression: 'failed + timedOut',
      usingMetrics: { failed: executionMetric.FAILED, timedOut: executionMetric.TIMED_OUT },
      label: 'Failed or timed-out executions',
      period,
    });
    addAlarm(
      failedRuns.createAlarm(this, 'FailedExecutions', {
        alarmName: `${settings.prefix}-failed-executions`,
        alarmDescription: 'A flow execution failed or timed out (see the execution-events log group).',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    // --- Dead-letter queues ---
    for (const { label, queue } of props.deadLetterQueues) {
      addAlarm(
        queue
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
          .createAlarm(this, `${label}Depth`, {
            alarmName: `${settings.prefix}-${label.toLowerCase()}-depth`,
            alarmDescription: `Messages are waiting in the ${label} dead-letter queue.`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }

    // --- Lambda throttles ---
    for (const fn of props.functions) {
      addAlarm(
        fn.function.metricThrottles({ period, statistic: 'Sum' }).createAlarm(fn, 'ThrottlesAlarm', {
          alarmName: `${fn.functionName}-throttles`,
          alarmDescription: `${fn.functionName} was throttled (account or reserved concurrency exhausted).`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // --- Dashboard ---
    const search = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('Namespace="FlowForge" MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`,
        label,
        period,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${settings.prefix}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [requests, clientErrors, serverErrors],
        right: [serverErrorRate],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) => api.metricLatency({ period, statistic })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Executions',
        left: Object.values(executionMetric),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Action duration by kind (ms)',
        left: [search(actionMetricNames.duration, 'Average', 'avg')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Action failures by kind',
        left: [search(actionMetricNames.failures, 'Sum', 'failures')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: props.deadLetterQueues.map(({ label, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), label }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: props.functions.map((fn) =>
          fn.function.metricErrors({ period, statistic: 'Sum', label: fn.functionName }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda throttles',
        left: props.functions.map((fn) =>
          fn.function.metricThrottles({ period, statistic: 'Sum', label: fn.functionName }),
        ),
        width: 12,
      }),
    );
  }
}
