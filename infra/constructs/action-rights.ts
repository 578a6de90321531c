import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RESERVED_QUEUE_PREFIX } from '../../lib/actions/queue/queue-target.ts';
import type { StageSettings } from '../settings.ts';
import { acknowledgeWildcard, deploymentArn, nagArn } from './arns.ts';
import type { FlowForgeFunction } from './flowforge-function.ts';

/** What a kind's rights may depend on. */
export interface ActionRightsContext {
  settings: StageSettings;
}

/**
 * Adds the rights (and their environment variables) one action kind needs beyond the table, which
 * every action gets for idempotency.
 */
export type ActionRights = (fn: FlowForgeFunction, context: ActionRightsContext) => void;

/** Kinds that need nothing beyond the table (log, transform, and any new kind until it is listed here). */
export const tableOnly: ActionRights = () => {};

/**
 * Extra rights per action kind. A kind missing here gets `tableOnly`: a new action deploys with the
 * least rights and fails with AccessDenied until its line is added, never the other way round.
 */
export const actionRights: Readonly<Record<string, ActionRights>> = {
  // Secrets: every kind but code reads its run's tenant secrets (`bindTenantSecrets('read')` in the stack), no kind more.
  ai: (fn, { settings }) => {
    fn.bindEnvironment('FLOWFORGE_AI_BEDROCK_MODELS', settings.bedrockModels.join(','));
    fn.bindEnvironment('FLOWFORGE_HTTP_ALLOW', settings.httpAllowList.join(','));
    if (settings.bedrockModels.length === 0) return;
    // Converse is authorised as bedrock:InvokeModel on the model (or the inference profile and the
    // foundation models it routes to, which live in any region of the profile).
    const resources = settings.bedrockModels.flatMap((model) => {
      const profile = /^(us|eu|apac|global)\.(.+)$/.exec(model);
      if (!profile) return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${model}`];
      const anyRegion = `arn:<AWS::Partition>:bedrock:*::foundation-model/${profile[2]}`;
      acknowledgeWildcard(
        fn.role,
        anyRegion,
        `The cross-region inference profile ${model} routes to this one model in the regions of the profile.`,
      );
      return [
        deploymentArn('bedrock', `inference-profile/${model}`),
        `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${profile[2]}`,
      ];
    });
    fn.grant(
      new iam.PolicyStatement({
        sid: 'InvokeConfiguredModels',
        actions: ['bedrock:InvokeModel'],
        resources,
      }),
    );
  },
  http: (fn, { settings }) => {
    fn.bindEnvironment('FLOWFORGE_HTTP_ALLOW', settings.httpAllowList.join(','));
  },
  email: (fn, { settings }) => {
    if (settings.emailFrom) fn.bindEnvironment('FLOWFORGE_EMAIL_FROM', settings.emailFrom);
    if (!settings.sesIdentity) return;
    fn.grant(
      new iam.PolicyStatement({
        sid: 'SendFromConfiguredIdentity',
        actions: ['ses:SendEmail'],
        // The verified identity (a domain covers its addresses) and the sender address itself, which SES
        // checks instead when that address is verified on its own.
        resources: [...new Set([settings.sesIdentity, settings.emailFrom ?? settings.sesIdentity])].map(
          (identity) => deploymentArn('ses', `identity/${identity}`),
        ),
      }),
    );
  },
  queue: (fn, { settings }) => {
    // FlowForge's own queues are all named flowforge-…: the grant never covers them (nor does the code).
    if (
      settings.queueActionNamePrefix.toLowerCase().startsWith(RESERVED_QUEUE_PREFIX) ||
      settings.queueActionNamePrefix === ''
    ) {
      throw new Error(
        `queueActionNamePrefix "${settings.queueActionNamePrefix}" would let flows send to FlowForge's own queues`,
      );
    }
    fn.bindEnvironment('FLOWFORGE_ACCOUNT_ID', Stack.of(fn.function).account);
    const resourceName = `${settings.queueActionNamePrefix}*`;
    fn.grant(
      new iam.PolicyStatement({
        sid: 'SendToFlowForgeQueues',
        actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
        resources: [deploymentArn('sqs', resourceName)],
      }),
    );
    acknowledgeWildcard(
      fn.role,
      nagArn('sqs', resourceName),
      `Flows name their target queue at run time; the action may reach only this account's queues named ${resourceName}.`,
    );
  },
};

/**
 * The table items an action kind's function may touch (`dynamodb:LeadingKeys`): every kind its own
 * idempotency records (`IDEMPOTENCY#…`, lib/actions/idempotency.ts), http also its circuit breakers
 * (`CIRCUIT#<host>`, lib/actions/http/dynamodb-circuit-breaker-store.ts). Never a tenant's data, an
 * API key or a webhook secret index.
 */
export const tableKeysFor = (kind: string): string[] =>
  kind === 'http' ? ['IDEMPOTENCY#*', 'CIRCUIT#*'] : ['IDEMPOTENCY#*'];

/**
 * Kinds whose function gets no table (no idempotency store: nothing to dedupe — `code` runs in its
 * sandbox, `ai` only asks a model, the internal `foreach` only checks and folds lists), so `code`'s
 * role may write only its own logs.
 */
export const kindsWithoutTable: ReadonlySet<string> = new Set(['ai', 'code', 'foreach']);

/**
 * Packages a kind's function loads at run time with `require` and ships beside its bundle
 * (`code`: acorn, its config's syntax check; `transform`: jsonata, its expression's syntax check;
 * `email`: email-addresses, the RFC 5322 parser of its recipients).
 */
export const shippedPackagesFor = (kind: string): readonly string[] => SHIPPED_PACKAGES[kind] ?? [];

const SHIPPED_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  code: ['acorn'],
  transform: ['jsonata'],
  email: ['email-addresses'],
};

/** The rights of `kind`, or `tableOnly` for a kind that has no entry. */
export const rightsFor = (kind: string): ActionRights => actionRights[kind] ?? tableOnly;
