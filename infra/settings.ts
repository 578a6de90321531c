import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseQueueBindings, type QueueBinding } from '../lib/triggers/sqs-trigger.ts';

/** The deployment stages the CDK app knows. */
export type StageName = 'dev' | 'prod';

/** The stage names, for validating `-c stage=…`. */
export const stageNames: readonly StageName[] = ['dev', 'prod'];

/** API Gateway throttling: steady requests per second and burst size. */
export interface Throttling {
  rateLimit: number;
  burstLimit: number;
}

/**
 * Everything that differs between stages. One object per stage, typed, so a new setting is a compile
 * error until every stage states its value.
 */
export interface StageSettings {
  stage: StageName;
  /** Prefix of every named resource: `flowforge-<stage>`. State machines are `<prefix>-<flow…>`. */
  prefix: string;
  /** What CloudFormation does with the table, queues and log groups when the stack goes away. */
  removalPolicy: RemovalPolicy;
  pointInTimeRecovery: boolean;
  deletionProtection: boolean;
  logRetention: RetentionDays;
  /** Alarm notifications go to this address (an SNS email subscription) when set. */
  alarmEmail?: string;
  /** Allowed CORS origins of the HTTP API; empty disables CORS. */
  corsOrigins: string[];
  /** Default throttling of every route. */
  throttling: Throttling;
  /** Throttling of the unauthenticated webhook route (a public endpoint gets a tighter limit). */
  webhookThrottling: Throttling;
  /** `FLOWFORGE_HTTP_ALLOW` of the http action: hosts or CIDRs it may reach despite being private. */
  httpAllowList: string[];
  /** The SES identity (domain or address) the email action may send from; unset grants no SES right. */
  sesIdentity?: string;
  /** The `From` address of the email action (`FLOWFORGE_EMAIL_FROM`). */
  emailFrom?: string;
  /** Deliveries of a trigger message before it moves to the DLQ. */
  triggerQueueMaxReceiveCount: number;
  /** Timeout of the trigger Lambdas; the trigger queue's visibility timeout is six times this. */
  triggerFunctionTimeout: Duration;
  /**
   * Queues the queue action may send to: this account's queues whose name starts with this. Never
   * `flowforge-…` (the names of every stage's own queues: a flow must not reach the trigger queue).
   */
  queueActionNamePrefix: string;
  /**
   * Extra named queues (short names): each becomes the queue `<prefix>-<name>` (DLQ shared) and an
   * event source of the SQS trigger; a flow's queue trigger names it, or a binding does.
   */
  extraQueues: string[];
  /** Deploy-time bindings, by short queue name: messages of that queue start that flow with the body as input. */
  queueBindings: Record<string, QueueBinding>;
  /** `POWERTOOLS_LOG_LEVEL`. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The API 5xx alarm fires above this percentage of requests. */
  api5xxRatePercent: number;
  /**
   * Bedrock model ids the ai action may call (`-c bedrockModels=a,b`): its role may invoke exactly
   * these foundation models (and inference profiles of these ids), and the action refuses others
   * before calling. Empty: the ai action gets no Bedrock right.
   */
  bedrockModels: string[];
  /**
   * Days the payload bucket keeps a large node output (its lifecycle rule). A reference read after
   * that fails the reading Task with `PayloadNotFound`, and the API shows the reference instead of
   * the value: keep it above the longest run (a Standard execution lasts up to a year) plus the time
   * records are looked at.
   */
  payloadRetentionDays: number;
}

const base = {
  corsOrigins: [] as string[],
  webhookThrottling: { rateLimit: 20, burstLimit: 40 },
  httpAllowList: [] as string[],
  triggerQueueMaxReceiveCount: 5,
  triggerFunctionTimeout: Duration.seconds(30),
  queueActionNamePrefix: 'flows-',
  extraQueues: [] as string[],
  queueBindings: {} as Record<string, QueueBinding>,
  api5xxRatePercent: 5,
  bedrockModels: [] as string[],
};

const defaults: Record<StageName, StageSettings> = {
  dev: {
    ...base,
    stage: 'dev',
    prefix: 'flowforge-dev',
    removalPolicy: RemovalPolicy.DESTROY,
    pointInTimeRecovery: false,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    payloadRetentionDays: 30,
    corsOrigins: ['http://localhost:3000'],
    throttling: { rateLimit: 50, burstLimit: 100 },
    logLevel: 'DEBUG',
  },
  prod: {
    ...base,
    stage: 'prod',
    prefix: 'flowforge-prod',
    removalPolicy: RemovalPolicy.RETAIN,
    pointInTimeRecovery: true,
    deletionProtection: true,
    logRetention: RetentionDays.THREE_MONTHS,
    payloadRetentionDays: 400,
    throttling: { rateLimit: 500, burstLimit: 1000 },
    logLevel: 'INFO',
  },
};

/** Context values (`-c key=value`) that override a stage default; lists are comma-separated. */
export interface SettingsOverrides {
  alarmEmail?: string;
  sesIdentity?: string;
  emailFrom?: string;
  corsOrigins?: string;
  httpAllow?: string;
  /** Extra queue short names, comma-separated. */
  queues?: string;
  /** JSON `{ "<short name>": { flowId, tenantId?, version?, triggerId? } }`. */
  queueBindings?: string;
  /** Bedrock model ids the ai action may call, comma-separated. */
  bedrockModels?: string;
}

/** Thrown for settings that cannot be deployed (a malformed override). */
export class InvalidSettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSettingsError';
  }
}

const queueNamePattern = /^[a-zA-Z0-9_-]{1,40}$/;

/** Thrown for a stage name the app does not know. */
export class UnknownStageError extends Error {
  constructor(stage: string) {
    super(`unknown stage "${stage}": use one of ${stageNames.join(', ')}`);
    this.name = 'UnknownStageError';
  }
}

const isStage = (value: string): value is StageName => (stageNames as readonly string[]).includes(value);

const list = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');

/**
 * The settings of `stage` with the context overrides applied. Throws `UnknownStageError` for a stage
 * that is not in `stageNames`.
 */
export function loadSettings(stage: string, overrides: SettingsOverrides = {}): StageSettings {
  if (!isStage(stage)) throw new UnknownStageError(stage);
  const settings: StageSettings = { ...defaults[stage] };
  if (overrides.alarmEmail) settings.alarmEmail = overrides.alarmEmail;
  if (overrides.sesIdentity) settings.sesIdentity = overrides.sesIdentity;
  if (overrides.emailFrom) settings.emailFrom = overrides.emailFrom;
  if (!settings.emailFrom && settings.sesIdentity) {
    settings.emailFrom = settings.sesIdentity.includes('@')
      ? settings.sesIdentity
      : `flowforge@${settings.sesIdentity}`;
  }
  settings.corsOrigins = list(overrides.corsOrigins) ?? settings.corsOrigins;
  settings.httpAllowList = list(overrides.httpAllow) ?? settings.httpAllowList;
  settings.extraQueues = list(overrides.queues) ?? settings.extraQueues;
  settings.bedrockModels = list(overrides.bedrockModels) ?? settings.bedrockModels;
  for (const model of settings.bedrockModels) {
    if (!/^[a-zA-Z0-9._:-]{1,256}$/.test(model))
      throw new InvalidSettingsError(`bedrock model id "${model}" has characters a model id cannot have`);
  }
  for (const name of settings.extraQueues) {
    if (!queueNamePattern.test(name)) {
      throw new InvalidSettingsError(`queue name "${name}" must match ${queueNamePattern}`);
    }
  }
  if (overrides.queueBindings) {
    try {
      settings.queueBindings = parseQueueBindings(overrides.queueBindings);
    } catch (error) {
      throw new InvalidSettingsError(`queueBindings: ${(error as Error).message}`, { cause: error });
    }
    const unknown = Object.keys(settings.queueBindings).filter(
      (name) => !settings.extraQueues.includes(name),
    );
    if (unknown.length > 0) {
      throw new InvalidSettingsError(
        `queueBindings name queues that are not in "queues": ${unknown.join(', ')}`,
      );
    }
  }
  return settings;
}
