import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAssembly, type Synthesized, synthFlowForge } from './synth-flowforge.ts';

// The one real synth: esbuild bundles of every function, with cdk-nag's AwsSolutions checks registered
// as a validation plugin exactly as `npm run synth` does (synthesis throws on an unacknowledged error).

function expectNoFindings(synth: Synthesized): void {
  const violations = synth.validationReport.pluginReports.flatMap((report) =>
    report.violations.map((v) => `${report.pluginName} ${v.severity} ${v.ruleName}`),
  );
  expect(violations).toEqual([]);
  expect(synth.annotations).toEqual([]);
  // The same pack run directly over the tree: proves the checks ran (an absent plugin reports nothing too).
  const direct = new AwsSolutionsChecks().validateScope(synth.app);
  expect(direct.violations.map((v) => v.ruleName)).toEqual([]);
  expect(direct.success).toBe(true);
}

describe('bundled dev synth with cdk-nag', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({ stage: 'dev', bundle: true, nag: true });
  }, 180_000);
  afterAll(() => removeAssembly(synth));

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

  it('ships acorn beside the API and code bundles, and the bundled code Lambda runs QuickJS', async () => {
    const functions = synth.statelessTemplate.findResources('AWS::Lambda::Function') as Record<
      string,
      { Metadata?: Record<string, string>; Properties: { FunctionName: string } }
    >;
    const dirOf = (name: string) => {
      const fn = Object.values(functions).find((f) => f.Properties.FunctionName === name);
      return path.join(synth.outdir, fn?.Metadata?.['aws:asset:path'] ?? 'missing');
    };
    for (const name of ['flowforge-dev-api', 'flowforge-dev-action-code'])
      expect(existsSync(path.join(dirOf(name), 'node_modules', 'acorn', 'package.json')), name).toBe(true);
    const bundle = (await import(path.join(dirOf('flowforge-dev-action-code'), 'index.mjs'))) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };
    const result = await bundle.handler(
      {
        nodeId: 'c',
        action: 'code',
        config: { source: 'console.log("hi"); return args.n * 2', args: { n: 21 } },
        execution: { id: 'e', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'f', version: 1 },
        attempt: 1,
      },
      { functionName: 'flowforge-dev-action-code', getRemainingTimeInMillis: () => 10_000 },
    );
    expect(result).toEqual({ output: 42, logs: ['hi'] });
  });

  it('stops a catastrophic regex and a 100 MB $pad in the bundled transform Lambda at their limits', async () => {
    const functions = synth.statelessTemplate.findResources('AWS::Lambda::Function') as Record<
      string,
      { Metadata?: Record<string, string>; Properties: { FunctionName: string } }
    >;
    const fn = Object.values(functions).find(
      (f) => f.Properties.FunctionName === 'flowforge-dev-action-transform',
    );
    const bundle = (await import(
      path.join(synth.outdir, fn?.Metadata?.['aws:asset:path'] ?? 'missing', 'index.mjs')
    )) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };
    const invoke = (expression: string, timeoutMs: number) =>
      bundle.handler(
        {
          nodeId: 't',
          action: 'transform',
          config: { expression, data: { n: 20 }, timeoutMs },
          execution: { id: 'e', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'f', version: 1 },
          attempt: 1,
        },
        { functionName: 'flowforge-dev-action-transform', getRemainingTimeInMillis: () => 60_000 },
      );
    await expect(invoke('n * 2 + 2', 10_000)).resolves.toBe(42);
    // JSONata's own timeout cannot interrupt one regex step: the worker process is killed at timeoutMs.
    await expect(
      invoke('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', 1000),
    ).rejects.toMatchObject({
      name: 'TransformTimeout',
    });
    await expect(invoke('$length($pad("", 100000000, "x"))', 10_000)).rejects.toMatchObject({
      name: expect.stringMatching(/^Transform(MemoryLimit|Timeout)$/),
    });
    // The sandbox goes on with a new worker.
    await expect(invoke('n + 1', 10_000)).resolves.toBe(21);
  }, 60_000);
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
