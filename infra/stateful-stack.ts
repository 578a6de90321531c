import { Aws, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  GSI1_NAME,
  GSI1_PARTITION_KEY,
  GSI1_SORT_KEY,
  GSI2_NAME,
  GSI2_PARTITION_KEY,
  GSI2_SORT_KEY,
  PARTITION_KEY,
  SORT_KEY,
  TTL_ATTRIBUTE,
} from '../lib/store/table.ts';
import type { StageSettings } from './settings.ts';

/** The table's global secondary indexes: name, partition key, sort key (all strings, projecting ALL). */
export const tableIndexes = [
  { name: GSI1_NAME, partitionKey: GSI1_PARTITION_KEY, sortKey: GSI1_SORT_KEY },
  { name: GSI2_NAME, partitionKey: GSI2_PARTITION_KEY, sortKey: GSI2_SORT_KEY },
] as const;

/** How many trigger-Lambda timeouts the trigger queue's visibility timeout spans (AWS guidance: 6). */
export const visibilityTimeoutFactor = 6;

export interface StatefulStackProps extends StackProps {
  settings: StageSettings;
}

/** The payload bucket's fixed name: `<prefix>-payloads-<account>-<region>` (bucket names are global). */
export const payloadBucketNameFor = (prefix: string): string =>
  `${prefix}-payloads-${Aws.ACCOUNT_ID}-${Aws.REGION}`;

/**
 * What holds data and outlives a redeploy of the code: the DynamoDB table, the payload bucket (large
 * node outputs) with its access-log bucket, the trigger queue with its DLQ, the schedule group and
 * the scheduler's DLQ. Nothing here refers to the stateless stack.
 */
export class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  /** The table's fixed name, `flowforge-<stage>` (what `FLOWFORGE_TABLE_NAME` and the grants use). */
  readonly tableName: string;
  readonly triggerQueue: sqs.Queue;
  readonly triggerDlq: sqs.Queue;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerDlq: sqs.Queue;
  /** The extra named queues by short name (`<prefix>-<name>`), empty unless the settings name some. */
  readonly extraQueues: ReadonlyMap<string, sqs.Queue>;
  /** Their shared DLQ (undefined without extra queues). */
  readonly extraQueuesDlq?: sqs.Queue;
  /** Large node outputs (DESIGN.md §2.1), written by the action functions and read by them and the API. */
  readonly payloadBucket: s3.Bucket;
  /** Its fixed name (what `FLOWFORGE_PAYLOAD_BUCKET` and the grants use). */
  readonly payloadBucketName: string;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.tableName = settings.prefix;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: this.tableName,
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: settings.pointInTimeRecovery },
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    for (const index of tableIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    if (!settings.pointInTimeRecovery) {
      Validations.of(this.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: `Stage ${settings.stage} holds disposable test data; point-in-time recovery is on in prod.`,
      });
    }

    // Large node outputs: private, encrypted, TLS only, expired by lifecycle; its access logs go to a
    // bucket of their own that expires too.
    const payloadAccessLogs = new s3.Bucket(this, 'PayloadAccessLogs', {
      bucketName: `${settings.prefix}-payload-logs-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: settings.removalPolicy,
    });
    Validations.of(payloadAccessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the payload bucket’s server access logs; logging it again would add nothing.',
    });
    this.payloadBucketName = payloadBucketNameFor(settings.prefix);
    this.payloadBucket = new s3.Bucket(this, 'PayloadBucket', {
      bucketName: this.payloadBucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: payloadAccessLogs,
      serverAccessLogsPrefix: 'payloads/',
      lifecycleRules: [
        {
          expiration: Duration.days(settings.payloadRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: settings.removalPolicy,
    });

    // Messages of every queue the SQS trigger reads stay invisible while one invocation may still run.
    const visibilityTimeout = Duration.seconds(
      settings.triggerFunctionTimeout.toSeconds() * visibilityTimeoutFactor,
    );
    this.triggerDlq = new sqs.Queue(this, 'TriggerDlq', {
      queueName: `${settings.prefix}-triggers-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: settings.removalPolicy,
    });
    this.triggerQueue = new sqs.Queue(this, 'TriggerQueue', {
      queueName: `${settings.prefix}-triggers`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.triggerDlq, maxReceiveCount: settings.triggerQueueMaxReceiveCount },
      removalPolicy: settings.removalPolicy,
    });

    const extraQueues = new Map<string, sqs.Queue>();
    if (settings.extraQueues.length > 0) {
      const dlq = new sqs.Queue(this, 'ExtraQueuesDlq', {
        queueName: `${settings.prefix}-queues-dlq`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: settings.removalPolicy,
      });
      this.extraQueuesDlq = dlq;
      for (const name of settings.extraQueues) {
        extraQueues.set(
          name,
          new sqs.Queue(this, `Queue-${name}`, {
            queueName: `${settings.prefix}-${name}`,
            encryption: sqs.QueueEncryption.SQS_MANAGED,
            enforceSSL: true,
            visibilityTimeout,
            retentionPeriod: Duration.days(4),
            deadLetterQueue: { queue: dlq, maxReceiveCount: settings.triggerQueueMaxReceiveCount },
            removalPolicy: settings.removalPolicy,
          }),
        );
      }
    }
    this.extraQueues = extraQueues;

    this.schedulerDlq = new sqs.Queue(this, 'SchedulerDlq', {
      queueName: `${settings.prefix}-scheduler-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: settings.removalPolicy,
    });
    for (const dlq of [
      this.triggerDlq,
      this.schedulerDlq,
      ...(this.extraQueuesDlq ? [this.extraQueuesDlq] : []),
    ]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (alarmed on depth > 0); a DLQ of a DLQ adds nothing.',
      });
    }

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: settings.prefix,
      removalPolicy: settings.removalPolicy,
    });
  }
}
