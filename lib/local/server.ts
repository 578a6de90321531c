import '../runtime/polyfills.ts';
import { randomUUID } from 'node:crypto';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ApiHandler, apiRouter, createApiHandler } from '../../functions/api/api-handler.ts';
import { authorizeRequest, denialReason } from '../../functions/api/authorize-request.ts';
import type { RouteDef } from '../../functions/api/routes.ts';
import type { ApiResult, AuthorizerResult } from '../../functions/shared/http/api-event.ts';
import { HttpProblem } from '../../functions/shared/http/http-problem.ts';
import { MAX_BODY_BYTES } from '../../functions/shared/http/parse.ts';
import { toProblem } from '../../functions/shared/http/problem.ts';
import { createDynamoDbIdempotencyStore } from '../actions/idempotency.ts';
import { compile } from '../compiler/compile.ts';
import { createLocalPayloadStore, payloadDirOf } from '../payloads/local-payload-store.ts';
import { FileExecutionJournal } from '../runtime/local/execution-journal.ts';
import { FileWriterThread } from '../runtime/local/file-writer.ts';
import { localCompileContext, SUBFLOW_FUNCTION_KIND } from '../runtime/local/local-action-arns.ts';
import { LocalStateMachines } from '../runtime/local/local-state-machines.ts';
import type { RecordJson } from '../runtime/local/record-json.ts';
import type { Deps } from '../service/deps.ts';
import { UnauthorizedError } from '../service/errors.ts';
import { flowLookup } from '../service/flow-lookup.ts';
import { startExecution } from '../service/start-execution.ts';
import { settleSubflowFamily } from '../service/subflows.ts';
import { createTriggerRegistrar } from '../service/trigger-registrar.ts';
import { createLocalDocumentClient, localDynamoConfig } from '../store/client.ts';
import { createStores } from '../store/index.ts';
import { createTable } from '../store/table.ts';
import { API_SCOPES, type RateLimit, type Stores } from '../store/types.ts';
import { createLocalScheduler, type SchedulerClock, systemClock } from '../triggers/local-scheduler.ts';
import { createLocalSqsPoller, LOCAL_TRIGGER_QUEUE, startLocalSqs } from '../triggers/local-sqs-poller.ts';
import { scheduleTriggersOf } from '../triggers/schedules.ts';
import { createLocalWebhookSecrets } from '../triggers/webhook-secrets.ts';
import { LocalTaskTokens } from '../waits/local-task-tokens.ts';
import { createLocalWaitHandler } from '../waits/local-wait-handler.ts';
import { toApiEvent, toAuthorizerEvent } from './api-gateway-event.ts';
import { CachedExecutionStore } from './cached-execution-store.ts';
import { CachedFlowStore } from './cached-flow-store.ts';
import { consoleFile, DEFAULT_CONSOLE_DIR } from './console-files.ts';
import { startDynaliteThread } from './dynalite-thread.ts';
import { repairIndexes } from './index-repair.ts';
import { createLocalActions } from './local-actions.ts';
import { consoleLog, type LocalLog } from './local-log.ts';
import { createLocalSubflows, isSubflowPayload } from './local-subflows.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import { scanItems } from './scan-items.ts';
import { SerializedRateLimiter } from './serialized-rate-limiter.ts';

/** The table of local mode. */
export const LOCAL_TABLE_NAME = 'flowforge';
/** The tenant of the first admin key. */
export const LOCAL_DEFAULT_TENANT = 'default';

export interface LocalServerOptions {
  /** TCP port of the API; 0 picks a free one. */
  port: number;
  host?: string;
  /**
   * Where everything is kept: `<dataDir>/dynamodb` (dynalite, idempotency records included), the
   * execution journal, the email outbox, `<dataDir>/payloads` (large node outputs).
   */
  dataDir: string;
  /** Ensure this exact admin key exists for tenant `default` (FLOWFORGE_API_KEY). */
  apiKey?: string;
  /** Port of the local SQS endpoint (default 9324; 0 picks a free one). */
  sqsPort?: number;
  /** Multiplies every Wait, retry interval and schedule interval (tests: 0.001). Default 1. */
  timeScale?: number;
  log?: LocalLog;
  /** Hosts or CIDRs the http action may reach although private (FLOWFORGE_HTTP_ALLOW). */
  httpAllow?: string;
  /** The per-key token bucket of keys without their own limit (default 100 requests, 50 per second). */
  rateLimit?: RateLimit;
  /**
   * Where the buckets live: `dynamodb` (default: the same DynamoDB code as deployed, one conditional
   * write per request) or `memory` (this process only; no store write on the hot path).
   */
  rateLimiter?: 'dynamodb' | 'memory';
  /** The built web console served at `/` (default `console/dist` of this checkout). */
  consoleDir?: string;
}

export interface LocalServer {
  /** `http://127.0.0.1:<port>` (no trailing slash; the API is under `/api/v1`). */
  url: string;
  /** The admin key created on first start (absent when a key existed or `apiKey` was given). */
  adminKey?: string;
  /** `http://127.0.0.1:<port>` of the local SQS endpoint, and the trigger queue's URL (`…/000000000000/flowforge-triggers`). */
  sqsEndpoint: string;
  queueUrl: string;
  /** The absolute data directory. */
  dataDir: string;
  deps: Deps;
  /** Resolves once the schedules of stored flows are registered again (done in the background at start). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** A clock whose time runs `1 / timeScale` times faster than the wall clock, from now. */
const scaledClock = (timeScale: number): SchedulerClock => {
  if (timeScale === 1) return systemClock;
  const origin = Date.now();
  return {
    now: () => new Date(origin + (Date.now() - origin) / timeScale),
    setTimeout: (fn, ms) => setTimeout(fn, ms * timeScale).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
};

/**
 * Starts FlowForge on one machine: dynalite on disk, the local state machines with their journal,
 * the local SQS endpoint with its poller, the local scheduler, and an HTTP server that turns each
 * request into an API Gateway HTTP API (payload 2.0) event for the same authorizer and API handler
 * that run in Lambda.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const log = options.log ?? consoleLog();
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  const timeScale = options.timeScale ?? 1;
  const processStartedAt = new Date().toISOString();
  await mkdir(dataDir, { recursive: true });

  const cleanups: Array<() => Promise<void> | void> = [];
  // Store writes started by finishing executions: shutdown waits for them before closing the store.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.catch(() => undefined).finally(() => inFlight.delete(work));
    return work;
  };
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('shutdown step failed', { error: String(error) });
      }
    }
    cleanups.length = 0;
  };

  try {
    const dynamo = await startDynaliteThread(join(dataDir, 'dynamodb'), (error) =>
      log.warn('dynalite', { error: String(error) }),
    );
    // The marker exists while the table is open: found at start, the last process did not close
    // it (a kill, a crash), and dynalite may hold index entries of half-done writes.
    const openMarker = join(dataDir, 'dynamodb.open');
    cleanups.push(async () => {
      if (await dynamo.close()) await rm(openMarker, { force: true });
    });
    const client = createLocalDocumentClient(dynamo.endpoint, dynamo.requestHandler);
    cleanups.push(() => client.destroy());
    await createTable(client, LOCAL_TABLE_NAME);
    if (
      await access(openMarker).then(
        () => true,
        () => false,
      )
    ) {
      const repaired = await repairIndexes(client, LOCAL_TABLE_NAME);
      if (repaired.orphans + repaired.stale + repaired.missing > 0)
        log.warn('repaired the table indexes after an unclean stop', { ...repaired });
    } else await writeFile(openMarker, `${process.pid}\n`);
    const rateLimit = options.rateLimit ?? { capacity: 100, refillPerSecond: 50 };
    const storeSet = createStores(client, LOCAL_TABLE_NAME, { rateLimit });
    // This process is the one writer of its table: flow heads and running executions can be
    // cached, and takes of one rate-limit bucket are put in a row rather than made to collide.
    const stores: Stores = {
      ...storeSet,
      flows: new CachedFlowStore(storeSet.flows),
      executions: new CachedExecutionStore(storeSet.executions),
      rateLimiter:
        options.rateLimiter === 'memory'
          ? new MemoryRateLimiter(rateLimit)
          : new SerializedRateLimiter(storeSet.rateLimiter),
    };

    // Journaled: acknowledged, delayed and dead-lettered trigger messages survive a kill
    // (lib/triggers/local-sqs-journal.ts). The visibility timeout (30 s, SQS's default) is the
    // queue's retry interval: it follows the time scale, in whole seconds as SQS counts it.
    const sqs = await startLocalSqs({
      port: options.sqsPort ?? 9324,
      journalDir: join(dataDir, 'sqs'),
      visibilityTimeoutSeconds: Math.min(43_200, Math.max(1, Math.round(30 * timeScale))),
    });
    cleanups.push(() => sqs.stop());

    // The action Lambdas' own idempotency (Powertools) on the local table, and the payload folder.
    const idempotencyClient = new DynamoDBClient(localDynamoConfig(dynamo.endpoint, dynamo.requestHandler));
    cleanups.push(() => idempotencyClient.destroy());
    const payloads = createLocalPayloadStore(payloadDirOf(dataDir));
    const actions = createLocalActions({
      dataDir,
      sqsEndpoint: sqs.endpoint,
      idempotency: createDynamoDbIdempotencyStore({ tableName: LOCAL_TABLE_NAME, client: idempotencyClient }),
      payloads,
      ownQueueUrls: [sqs.queueUrl, sqs.dlqUrl],
      secrets: storeSet.secrets,
      ...(options.httpAllow === undefined ? {} : { httpAllow: options.httpAllow }),
      onLogMessage: ({ executionId, nodeId, level, message }) => {
        const extra = { executionId, nodeId, action: 'log' };
        if (level === 'error') log.error(message, extra);
        else if (level === 'warn') log.warn(message, extra);
        else log.info(message, extra);
      },
    });
    cleanups.push(() => actions.close());
    // The local task tokens: waits registered in the store, answered in this process (lib/waits).
    const taskTokens = new LocalTaskTokens();
    // Known once the server listens; a run resumed at start-up reads it only when it notifies.
    const publicUrl = { base: '' };
    const waitHandler = createLocalWaitHandler({
      store: stores.waits,
      tokens: taskTokens,
      clock: () => new Date(),
      runNotify: (payload) =>
        actions.invoke(payload, {
          kind: payload.action,
          stateName: payload.nodeId,
          signal: AbortSignal.timeout(60_000),
        }),
      get apiBaseUrl() {
        return publicUrl.base;
      },
    });
    // Subflows start their children through the service's start path; its deps are built below,
    // after the journal is loaded, and runs resumed from it may finish (or start a child) before.
    let resolveDeps!: (deps: Deps) => void;
    const depsReady = new Promise<Deps>((resolve) => {
      resolveDeps = resolve;
    });
    const subflows = createLocalSubflows(() => depsReady, taskTokens);
    // Journal saves run in a thread of their own: the API's event loop never waits on the disk.
    const journalWriter = new FileWriterThread();
    cleanups.push(() => journalWriter.close());
    const stateMachines = new LocalStateMachines({
      payloads,
      invokeAction: (payload, context) =>
        context.kind === SUBFLOW_FUNCTION_KIND
          ? subflows.invoke(payload, context)
          : actions.invoke(payload, context),
      waitForTaskToken: (payload, context) =>
        isSubflowPayload(payload) ? subflows.wait(payload, context) : waitHandler(payload, context),
      journal: new FileExecutionJournal(join(dataDir, 'state-machines'), journalWriter.write),
      timeScale,
      // The interpreter runs in a worker thread: a big run never blocks the API's event loop.
      thread: true,
      onFinished: (executionArn: string, record: RecordJson) =>
        track(depsReady.then((ready) => storeFinished(ready, executionArn, record, log))),
      onError: (error) => log.warn('state machine journal', { error: String(error) }),
    });
    await stateMachines.ready;
    cleanups.push(async () => {
      await stateMachines.close();
      await Promise.allSettled([...inFlight]);
    });

    // The scheduler and the poller start executions through the deps they are part of (built below).
    const start = (request: Parameters<typeof startExecution>[1]) => startExecution(deps, request);
    const webhookSecrets = createLocalWebhookSecrets();
    const scheduler = createLocalScheduler({
      clock: scaledClock(timeScale),
      firedMarks: stores.triggers,
      startExecution: start,
      onError: (error, context) => log.warn('scheduled start failed', { ...context, error: String(error) }),
    });
    cleanups.push(async () => {
      scheduler.stop();
      await scheduler.idle();
    });

    const deps: Deps = {
      stores,
      stateMachines,
      compile,
      compileContext: localCompileContext(),
      triggers: createTriggerRegistrar({
        triggerState: stores.triggers,
        schedules: scheduler,
        secrets: webhookSecrets,
      }),
      resolveWebhookSecrets: webhookSecrets.resolve,
      clock: () => new Date(),
      // A server-wide key limit (options.rateLimit) widens the tenant budget with it: three keys' worth.
      ...(options.rateLimit
        ? {
            tenantRateLimit: {
              capacity: Math.max(300, options.rateLimit.capacity * 3),
              refillPerSecond: Math.max(150, options.rateLimit.refillPerSecond * 3),
            },
          }
        : {}),
      apiBaseUrl: '',
      log,
      responseStreaming: true,
      payloads,
      taskTokens,
    };
    resolveDeps(deps);
    const poller = createLocalSqsPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      originOf: sqs.originOf,
      deps: { getFlow: flowLookup(deps), startExecution: start },
      onRecordError: (record, error) =>
        log.warn('queue message refused', { messageId: record.messageId, error: (error as Error).message }),
      onPollError: (error) => log.warn('queue poll failed', { error: String(error) }),
    });
    poller.start();
    cleanups.push(() => poller.stop());

    const adminKey = await ensureAdminKey(stores, options.apiKey);

    const api = createApiHandler(() => deps, log);
    const authorizerCache = new AuthorizerCache();
    const consoleDir = options.consoleDir ?? DEFAULT_CONSOLE_DIR;
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (!url.startsWith('/api/') && (req.method === 'GET' || req.method === 'HEAD')) {
        void consoleFile(consoleDir, url).then((file) => {
          res.writeHead(file.status, file.headers);
          res.end(req.method === 'HEAD' ? undefined : file.body);
        });
        return;
      }
      handleRequest(req, res, { api, stores, log, authorizerCache }).catch((error: unknown) => {
        log.error('request handling failed', { error: String(error) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end();
      });
    });
    server.keepAliveTimeout = 65_000;
    // Requests Node cannot even parse (API Gateway would refuse them too): a 400 problem, no internals.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || error.code === 'ECONNRESET') return socket.destroy();
      const requestId = randomUUID();
      const body = JSON.stringify({
        type: 'https://flowforge.dev/problems/bad-request',
        title: 'Bad request',
        status: 400,
        detail: 'the HTTP request could not be parsed',
        instance: '/',
        requestId,
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\nx-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
    await listen(server, options.port, host);
    cleanups.push(() => closeServer(server));
    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    deps.apiBaseUrl = url;
    publicUrl.base = url;

    // Lazy start-up work: schedules of stored flows and executions a crash interrupted.
    const ready = Promise.all([
      reregisterSchedules(client, stores, scheduler).catch((error: unknown) =>
        log.warn('could not re-register schedules', { error: String(error) }),
      ),
      syncInterrupted(client, deps, processStartedAt).catch((error: unknown) =>
        log.warn('could not mark interrupted executions', { error: String(error) }),
      ),
    ]).then(() => undefined);

    return {
      url,
      ...(adminKey === undefined ? {} : { adminKey }),
      sqsEndpoint: sqs.endpoint,
      // The URL the README and the banner give (the local SQS maps it to the queue fauxqs minted).
      queueUrl: `${sqs.endpoint}/000000000000/${LOCAL_TRIGGER_QUEUE}`,
      dataDir,
      deps: deps,
      ready,
      stop: async () => {
        await ready;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Tenant and execution id of a local execution ARN (`…:execution:<tenant>-<flowId uuid>:<executionId>`). */
const ownerOf = (executionArn: string): { tenant: string; executionId: string } | undefined => {
  const match =
    /:execution:([a-zA-Z0-9_-]+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:([a-zA-Z0-9_-]+)$/.exec(
      executionArn,
    );
  return match?.[1] && match[2] ? { tenant: match[1], executionId: match[2] } : undefined;
};

/**
 * Writes a finished execution's record into the store (the API then reads it without the journal).
 * The nodes go as the interpreter thread packed them: this event loop never walks a big run's nodes.
 */
async function storeFinished(
  deps: Deps,
  executionArn: string,
  finished: RecordJson,
  log: LocalLog,
): Promise<void> {
  const { stores } = deps;
  const owner = ownerOf(executionArn);
  if (!owner) return;
  const record = finished.head;
  const stored = await stores.executions.update(owner.tenant, owner.executionId, {
    status: record.status,
    ...(finished.packedNodes === undefined
      ? { nodes: finished.peek().nodes }
      : { packedNodes: finished.packedNodes }),
    ...(record.output === undefined ? {} : { output: record.output }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
  });
  const flow = await stores.flows.getFlow(owner.tenant, stored.flowId).catch(() => undefined);
  const durationMs =
    record.startedAt && record.finishedAt
      ? Date.parse(record.finishedAt) - Date.parse(stored.startedAt)
      : undefined;
  const extra = {
    executionId: owner.executionId,
    flow: flow?.name ?? stored.flowId,
    trigger: stored.trigger.id === null ? stored.trigger.type : `${stored.trigger.type}:${stored.trigger.id}`,
    status: record.status,
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(record.error ? { error: record.error.error } : {}),
  };
  if (record.status === 'SUCCEEDED') log.info('run finished', extra);
  else log.warn('run finished', extra);
  // A child answers its waiting parent; a parent that did not succeed stops its children.
  await settleSubflowFamily(deps, stored);
}

/**
 * First start: creates an admin key of tenant `default` with every scope and answers it (printed
 * once). With `apiKey`, makes sure exactly that key exists for `default` with every scope.
 */
async function ensureAdminKey(stores: Stores, apiKey: string | undefined): Promise<string | undefined> {
  const scopes = [...API_SCOPES];
  if (apiKey !== undefined) {
    const existing = await stores.apiKeys.findByKey(apiKey);
    if (!existing)
      await stores.apiKeys.create({
        tenant: LOCAL_DEFAULT_TENANT,
        name: 'admin (FLOWFORGE_API_KEY)',
        scopes,
        key: apiKey,
      });
    return undefined;
  }
  const page = await stores.apiKeys.list(LOCAL_DEFAULT_TENANT, { limit: 1 });
  if (page.items.length > 0) return undefined;
  const created = await stores.apiKeys.create({ tenant: LOCAL_DEFAULT_TENANT, name: 'admin', scopes });
  return created.key;
}

/** Registers the schedules of every live flow again (the local scheduler keeps them in memory only). */
async function reregisterSchedules(
  client: ReturnType<typeof createLocalDocumentClient>,
  stores: Stores,
  scheduler: ReturnType<typeof createLocalScheduler>,
): Promise<void> {
  for await (const head of scanItems(client, {
    TableName: LOCAL_TABLE_NAME,
    FilterExpression: 'sk = :head',
    ExpressionAttributeValues: { ':head': 'HEAD' },
  })) {
    if (head.deleted === true || typeof head.tenant !== 'string' || typeof head.flowId !== 'string') continue;
    const version = await stores.flows.getVersion(head.tenant, head.flowId);
    const schedules = scheduleTriggersOf(version.triggers);
    if (schedules.length === 0) continue;
    await scheduler.register(
      { tenantId: head.tenant, flowId: head.flowId, version: version.version },
      schedules,
    );
  }
}

/**
 * Brings stored RUNNING executions up to date with the journal after a restart, so none stays
 * RUNNING with nothing running: a crash left the journal's ones INTERRUPTED (written back here); a
 * record the crash caught between its write and its start is started now (its idempotency key makes
 * that the one start); a record whose execution the journal never saw is INTERRUPTED. Records
 * written after this process started are left alone (their start is in flight).
 */
async function syncInterrupted(
  client: ReturnType<typeof createLocalDocumentClient>,
  deps: Deps,
  startedAt: string,
): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  for await (const item of scanItems(client, {
    TableName: LOCAL_TABLE_NAME,
    FilterExpression: 'sk = :exec AND #status = :running AND updatedAt < :started',
    ExpressionAttributeValues: { ':exec': 'EXEC', ':running': 'RUNNING', ':started': startedAt },
    ExpressionAttributeNames: { '#status': 'status' },
  })) {
    if (typeof item.tenant !== 'string' || typeof item.executionId !== 'string') continue;
    // A few at a time: a crash during a burst leaves many, and each start is a few store writes.
    const work = settle(deps, item, item.tenant, item.executionId);
    pending.add(work);
    void work.finally(() => pending.delete(work));
    if (pending.size >= 8) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/** One stored RUNNING execution of before the restart: written back, started, or INTERRUPTED. */
async function settle(deps: Deps, item: Record<string, unknown>, tenant: string, executionId: string) {
  const describe = (arn: unknown) =>
    typeof arn === 'string' ? deps.stateMachines.describe(arn).catch(() => undefined) : undefined;
  let record = await describe(item.executionArn);
  if (!record) {
    // The state machine never had it (the crash fell between the store's write and the start; the
    // record's ARN, when it was planned, does not tell): start it now, its idempotency key makes that the one start.
    const execution = await deps.stores.executions.get(tenant, executionId).catch(() => undefined);
    const restarted =
      execution?.idempotencyKey === undefined
        ? undefined
        : await startExecution(deps, {
            tenantId: tenant,
            flowId: execution.flowId,
            version: execution.version,
            input: execution.input,
            trigger: execution.trigger as Parameters<typeof startExecution>[1]['trigger'],
            idempotencyKey: execution.idempotencyKey,
          }).catch(() => undefined);
    // Started now, it runs and writes its own end back; had it reached the state machine before the
    // crash (only an ARN update after the start was lost), the journal marked it INTERRUPTED at load.
    if (restarted)
      record = await describe(
        (await deps.stores.executions.get(tenant, executionId).catch(() => undefined))?.executionArn,
      );
    if (!record) {
      await markInterrupted(deps, tenant, executionId, 'the server stopped before the execution started');
      return;
    }
  }
  if (record.status === 'RUNNING') return;
  await deps.stores.executions
    .update(
      tenant,
      executionId,
      {
        status: record.status,
        nodes: record.nodes,
        ...(record.error === undefined ? {} : { error: record.error }),
        ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
        ...(record.output === undefined ? {} : { output: record.output }),
      },
      { onlyIfStatus: ['RUNNING'] },
    )
    .catch(() => undefined);
}

const markInterrupted = (deps: Deps, tenant: string, executionId: string, cause: string) =>
  deps.stores.executions
    .update(
      tenant,
      executionId,
      {
        status: 'INTERRUPTED',
        finishedAt: new Date().toISOString(),
        error: { error: 'Interrupted', cause },
      },
      { onlyIfStatus: ['RUNNING'] },
    )
    .catch(() => undefined);

const PUBLIC = new Set(['/api/v1/health', '/api/v1/openapi.json']);

/** Bodies beyond this are not drained: the 413 goes out at once (API Gateway's own limit is 10 MB). */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads a request body up to the API's limit; answers `null` when it is larger (the rest is read
 * and dropped so that the client sees the 413; past `MAX_DRAIN_BYTES` it answers at once and the
 * connection is closed after the 413).
 */
const readBody = (req: IncomingMessage): Promise<string | null> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES && !req.isPaused()) {
        // Answer 413 now and close the connection after it, instead of reading the rest.
        req.pause();
        resolveBody(null);
      }
    });
    req.on('end', () => resolveBody(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    // A cut or aborted upload: nothing to answer (settling twice is a no-op after 'end').
    req.on('close', () => resolveBody(null));
    req.on('error', reject);
  });

/** One HTTP request: the authorizer (for routes that need a key), then the API handler. */
async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  context: { api: ApiHandler; stores: Stores; log: LocalLog; authorizerCache: AuthorizerCache },
): Promise<void> {
  const started = performance.now();
  const body = await readBody(req);
  const event = toApiEvent({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body: body ?? '',
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
  });
  const problemResult = (error: unknown): ApiResult => {
    const problem = toProblem(error, { requestId: event.requestContext.requestId, instance: event.rawPath });
    return {
      statusCode: problem.status,
      headers: {
        ...problem.headers,
        'content-type': 'application/problem+json',
        'x-request-id': event.requestContext.requestId,
      },
      body: JSON.stringify(problem.body),
    };
  };

  let result: ApiResult;
  let routed: { route: RouteDef; params: Record<string, string> } | undefined;
  if (body === null) {
    result = problemResult(
      new HttpProblem(413, 'Payload too large', `the request body is larger than ${MAX_BODY_BYTES} bytes`),
    );
  } else {
    const match = apiRouter.match(event.requestContext.http.method, event.rawPath);
    if (match.kind === 'found') {
      routed = match;
      event.routeKey = `${match.route.method} ${match.route.path}`;
      event.requestContext.routeKey = event.routeKey;
      event.pathParameters = match.params;
    }
    const needsKey = match.kind === 'found' && match.route.scope !== null && !PUBLIC.has(event.rawPath);
    let denied: string | undefined;
    if (needsKey) {
      const authorization = await context.authorizerCache.authorize(event.headers.authorization, () =>
        authorizeRequest(context.stores.apiKeys, toAuthorizerEvent(event)),
      );
      // As API Gateway does: an authorized request carries the context (a refused key's `denied`
      // reason included, which the API handler answers with 401); an unauthorized one stops here.
      if (authorization.isAuthorized) {
        event.requestContext.authorizer = {
          lambda: authorization.context,
        } as typeof event.requestContext.authorizer;
      } else {
        denied = denialReason(event.headers.authorization);
      }
    }
    result =
      denied !== undefined
        ? problemResult(new UnauthorizedError(denied))
        : await context.api(event, lambdaContext(event));
  }
  // A revoked key stops working at once: its cached answers go, by key id (the route the router
  // matched, whatever the path looked like: a path that names no route was never routed).
  if (result.statusCode === 204 && routed?.route.operationId === 'revokeKey') {
    const keyId = routed.params.keyId;
    if (keyId !== undefined) context.authorizerCache.forgetKey(keyId);
  }
  const headers: Record<string, string> = { ...result.headers };
  if (body === null) headers.connection = 'close';
  if (result.statusCode === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(result.statusCode, headers);
  if (result.stream) await writeStream(res, result.stream);
  else if (result.isBase64Encoded && result.body !== undefined) res.end(Buffer.from(result.body, 'base64'));
  else res.end(result.body ?? '');
  context.log.request(
    event.requestContext.http.method,
    event.rawPath,
    result.statusCode,
    performance.now() - started,
  );
}

/** Writes a streamed body (server-sent events) until it ends or the client goes away. */
async function writeStream(res: ServerResponse, stream: AsyncIterable<string>): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.flushHeaders();
  try {
    while (!closed) {
      const next = await iterator.next();
      if (next.done || closed) break;
      res.write(next.value);
    }
  } finally {
    await iterator.return?.();
    res.end();
  }
}

/**
 * The local stand-in for API Gateway's authorizer cache (keyed on the Authorization header, like the
 * deployed authorizer's identity source). Valid keys' answers are kept `ttlMs`; refusals are not cached.
 * Revoking a key clears it, so a revoked key stops working at once.
 */
class AuthorizerCache {
  private readonly entries = new Map<string, { result: AuthorizerResult; expires: number }>();
  constructor(private readonly ttlMs = 300_000) {}

  async authorize(
    header: string | undefined,
    authorize: () => Promise<AuthorizerResult>,
  ): Promise<AuthorizerResult> {
    if (header === undefined) return authorize();
    const cached = this.entries.get(header);
    if (cached && cached.expires > Date.now()) return cached.result;
    const result = await authorize();
    if (result.isAuthorized && 'tenant' in result.context) {
      if (this.entries.size >= 10_000) this.entries.clear();
      this.entries.set(header, { result, expires: Date.now() + this.ttlMs });
    }
    return result;
  }

  /** Drops every cached answer for `keyId`, whichever header spelling brought it in. */
  forgetKey(keyId: string): void {
    for (const [header, entry] of this.entries) {
      if ('keyId' in entry.result.context && entry.result.context.keyId === keyId)
        this.entries.delete(header);
    }
  }
}

/** A Lambda context good enough for middy. */
const lambdaContext = (event: { requestContext: { requestId: string } }) =>
  ({
    awsRequestId: event.requestContext.requestId,
    functionName: 'flowforge-api-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:flowforge-api-local',
    memoryLimitInMB: '1024',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as never;

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });

/** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes the rest. */
const closeServer = (server: Server, graceMs = 2000) =>
  new Promise<void>((resolveClose) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolveClose();
    });
    server.closeIdleConnections();
  });
