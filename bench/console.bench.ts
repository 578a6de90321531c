// Budgets of the web console (issue 14), measured in this run:
// - first load: the gzipped JS the console's index.html loads (entry + modulepreloads) ≤ 300 KB;
// - the run page of a 200-node run renders in < 1 s in headless Chromium: from navigation until
//   every node is drawn (visible, with its status), every edge and every timeline bar. Printed as
//   the median of 5 loads, as a ratio to the 1 s budget and as a ratio to a baseline measured in
//   the same browser, alternately: the same page for a 3-node run (the page's fixed cost: code,
//   two API reads, a graph and a timeline), so the second ratio is what 200 nodes add whatever the
//   machine's load.
// Run: node --import tsx bench/console.bench.ts (builds the console first if it is stale).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS } from '../console/test/chromium-args.ts';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';
import { median } from './stats.ts';

const consoleDir = fileURLToPath(new URL('../console/', import.meta.url));
execFileSync(process.execPath, [join(consoleDir, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });

// --- first load -------------------------------------------------------------------------------------
const dist = join(consoleDir, 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [
  ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\.?\/?([^"]+\.js)"/g),
].map((m) => m[1] ?? '');
const gzipped = scripts.reduce(
  (sum, file) => sum + gzipSync(readFileSync(join(dist, file)), { level: 9 }).length,
  0,
);
const FIRST_LOAD_BUDGET = 300 * 1024;
console.log(
  `console first load: ${(gzipped / 1024).toFixed(1)} KB gzipped JS in ${scripts.length} file(s); ` +
    `ratio to the 300 KB budget ${(gzipped / FIRST_LOAD_BUDGET).toFixed(3)}`,
);

// --- the run page of a 200-node run, and of a 3-node run as the baseline -------------------------------
/** A trigger and `size - 1` log nodes in ten chains (a 3-node run: two chains of one). */
const chains = (size: number): Array<Record<string, unknown>> => {
  const nodes: Array<Record<string, unknown>> = [{ id: 'start', type: 'trigger', trigger: 'manual' }];
  const count = Math.min(10, size - 1);
  for (let step = 0; nodes.length < size; step++) {
    for (let chain = 0; chain < count && nodes.length < size; chain++) {
      nodes.push({
        id: `c${chain}s${step}`,
        type: 'action',
        action: 'log',
        config: { message: `chain ${chain} step ${step}` },
        dependencies: [step === 0 ? 'start' : `c${chain}s${step - 1}`],
      });
    }
  }
  return nodes;
};
const out = fileURLToPath(new URL('./out/', import.meta.url));
const dataDir = join(out, `console-${process.pid}`);
const profile = join(out, `chromium-${process.pid}`);
const server = await startLocalServer({ port: 0, sqsPort: 0, dataDir, timeScale: 0.001, log: silentLog });
const key = server.adminKey ?? '';
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
};
/** Runs a flow of `size` nodes to its end; answers the execution id. */
const finishedRun = async (size: number): Promise<string> => {
  const flow = await call('POST', '/flows', { name: `chains-${size}`, nodes: chains(size) });
  const started = await call('POST', `/flows/${flow.flowId}/execute`, {});
  for (;;) {
    const run = await call('GET', `/executions/${started.executionId}`);
    if (run.status !== 'RUNNING') {
      if (run.status !== 'SUCCEEDED') throw new Error(`the ${size}-node run ended ${String(run.status)}`);
      return String(started.executionId);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
const NODES = 200;
const BASELINE_NODES = 3;
const runs = { large: await finishedRun(NODES), baseline: await finishedRun(BASELINE_NODES) };

const require = createRequire(join(consoleDir, 'package.json'));
// puppeteer-core is the console's dependency (console/node_modules), typed here by what is used.
interface BenchPage {
  evaluateOnNewDocument(script: string): Promise<unknown>;
  goto(url: string): Promise<unknown>;
  waitForFunction(script: string, options: { polling: 'raf'; timeout: number }): Promise<unknown>;
}
const puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default as {
  launch(options: unknown): Promise<{ newPage(): Promise<BenchPage>; close(): Promise<void> }>;
};
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
  defaultViewport: { width: 1400, height: 1000 },
});
try {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(`sessionStorage.setItem('flowforge.apiKey', ${JSON.stringify(key)})`);
  /** Milliseconds from navigation to every node (visible, with its status), edge and bar of the run. */
  const load = async (executionId: string, size: number): Promise<number> => {
    await page.goto('about:blank');
    const begin = performance.now();
    await page.goto(`${server.url}/#/runs/${executionId}`);
    // A string, evaluated in the page (this file is compiled without DOM types). React Flow hides
    // a node (inline visibility: hidden) until it knows its size, and draws edges after that.
    await page.waitForFunction(
      `document.querySelectorAll('[data-node-id][data-status="succeeded"]').length === ${size} &&
       document.querySelectorAll('.react-flow__edge').length === ${size - 1} &&
       document.querySelector('.react-flow__node[style*="hidden"]') === null &&
       document.querySelectorAll('[data-timeline-node]').length === ${size}`,
      { polling: 'raf', timeout: 30_000 },
    );
    return performance.now() - begin;
  };
  // The first loads warm the HTTP cache and the JIT; then the two pages alternate.
  await load(runs.large, NODES);
  await load(runs.baseline, BASELINE_NODES);
  const large: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < 5; i++) {
    large.push(await load(runs.large, NODES));
    baseline.push(await load(runs.baseline, BASELINE_NODES));
  }
  const ms = (values: number[]) => values.map((t) => t.toFixed(0)).join(', ');
  console.log(
    `console run page, ${NODES}-node run: median ${median(large).toFixed(0)} ms to every node, edge and bar ` +
      `(runs ${ms(large)} ms); ratio to the 1 s budget ${(median(large) / 1000).toFixed(3)}; ` +
      `baseline ${BASELINE_NODES}-node run median ${median(baseline).toFixed(0)} ms (runs ${ms(baseline)} ms), ` +
      `ratio to the baseline ${(median(large) / median(baseline)).toFixed(2)} ` +
      `(load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
  );
} finally {
  await browser.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
