// `npm start` against its history: start time (process spawn to the first 200 from /health) and
// resident memory once started, with a few past executions and with 20,000, alternating the two data
// dirs so machine noise hits both alike. Goal (issue 15): both ratios ≤ 1.2.
// `node --import tsx bench/local-start.bench.ts [pastExecutions] [rounds]`
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynaliteThread } from '../lib/local/dynalite-thread.ts';
import { LOCAL_TABLE_NAME } from '../lib/local/server.ts';
import { FileExecutionJournal } from '../lib/runtime/local/execution-journal.ts';
import { createLocalDocumentClient } from '../lib/store/client.ts';
import { createStores } from '../lib/store/index.ts';
import { createTable } from '../lib/store/table.ts';
import { median } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const many = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const few = 20;

/** A data dir holding `count` finished executions, in the store and in the journal, as runs leave them. */
async function seed(count: number): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), `flowforge-start-${count}-`));
  const dynamo = await startDynaliteThread(join(dataDir, 'dynamodb'), () => undefined);
  const client = createLocalDocumentClient(dynamo.endpoint);
  await createTable(client, LOCAL_TABLE_NAME);
  const stores = createStores(client, LOCAL_TABLE_NAME, {
    rateLimit: { capacity: 100, refillPerSecond: 50 },
  });
  const journal = new FileExecutionJournal(join(dataDir, 'state-machines'));
  const nodes = Object.fromEntries(
    ['start', 'fetch', 'shape', 'notify'].map((id) => [
      id,
      { status: 'succeeded', output: { id, text: 'x'.repeat(200) }, startedAt: '2026-01-01T00:00:00.000Z' },
    ]),
  );
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const executionId = `past-${i}`;
      const executionArn = `arn:aws:states:local:000000000000:execution:default-bench:${executionId}`;
      await stores.executions.create('default', {
        flowId: 'bench',
        version: 1,
        trigger: { id: null, type: 'api' },
        input: { i },
        executionId,
        executionArn,
        status: 'SUCCEEDED',
      });
      await journal.saveExecution({
        executionArn,
        name: executionId,
        stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:default-bench',
        versionArn: 'arn:aws:states:local:000000000000:stateMachine:default-bench:1',
        input: { input: { i }, execution: { id: executionId, startedAt: '', flowId: 'bench', version: 1 } },
        record: { status: 'SUCCEEDED', nodes: nodes as never, output: { done: true } },
        redriveCount: 0,
        updatedAt: new Date().toISOString(),
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  client.destroy();
  await dynamo.close();
  return dataDir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `npm start`'s entry on `dataDir`; answers ms to the first healthy answer and RSS in MiB. */
async function startOnce(dataDir: string): Promise<{ ms: number; rssMiB: number }> {
  const [port, sqsPort] = [await freePort(), await freePort()];
  const begin = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      PORT: String(port),
      FLOWFORGE_SQS_PORT: String(sqsPort),
      FLOWFORGE_DATA_DIR: dataDir,
      FLOWFORGE_API_KEY: 'ffk_bench_start_key_0123456789abcdef',
      FLOWFORGE_LOG_REQUESTS: '0',
    },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/api/v1/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - begin;
    await new Promise((r) => setTimeout(r, 300));
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { ms, rssMiB: rssKiB / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const seedStart = performance.now();
const dirs = { few: await seed(few), many: await seed(many) };
console.log(
  `seeded ${few} and ${many} past executions in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
);
try {
  const results: Record<'few' | 'many' | 'crashed', Array<{ ms: number; rssMiB: number }>> = {
    few: [],
    many: [],
    crashed: [],
  };
  for (let r = 0; r < rounds; r++) {
    results.few.push(await startOnce(dirs.few));
    results.many.push(await startOnce(dirs.many));
    // As a kill -9 leaves it: the table's open marker, so the start repairs the indexes first.
    await writeFile(join(dirs.many, 'dynamodb.open'), '0\n');
    results.crashed.push(await startOnce(dirs.many));
  }
  const ms = { few: median(results.few.map((x) => x.ms)), many: median(results.many.map((x) => x.ms)) };
  const rss = {
    few: median(results.few.map((x) => x.rssMiB)),
    many: median(results.many.map((x) => x.rssMiB)),
  };
  console.log(
    `start  ${few} past: ${ms.few.toFixed(0)} ms   ${many} past: ${ms.many.toFixed(0)} ms   ratio ${(ms.many / ms.few).toFixed(2)} (goal ≤ 1.2)`,
  );
  const crashed = median(results.crashed.map((x) => x.ms));
  console.log(
    `start after a crash (index repair), ${many} past: ${crashed.toFixed(0)} ms   ratio to a clean start ${(crashed / ms.many).toFixed(2)} (no goal: only after kill -9)`,
  );
  console.log(
    `memory ${few} past: ${rss.few.toFixed(0)} MiB  ${many} past: ${rss.many.toFixed(0)} MiB  ratio ${(rss.many / rss.few).toFixed(2)} (goal ≤ 1.2)`,
  );
} finally {
  if (!process.env.KEEP)
    await Promise.all(Object.values(dirs).map((dir) => rm(dir, { recursive: true, force: true })));
}
