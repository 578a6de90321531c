import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthFlowForge } from './synth-flowforge.ts';

// The one real synth: esbuild bundles of every function, with cdk-nag's AwsSolutions checks registered
// as a validation plugin exactly as `npm run synth` does (synthesis throws on an unacknowledged error).

interface ValidationReport {
  pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity: string }> }>;
}

const readReport = (outdir: string): ValidationReport =>
  JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;

function expectNoFindings(synth: Synthesized): void {
  const violations = readReport(synth.outdir).pluginReports.flatMap((report) =>
    report.violations.map((v) => `${report.pluginName} ${v.severity} ${v.ruleName}`),
  );
  expect(violations).toEqual([]);
  for (const stack of [synth.stateful, synth.stateless]) {
    const annotations = Annotations.fromStack(stack);
    const messages = [
      ...annotations.findError('*', Match.anyValue()),
      ...annotations.findWarning('*', Match.anyValue()),
    ].map((a) => `${a.id}: ${JSON.stringify(a.entry.data)}`);
    expect(messages, stack.stackName).toEqual([]);
  }
}

describe('bundled dev synth with cdk-nag', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({ stage: 'dev', bundle: true, nag: true });
  }, 180_000);

  it('has no unacknowledged AwsSolutions finding and no warning or error annotation', () => {
    expectNoFindings(synth);
  });

  it('bundles every function as minified ESM with the createRequire banner and a source map', () => {
    const functions = synth.statelessTemplate.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(5);
    for (const [id, fn] of Object.entries(functions)) {
      const assetPath = (fn as { Metadata?: Record<string, string> }).Metadata?.['aws:asset:path'];
      expect(assetPath, id).toBeDefined();
      const dir = path.join(synth.outdir, assetPath ?? '');
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __flowforgeCreateRequire }'), id).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      expect(existsSync(path.join(dir, 'index.mjs.map')), id).toBe(true);
      expect((fn as { Properties: { Handler: string } }).Properties.Handler).toBe('index.handler');
      const env = (fn as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties
        .Environment.Variables;
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });
});

describe('prod synth with a concrete account and region, with cdk-nag', () => {
  it('has no unacknowledged AwsSolutions finding either', () => {
    const synth = synthFlowForge({
      stage: 'prod',
      nag: true,
      env: { account: '123456789012', region: 'eu-central-1' },
      context: { alarmEmail: 'ops@example.com', sesIdentity: 'example.com' },
    });
    expectNoFindings(synth);
    synth.statelessTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});
