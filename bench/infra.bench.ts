/**
 * Infrastructure benchmark (run: node --import tsx bench/infra.bench.ts).
 * Synthesizes the dev app with real esbuild bundles (cdk-nag on, CDK's built-in template validation
 * off) into a temporary cloud assembly and prints: synth time, and per deployed function the size of
 * its bundle (index.mjs), of its source map and of the gzipped bundle, against the targets (API
 * function < 1,100 KB, action functions < 1,000 KB: the AWS SDK clients are inside the bundles since
 * they start faster that way, see bench/cold-start.bench.ts). For a function over its target (or over 500 KB
 * without one) it also prints the packages that weigh most in the bundle (esbuild metafile, same
 * options as the deployment).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { buildFlowForge } from '../infra/build-app.ts';
import { projectRoot } from '../infra/constructs/flowforge-function.ts';

const KB = 1024;
/** Functions without a target get the package breakdown above this size. */
const breakdownAboveKb = 500;
const targets: Array<{ pattern: RegExp; limitKb: number }> = [
  { pattern: /-api$/, limitKb: 1100 },
  { pattern: /-action-/, limitKb: 1000 },
];

const outdir = mkdtempSync(path.join(tmpdir(), 'flowforge-bench-cdk-'));
const started = performance.now();
const app = new App({
  outdir,
  builtinCloudFormationValidation: false,
  context: { stage: 'dev', 'aws:cdk:enable-asset-metadata': true },
});
const { stateless } = buildFlowForge(app);
app.synth();
const synthSeconds = (performance.now() - started) / 1000;

const functions = Template.fromStack(stateless).findResources('AWS::Lambda::Function') as Record<
  string,
  { Metadata?: Record<string, string>; Properties: { FunctionName: string } }
>;
const entries = new Map(
  [
    stateless.apiFunction,
    stateless.authorizerFunction,
    stateless.sqsTriggerFunction,
    stateless.scheduleTriggerFunction,
    ...stateless.actionFunctions.values(),
  ].map((fn) => [fn.functionName, fn.entry]),
);

console.log(
  `synth (dev, ${Object.keys(functions).length} functions bundled, cdk-nag): ${synthSeconds.toFixed(1)} s`,
);
console.log('function                            bundle KB   map KB   gzip KB   target');
const over: string[] = [];
for (const fn of Object.values(functions).sort((a, b) =>
  a.Properties.FunctionName.localeCompare(b.Properties.FunctionName),
)) {
  const name = fn.Properties.FunctionName;
  const dir = path.join(outdir, fn.Metadata?.['aws:asset:path'] ?? '');
  const code = readFileSync(path.join(dir, 'index.mjs'));
  const mapKb = statSync(path.join(dir, 'index.mjs.map')).size / KB;
  const limit = targets.find((t) => t.pattern.test(name))?.limitKb;
  const bundleKb = code.length / KB;
  const verdict = limit === undefined ? '-' : `< ${limit} ${bundleKb < limit ? 'ok' : 'OVER'}`;
  if (bundleKb >= (limit ?? breakdownAboveKb)) over.push(name);
  console.log(
    `${name.padEnd(34)} ${bundleKb.toFixed(0).padStart(9)} ${mapKb.toFixed(0).padStart(8)} ${(gzipSync(code).length / KB).toFixed(0).padStart(9)}   ${verdict}`,
  );
}

for (const name of over) {
  const entry = entries.get(name);
  if (!entry) continue;
  const result = await build({
    entryPoints: [path.join(projectRoot, entry)],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outfile: path.join(outdir, 'metafile-probe.mjs'),
  });
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = match?.[1] ?? file.split('/').slice(0, 2).join('/');
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  const heaviest = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6);
  console.log(`${name} heaviest: ${heaviest.map(([k, v]) => `${k} ${(v / KB).toFixed(0)} KB`).join(', ')}`);
}

rmSync(outdir, { recursive: true, force: true });
