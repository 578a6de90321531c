// The code action (issue 16): warm invocations per second of the QuickJS sandbox against the same
// work as a JSONata transform, and the cold start of the code Lambda bundle — a fresh `node`
// process importing the bundle (built as infra deploys it) and answering its first Task, which
// includes compiling QuickJS's WebAssembly — against the transform bundle doing the same.
// `node --import tsx bench/code.bench.ts [runs]`
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInSandbox } from '../lib/actions/code/sandbox.ts';
import { evaluateTransform } from '../lib/actions/transform/index.ts';
import { bundleLikeLambda } from './lambda-bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'node_modules', '.cache', 'flowforge-code-bench');
const RUNS = Number(process.argv[2] ?? 5);
const items = Array.from({ length: 50 }, (_, i) => ({ sku: `s${i}`, price: i * 1.5 }));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

console.log(`node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`);

// --- warm invocations per second ---
const codeRun = () =>
  runInSandbox({
    source: 'return args.items.filter((i) => i.price > 10).map((i) => ({ ...i, vat: i.price * 0.2 }));',
    args: { items },
    timeoutMs: 1000,
    memoryMb: 32,
  });
const transformRun = () =>
  evaluateTransform({
    expression: "items[price > 10].{ 'sku': sku, 'price': price, 'vat': price * 0.2 }",
    data: { items },
    timeoutMs: 1000,
    maxResultBytes: 1024 * 1024,
  });
async function perSecond(fn: () => Promise<unknown>, seconds = 2): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await fn();
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}
const code = await perSecond(codeRun);
const transform = await perSecond(transformRun);
console.log(`code step (fresh QuickJS runtime + context each): ${code.toFixed(0)} invocations/s`);
console.log(`transform step (JSONata, same work):              ${transform.toFixed(0)} invocations/s`);
console.log(`code / transform throughput: ${(code / transform).toFixed(2)}`);

// --- cold start of the Lambda bundles: import + first Task ---
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const task = (action: string, config: unknown) => ({
  nodeId: 'n',
  action,
  config,
  execution: { id: 'e', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'f', version: 1 },
  attempt: 1,
});
const cases = [
  {
    name: 'action-code',
    entry: 'functions/actions/code.ts',
    task: task('code', { source: 'return args.n * 2', args: { n: 21 } }),
  },
  {
    name: 'action-transform',
    entry: 'functions/actions/transform.ts',
    task: task('transform', { expression: 'input.n * 2', data: { input: { n: 21 } } }),
  },
];
const cold: Record<string, number> = {};
for (const { name, entry, task: payload } of cases) {
  const outfile = join(outdir, `${name}.mjs`);
  await bundleLikeLambda(join(root, entry), outfile);
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); const r = await m.handler(${JSON.stringify(payload)}, { functionName: 'bench', getRemainingTimeInMillis: () => 10000 }); if (r === undefined) process.exit(1); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        NODE_NO_WARNINGS: '1',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    }).toString();
    times.push(Number(printed));
  }
  cold[name] = median(times);
  console.log(
    `${name.padEnd(18)} bundle ${(statSync(outfile).size / 1024).toFixed(0).padStart(5)} KB   import + first Task ${median(times).toFixed(0).padStart(5)} ms (median of ${RUNS})`,
  );
}
console.log(
  `code / transform cold start (import + first Task): ${((cold['action-code'] ?? 0) / (cold['action-transform'] ?? 1)).toFixed(2)}`,
);
