// Benchmark of the trigger paths (issue 6): webhook signature verification, SQS trigger
// throughput through fauxqs with the local poller, and the local scheduler's fire-time work.
// The start is a fake that dedupes by key, so the figures are the triggers' own cost.
// Run: node --import tsx bench/triggers.bench.ts

import { performance } from 'node:perf_hooks';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { generateWebhookSecret, signWebhook, verifyWebhook } from '../lib/security/webhook-signature.ts';
import { createLocalScheduler, type SchedulerClock } from '../lib/triggers/local-scheduler.ts';
import { createLocalSqsPoller, startLocalSqs } from '../lib/triggers/local-sqs-poller.ts';
import { toScheduleTrigger } from '../lib/triggers/schedules.ts';
import type { StartExecutionRequest, TriggerFlow } from '../lib/triggers/start-execution-port.ts';
import { definitionSchema } from '../lib/workflow/definition-schema.ts';

const started = new Set<string>();
const startExecution = async (request: StartExecutionRequest) => {
  const alreadyStarted = started.has(request.idempotencyKey);
  started.add(request.idempotencyKey);
  return { executionId: request.idempotencyKey, status: 'RUNNING', alreadyStarted };
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function benchWebhooks(): Promise<void> {
  const secrets = [generateWebhookSecret(), generateWebhookSecret()];
  const now = new Date();
  for (const size of [1024, 64 * 1024]) {
    const rawBody = JSON.stringify({ data: 'x'.repeat(size) });
    const headers = signWebhook({ secret: secrets[1] ?? '', webhookId: 'msg_1', timestamp: now, rawBody });
    const rounds = size > 10_000 ? 2_000 : 20_000;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) {
      // The matching secret is the second: the worst case of a rotation (two HMACs per request).
      if (!verifyWebhook({ rawBody, headers, secrets, now }).ok) throw new Error('verification failed');
    }
    const ms = performance.now() - start;
    console.log(
      `webhook verify, ${(rawBody.length / 1024).toFixed(0)} KiB body, 2 secrets: ${((rounds / ms) * 1000).toFixed(0)} req/s (${((ms / rounds) * 1000).toFixed(1)} µs each)`,
    );
  }
}

async function benchSqs(): Promise<void> {
  const sqs = await startLocalSqs({ port: 0 });
  const flow: TriggerFlow = {
    flowId: 'bench',
    version: 1,
    definition: definitionSchema.parse({
      name: 'bench',
      inputSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      nodes: [{ id: 'q', type: 'trigger', trigger: 'queue' }],
    }),
  };
  const poller = createLocalSqsPoller({
    client: sqs.client,
    queueUrl: sqs.queueUrl,
    waitTimeSeconds: 0,
    deps: { getFlow: async (_tenant, flowId) => (flowId === 'bench' ? flow : null), startExecution },
  });
  const total = 2_000;
  const sendStart = performance.now();
  for (let offset = 0; offset < total; offset += 10) {
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({ flowId: 'bench', input: { n: offset + i } }),
        })),
      }),
    );
  }
  const sendMs = performance.now() - sendStart;
  const batchMs: number[] = [];
  let processed = 0;
  const start = performance.now();
  while (processed < total) {
    const t0 = performance.now();
    const result = await poller.pollOnce();
    batchMs.push(performance.now() - t0);
    processed += result.received;
    if (result.received === 0) break;
  }
  const ms = performance.now() - start;
  await sqs.stop();
  console.log(`sqs send (batches of 10) to fauxqs: ${((total / sendMs) * 1000).toFixed(0)} msg/s`);
  console.log(
    `sqs trigger, receive+process+delete via local poller: ${processed} messages in ${ms.toFixed(0)} ms = ${((processed / ms) * 1000).toFixed(0)} msg/s; median batch of 10 ${median(batchMs).toFixed(1)} ms`,
  );
}

async function benchScheduler(): Promise<void> {
  let now = Date.parse('2026-06-01T00:00:00Z');
  const timers: Array<{ at: number; fn: () => void }> = [];
  const clock: SchedulerClock = {
    now: () => new Date(now),
    setTimeout: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      const index = timers.indexOf(handle as (typeof timers)[number]);
      if (index >= 0) timers.splice(index, 1);
    },
  };
  const fired = new Map<string, string>();
  const marks = {
    markScheduleFired: async (t: string, f: string, g: string, iso: string) => {
      const key = `${t}/${f}/${g}/${iso}`;
      if (fired.has(key)) return false;
      fired.set(key, iso);
      return true;
    },
    lastScheduleFired: async (_t: string, _f: string, g: string) =>
      g === 'minutely' ? '2026-05-01T00:00:00.000Z' : undefined,
  };
  const scheduler = createLocalScheduler({ clock, firedMarks: marks, startExecution });
  const flows = 1_000;
  const registerStart = performance.now();
  for (let i = 0; i < flows; i++) {
    await scheduler.register({ tenantId: 'default', flowId: `f${i}`, version: 1 }, [
      toScheduleTrigger('nightly', { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' }),
    ]);
  }
  const registerMs = performance.now() - registerStart;
  console.log(
    `local scheduler: register ${flows} Berlin cron schedules: ${registerMs.toFixed(0)} ms (${((registerMs / flows) * 1000).toFixed(0)} µs each)`,
  );

  // Catch-up after 31 days of downtime on a minutely schedule: find the one most recent missed instant.
  const catchUpStart = performance.now();
  await scheduler.register({ tenantId: 'default', flowId: 'm', version: 1 }, [
    toScheduleTrigger('minutely', { rate: '1 minute' }),
  ]);
  console.log(
    `local scheduler: catch-up search over 31 days of a minutely schedule: ${(performance.now() - catchUpStart).toFixed(1)} ms`,
  );

  // Fire the next nightly instant of the 1,000 schedules (and the minutely one up to then).
  now = Date.parse('2026-06-01T00:00:00Z');
  const fireStart = performance.now();
  timers.sort((a, b) => a.at - b.at);
  const due = timers.filter((timer) => timer.at <= Date.parse('2026-06-02T01:00:00Z'));
  for (const timer of due) {
    now = timer.at;
    timer.fn();
  }
  await scheduler.idle();
  const fireMs = performance.now() - fireStart;
  console.log(
    `local scheduler: fire ${due.length} due instants (mark + start + re-arm): ${fireMs.toFixed(0)} ms`,
  );
  scheduler.stop();
}

await benchWebhooks();
await benchSqs();
await benchScheduler();
