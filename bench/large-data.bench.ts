/**
 * Large data (run: node --import tsx bench/large-data.bench.ts). Runs the ~1.6 MB flow of
 * test/fixtures/large-data/flow.json (an http GET of ~600 KB from a local server, a transform over
 * it behind a condition on the status, six ~150 KB transforms) on the local runner with the payload
 * store, and prints per node the bytes of the state its Task exited with — after offload (what the
 * machine carried) and before (the same state with every reference replaced by its value, i.e.
 * what it would have carried inline) — and the ratio; then the largest state both ways against
 * Step Functions' 256 KiB, and the bytes kept in the payload store.
 */
import '../lib/runtime/polyfills.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../lib/compiler/compile.ts';
import { createLocalPayloadStore } from '../lib/payloads/local-payload-store.ts';
import { jsonBytes } from '../lib/payloads/offload.ts';
import { refKeys, resolveRefs } from '../lib/payloads/resolve-refs.ts';
import { localCompileContext } from '../lib/runtime/local/local-action-arns.ts';
import { createRegisteredInvoker, MAX_STATE_BYTES, runLocally } from '../lib/runtime/local/run-locally.ts';
import { startOrdersServer } from '../test/support/orders-server.ts';

process.env.FLOWFORGE_HTTP_ALLOW = '127.0.0.1';
const orders = await startOrdersServer();
const dir = await mkdtemp(join(tmpdir(), 'ff-bench-large-'));
try {
  const payloads = createLocalPayloadStore(dir);
  const definition = JSON.parse(
    await readFile(new URL('../test/fixtures/large-data/flow.json', import.meta.url), 'utf8'),
  );
  const { asl } = compile(definition, localCompileContext());
  const run = runLocally(
    asl,
    {
      input: { baseUrl: orders.baseUrl },
      execution: { id: 'bench-large', startedAt: new Date().toISOString(), flowId: 'bench', version: 1 },
    },
    { invokeAction: createRegisteredInvoker({ payloads }) },
  );
  const record = await run.promise;
  if (record.status !== 'SUCCEEDED')
    throw new Error(`the flow ended ${record.status}: ${JSON.stringify(record.error)}`);

  const get = (key: string) => payloads.getJson(key);
  const rows: Array<{ node: string; after: number; before: number }> = [];
  let largestAfter = 0;
  let largestBefore = 0;
  for (const event of run.events()) {
    const state = (event as { type: string; state?: { name: string; output?: unknown; input?: unknown } })
      .state;
    for (const data of [state?.input, state?.output]) {
      if (data === undefined) continue;
      largestAfter = Math.max(largestAfter, jsonBytes(data));
      largestBefore = Math.max(largestBefore, jsonBytes(await resolveRefs(data, get)));
    }
    if (event.type === 'StateExited' && state && state.name in record.nodes) {
      rows.push({
        node: state.name,
        after: jsonBytes(state.output),
        before: jsonBytes(await resolveRefs(state.output, get)),
      });
    }
  }
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(11);
  console.log(
    `served ${kb(orders.bytes).trim()} of JSON; inline limit ${process.env.FLOWFORGE_INLINE_BYTES ?? 8192} bytes`,
  );
  console.log('node         state after offload   before (inline)   ratio before/after');
  for (const row of rows) {
    console.log(
      `${row.node.padEnd(12)} ${kb(row.after)}        ${kb(row.before)}      ${(row.before / row.after).toFixed(1).padStart(6)}x`,
    );
  }
  const stored = [...refKeys(record)];
  let storedBytes = 0;
  for (const key of stored) storedBytes += jsonBytes(await get(key));
  console.log(
    `largest state: ${kb(largestAfter).trim()} after, ${kb(largestBefore).trim()} before (limit ${kb(MAX_STATE_BYTES).trim()}): ` +
      `${(largestBefore / MAX_STATE_BYTES).toFixed(1)}x the limit before, ${(largestAfter / MAX_STATE_BYTES).toFixed(3)}x after`,
  );
  console.log(`payload store: ${stored.length} objects referenced by the record, ${kb(storedBytes).trim()}`);
} finally {
  await orders.close();
  await rm(dir, { recursive: true, force: true });
}
