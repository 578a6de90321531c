import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildFlowForge, type FlowForgeStacks } from '../../infra/build-app.ts';
import { bundleContextKey } from '../../infra/constructs/flowforge-function.ts';

export interface SynthOptions {
  stage?: 'dev' | 'prod';
  /** Real esbuild bundles (slow) or inline placeholders (structure and IAM only). Default false. */
  bundle?: boolean;
  /** Register cdk-nag as a validation plugin (synth throws on a finding). Default false. */
  nag?: boolean;
  actionKinds?: readonly string[];
  context?: Record<string, string>;
  env?: Environment;
}

/** CDK's `validation-report.json`: what each validation plugin (cdk-nag) reported. */
export interface ValidationReport {
  pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity: string }> }>;
}

export interface Synthesized extends FlowForgeStacks {
  app: App;
  /** The cloud assembly; only kept (and then to be removed by the caller) for a bundled synth. */
  outdir: string;
  /** Empty unless validation plugins were registered (`nag: true`). */
  validationReport: ValidationReport;
  /** Every warning and error annotation of both stacks, as `<id>: <message>`. */
  annotations: string[];
  stateful: FlowForgeStacks['stateful'];
  statefulTemplate: Template;
  statelessTemplate: Template;
  consoleTemplate: Template;
}

/**
 * Builds and synthesizes the FlowForge app once into a temporary cloud assembly (CDK's built-in
 * CloudFormation validation off: it costs ~20 s and `npm run synth` runs it).
 */
export function synthFlowForge(options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'flowforge-cdk-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: {
      stage: options.stage ?? 'dev',
      // As the CLI does: each function records its asset directory (`aws:asset:path`).
      'aws:cdk:enable-asset-metadata': true,
      [bundleContextKey]: String(options.bundle ?? false),
      ...options.context,
    },
  });
  const stacks = buildFlowForge(app, {
    nag: options.nag ?? false,
    actionKinds: options.actionKinds,
    env: options.env,
  });
  app.synth();
  const reportPath = path.join(outdir, 'validation-report.json');
  const synthesized: Synthesized = {
    app,
    outdir,
    ...stacks,
    validationReport: existsSync(reportPath)
      ? (JSON.parse(readFileSync(reportPath, 'utf8')) as ValidationReport)
      : { pluginReports: [] },
    annotations: [stacks.stateful, stacks.stateless, stacks.console].flatMap((stack) => {
      const annotations = Annotations.fromStack(stack);
      return [
        ...annotations.findError('*', Match.anyValue()),
        ...annotations.findWarning('*', Match.anyValue()),
      ].map((a) => `${a.id}: ${JSON.stringify(a.entry.data)}`);
    }),
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
    consoleTemplate: Template.fromStack(stacks.console),
  };
  // Templates, report and annotations are in memory now; only bundles are worth keeping for the caller to inspect.
  if (!options.bundle) removeAssembly(synthesized);
  return synthesized;
}

/** Deletes the temporary cloud assembly of `synth`. */
export function removeAssembly(synth: Pick<Synthesized, 'outdir'>): void {
  rmSync(synth.outdir, { recursive: true, force: true });
}

/** A CloudFormation resource as found in a template. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The resources of `type` in `template`, by logical id. */
export const resourcesOf = (template: Template, type: string): Record<string, CfnResource> =>
  template.findResources(type) as Record<string, CfnResource>;

/** Every IAM policy statement anywhere in a template (identity, key, topic, queue and log policies). */
export function allStatements(template: Template): Array<Record<string, unknown>> {
  const statements: Array<Record<string, unknown>> = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.Statement)) {
      for (const statement of record.Statement) statements.push(statement as Record<string, unknown>);
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(template.toJSON().Resources);
  // Logs resource policies carry their document as a JSON string.
  for (const resource of Object.values(resourcesOf(template, 'AWS::Logs::ResourcePolicy'))) {
    visit(JSON.parse(flattenJoin(resource.Properties?.PolicyDocument)));
  }
  return statements;
}

/** A statement's actions as a list. */
export const actionsOf = (statement: Record<string, unknown>): string[] => {
  const action = statement.Action;
  return Array.isArray(action) ? (action as string[]) : typeof action === 'string' ? [action] : [];
};

/** A string or `Fn::Join` of strings and intrinsics, with every intrinsic written as `TOKEN`. */
function flattenJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join) throw new Error(`not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]);
}
