// Action Lambda bundles: each functions/actions/<kind>.ts bundled the way the stack should deploy it
// (esbuild: bundle, minify, platform node, target node22, ESM with a createRequire banner, main
// fields module-first so the SDK's ES modules tree-shake), then its size and cold import time (median
// of 10 `node` processes importing it minus the median of an empty `node` process, run alternately;
// also the import() itself timed inside the process).
// Two variants. `bundled` (deployed): the SDK is inside, pinned to our versions, and imports several
// times faster than the same code loading the SDK from node_modules — the `sdk-external` variant,
// which is what the nodejs22.x runtime's own SDK v3 would cost; it is smaller but slower to start.
// The SDK clients (DynamoDB for idempotency, SES, SQS, SSM/Secrets Manager) are what puts the
// http/email/queue bundles over 400 KB; log and transform carry no SDK.
// Targets: < 400 KB and < 80 ms over empty node. `node --import tsx bench/actions.bench.ts`
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside node_modules so a bundle with @aws-sdk/* external can still resolve it.
const outRoot = join(root, 'node_modules', '.cache', 'flowforge-actions-bench');
const RUNS = 10;
const banner =
  "import { createRequire as __ffCreateRequire } from 'node:module'; const require = __ffCreateRequire(import.meta.url);";

const kinds = readdirSync(join(root, 'functions', 'actions'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Wall time of one `node` process running `script`, and what the script printed. */
function runNode(script: string): { wall: number; printed: string } {
  const started = performance.now();
  const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  }).toString();
  return { wall: performance.now() - started, printed };
}

/**
 * Medians over RUNS: wall time of a process importing `file`, of an empty process (run
 * alternately so load drift hits both alike), and the import itself timed inside the process.
 */
function importTime(file: string): { bundle: number; empty: number; inProcess: number } {
  const bundle: number[] = [];
  const empty: number[] = [];
  const inProcess: number[] = [];
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  for (let i = 0; i < RUNS; i++) {
    empty.push(runNode('').wall);
    const run = runNode(script);
    bundle.push(run.wall);
    inProcess.push(Number(run.printed));
  }
  return { bundle: median(bundle), empty: median(empty), inProcess: median(inProcess) };
}

rmSync(outRoot, { recursive: true, force: true });
console.log(`node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`);
console.log(
  'variant         kind        size KB   process ms   empty node ms   over empty   import() in-process   targets (<400 KB, <80 ms over empty)',
);

for (const variant of ['bundled', 'sdk-external'] as const) {
  const outdir = join(outRoot, variant);
  mkdirSync(outdir, { recursive: true });
  for (const kind of kinds) {
    const outfile = join(outdir, `${kind}.mjs`);
    await build({
      entryPoints: [join(root, 'functions', 'actions', `${kind}.ts`)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      banner: { js: banner },
      external: variant === 'sdk-external' ? ['@aws-sdk/*'] : [],
      logLevel: 'error',
      legalComments: 'none',
      mainFields: ['module', 'main'],
    });
    const kb = statSync(outfile).size / 1024;
    let times: ReturnType<typeof importTime>;
    try {
      times = importTime(outfile);
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message);
      console.log(
        `${variant.padEnd(15)} ${kind.padEnd(11)} import failed: ${stderr.split('\n').find((l) => l.includes('Error')) ?? stderr.slice(0, 200)}`,
      );
      process.exitCode = 1;
      continue;
    }
    const { bundle, empty, inProcess } = times;
    const importMs = bundle - empty;
    const ok = kb < 400 && importMs < 80;
    console.log(
      `${variant.padEnd(15)} ${kind.padEnd(11)} ${kb.toFixed(1).padStart(7)}   ${bundle.toFixed(1).padStart(10)}   ${empty.toFixed(1).padStart(13)}   ${importMs.toFixed(1).padStart(10)}   ${inProcess.toFixed(1).padStart(19)}   ${ok ? 'ok' : 'OVER'}`,
    );
  }
}
console.log(
  "deployed variant: sdk-external (infra/constructs/flowforge-function.ts keeps NodejsFunction's default\n" +
    'externalModules [@aws-sdk/*]: the nodejs runtime provides SDK v3; mainFields [module, main], esm, createRequire banner)',
);
