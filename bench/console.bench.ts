// Budgets of the web console (issue 14), measured in this run and printed as ratios to the budget:
// - first load: the gzipped JS the console's index.html loads (entry + modulepreloads) ≤ 300 KB;
// - the run page of a 200-node run renders (every node drawn with its status, every timeline bar)
//   in < 1 s in headless Chromium, from navigation to the last bar (median of 5 loads).
// Run: node --import tsx bench/console.bench.ts (builds the console first if it is stale).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS } from '../console/test/chromium-args.ts';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';

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

// --- the run page of a 200-node run -----------------------------------------------------------------
const NODES = 200;
const CHAINS = 10;
const nodes: Array<Record<string, unknown>> = [{ id: 'start', type: 'trigger', trigger: 'manual' }];
for (let chain = 0; chain < CHAINS; chain++) {
  for (let step = 0; step < (NODES - 1) / CHAINS && nodes.length < NODES; step++) {
    nodes.push({
      id: `c${chain}s${step}`,
      type: 'action',
      action: 'log',
      config: { message: `chain ${chain} step ${step}` },
      dependencies: [step === 0 ? 'start' : `c${chain}s${step - 1}`],
    });
  }
}
const server = await startLocalServer({
  port: 0,
  sqsPort: 0,
  dataDir: join(fileURLToPath(new URL('./out/', import.meta.url)), `console-${process.pid}`),
  timeScale: 0.001,
  log: silentLog,
});
const key = server.adminKey ?? '';
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
};
const flow = await call('POST', '/flows', { name: 'two-hundred', nodes });
const started = await call('POST', `/flows/${flow.flowId}/execute`, {});
for (;;) {
  const run = await call('GET', `/executions/${started.executionId}`);
  if (run.status !== 'RUNNING') {
    if (run.status !== 'SUCCEEDED') throw new Error(`the 200-node run ended ${String(run.status)}`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

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
const profile = join(fileURLToPath(new URL('./out/', import.meta.url)), `chromium-${process.pid}`);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
  defaultViewport: { width: 1400, height: 1000 },
});
try {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(`sessionStorage.setItem('flowforge.apiKey', ${JSON.stringify(key)})`);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    await page.goto('about:blank');
    const begin = performance.now();
    await page.goto(`${server.url}/#/runs/${String(started.executionId)}`);
    // A string, evaluated in the page (this file is compiled without DOM types).
    await page.waitForFunction(
      `document.querySelectorAll('[data-node-id][data-status="succeeded"]').length === ${NODES} &&
       document.querySelectorAll('[data-timeline-node]').length === ${NODES}`,
      { polling: 'raf', timeout: 30_000 },
    );
    if (i > 0) times.push(performance.now() - begin); // the first load warms the HTTP cache and the JIT
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  console.log(
    `console run page, ${NODES}-node run: median ${median.toFixed(0)} ms to every node and bar (runs ${times.map((t) => t.toFixed(0)).join(', ')} ms); ratio to the 1 s budget ${(median / 1000).toFixed(3)} (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
  );
} finally {
  await browser.close();
  await server.stop();
}
