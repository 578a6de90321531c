import { type App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleStack } from './console-stack.ts';
import { loadSettings, type SettingsOverrides, type StageSettings } from './settings.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

/** The stacks of one deployment. */
export interface FlowForgeStacks {
  settings: StageSettings;
  stateful: StatefulStack;
  stateless: StatelessStack;
  console: ConsoleStack;
}

export interface BuildOptions {
  /** Register cdk-nag's AwsSolutions checks as a validation plugin (synth fails on any finding). Default true. */
  nag?: boolean;
  /** The action kinds to deploy; default: the catalog's. */
  actionKinds?: readonly string[];
  /** Account and region; default: the CLI's (`CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION`), if any. */
  env?: Environment;
}

const crossStackReferencesFlag = '@aws-cdk/core:defaultCrossStackReferences';

const contextString = (app: App, key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * Adds FlowForge to `app`: the stage comes from the context (`-c stage=dev|prod`, default `dev`),
 * settings overrides from `-c alarmEmail=… -c sesIdentity=… -c emailFrom=… -c corsOrigins=a,b -c httpAllow=…
 * -c queues=a,b -c queueBindings={…} -c bedrockModels=a,b`.
 * Stacks are `FlowForge-<stage>-Stateful` and `FlowForge-<stage>-Stateless`, in the account/region of
 * the CLI's credentials when there are any, environment-agnostic otherwise (offline synth).
 */
export function buildFlowForge(app: App, options: BuildOptions = {}): FlowForgeStacks {
  const overrides: SettingsOverrides = {
    alarmEmail: contextString(app, 'alarmEmail'),
    sesIdentity: contextString(app, 'sesIdentity'),
    emailFrom: contextString(app, 'emailFrom'),
    corsOrigins: contextString(app, 'corsOrigins'),
    httpAllow: contextString(app, 'httpAllow'),
    queues: contextString(app, 'queues'),
    queueBindings: contextString(app, 'queueBindings'),
    bedrockModels: contextString(app, 'bedrockModels'),
  };
  // Cross-stack references stay CloudFormation exports (says so explicitly, which also silences CDK's warning).
  if (app.node.tryGetContext(crossStackReferencesFlag) === undefined)
    app.node.setContext(crossStackReferencesFlag, 'strong');
  const settings = loadSettings(contextString(app, 'stage') ?? 'dev', overrides);
  const env = options.env ?? {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  };
  const name = `FlowForge-${settings.stage}`;

  const stateful = new StatefulStack(app, `${name}-Stateful`, {
    env,
    settings,
    description: `FlowForge ${settings.stage}: table, trigger queue, schedule group (data that outlives deploys)`,
    terminationProtection: settings.deletionProtection,
  });
  const stateless = new StatelessStack(app, `${name}-Stateless`, {
    env,
    settings,
    stateful,
    actionKinds: options.actionKinds,
    description: `FlowForge ${settings.stage}: functions, HTTP API, roles, dashboard and alarms`,
  });
  stateless.addStackDependency(stateful);
  const webConsole = new ConsoleStack(app, `${name}-Console`, {
    env,
    settings,
    stateless,
    description: `FlowForge ${settings.stage}: the web console (private S3 bucket behind CloudFront, /api/* to the HTTP API)`,
  });
  webConsole.addStackDependency(stateless);
  Tags.of(app).add('project', 'flowforge');
  Tags.of(app).add('stage', settings.stage);

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { settings, stateful, stateless, console: webConsole };
}
