import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** The SDK's request handler slot of a DynamoDB client. */
export type DynamoRequestHandler = NonNullable<DynamoDBClientConfig['requestHandler']>;

/** dynalite running in a worker thread of this process. */
export interface DynaliteThread {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /**
   * An SDK request handler that hands each signed request to dynalite's own request handler in the
   * thread over a MessagePort: no TCP, no HTTP on either side, the same DynamoDB semantics (dynalite
   * still checks the target, the body, the signature's shape and the item). For the process's own
   * clients; `endpoint` stays served over HTTP for any other.
   */
  requestHandler: DynamoRequestHandler;
  /**
   * Closes the database; answers false when it did not close within 2 s and the thread was
   * terminated (a write may then have been cut in half, as by a kill).
   */
  close(): Promise<boolean>;
}

/** One request over the port: what dynalite's HTTP handler reads of `req`. */
interface PortRequest {
  id: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
/** Its answer: what dynalite's handler wrote to `res`. */
interface PortResponse {
  id: number;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

// Plain CommonJS run by the worker: no TypeScript loader is needed inside the thread.
// Requests on the port go to the very function dynalite serves HTTP with, given the few members of
// `req` and `res` it uses (headers, method, url, 'data'/'end'; statusCode, setHeader, end).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
// dynalite reads the table's description from LevelDB at every request (one more read than the
// item's own); it changes only through the table's own writes, so it is kept here between them.
// A read is kept only when no table write started or ended while it ran and none is in flight
// (LevelDB may serve a read issued after a write's start from before it). Each reader gets its
// own copy (dynalite's actions may change the object they were given).
const dbModule = require(require('node:path').join(require('node:path').dirname(workerData.dynalitePath), 'db'));
const createStore = dbModule.create;
dbModule.create = (options) => {
  const store = createStore(options);
  const tableDb = store.tableDb;
  const tables = new Map();
  let generation = 0;
  let writing = 0;
  const forget = (write) => function (...args) {
    generation++;
    writing++;
    tables.clear();
    const last = args.length - 1;
    const done = typeof args[last] === 'function' ? args[last] : undefined;
    const settle = (...result) => {
      generation++;
      writing--;
      tables.clear();
      if (done) done(...result);
    };
    if (done) args[last] = settle;
    else args.push(settle);
    return write.apply(this, args);
  };
  tableDb.put = forget(tableDb.put);
  tableDb.del = forget(tableDb.del);
  tableDb.batch = forget(tableDb.batch);
  const read = tableDb.get;
  tableDb.get = function (name, callback) {
    const known = tables.get(name);
    if (known !== undefined) return process.nextTick(callback, null, structuredClone(known));
    const asked = generation;
    return read.call(this, name, (error, table) => {
      if (!error && table && asked === generation && writing === 0) tables.set(name, structuredClone(table));
      callback(error, table);
    });
  };
  return store;
};
const dynalite = require(workerData.dynalitePath);
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const handle = server.listeners('request')[0];
const port = workerData.port;
let closing = false;
// A request still in flight when the database closes fails inside dynalite's callbacks: that is
// expected during shutdown and must not take the thread (or the process) down.
process.on('uncaughtException', (error) => {
  if (!closing) parentPort.postMessage({ error: String(error && error.message || error) });
});
port.on('message', (request) => {
  const req = new EventEmitter();
  req.method = request.method;
  req.url = request.url;
  req.headers = request.headers;
  const headers = {};
  const res = {
    statusCode: 200,
    setHeader(name, value) { headers[name.toLowerCase()] = String(value); },
    end(body) {
      port.postMessage({ id: request.id, statusCode: res.statusCode, headers, body: body === undefined ? '' : String(body) });
    },
  };
  handle(req, res);
  if (request.body) req.emit('data', Buffer.from(request.body, 'utf8'));
  req.emit('end');
});
server.on('error', (error) => parentPort.postMessage({ error: String(error && error.message || error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') {
    closing = true;
    if (server.closeAllConnections) server.closeAllConnections();
    server.close(() => parentPort.postMessage({ closed: true }));
  }
});
`;

/**
 * Starts dynalite (on disk under `path`) in a worker thread, so that DynamoDB's request handling
 * runs on another core than the API and the local state machines. The thread ends with the process
 * (a SIGKILL leaves no orphan holding the LevelDB lock). Errors inside the thread after start go to
 * `onError`, never up as the process's uncaught exception.
 */
export function startDynaliteThread(
  path: string,
  onError: (error: unknown) => void = () => undefined,
): Promise<DynaliteThread> {
  const dynalitePath = createRequire(import.meta.url).resolve('dynalite');
  const channel = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, dynalitePath, port: channel.port2 },
    transferList: [channel.port2],
  });
  const transport = new PortTransport(channel.port1);
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`dynalite thread exited with ${code}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.off('exit', onExit);
      worker.off('error', reject);
      // Requests in flight when the thread ends (closed, terminated) are answered with an error.
      worker.once('exit', (code) =>
        transport.fail(new Error(`the local DynamoDB is closed (thread exit ${code})`)),
      );
      worker.on('error', onError);
      worker.on('message', (later: { error?: string }) => {
        if (later.error !== undefined) onError(new Error(later.error));
      });
      if (message.port === undefined) {
        void worker.terminate();
        reject(new Error(`dynalite could not start: ${message.error ?? 'unknown error'}`));
        return;
      }
      resolve({
        endpoint: `http://127.0.0.1:${message.port}`,
        requestHandler: transport.handler(),
        close: () =>
          new Promise<boolean>((resolveClose) => {
            const done = (closed: boolean) => {
              transport.fail(new Error('the local DynamoDB is closed'));
              resolveClose(closed);
            };
            const timer = setTimeout(() => void worker.terminate().then(() => done(false)), 2000);
            const onClosed = (message: { closed?: boolean }) => {
              if (message.closed !== true) return;
              worker.off('message', onClosed);
              clearTimeout(timer);
              void worker.terminate().then(() => done(true));
            };
            worker.on('message', onClosed);
            worker.postMessage('close');
          }),
      });
    });
  });
}

/** The main thread's end of the port: requests in flight by id, answered in any order. */
class PortTransport {
  private readonly pending = new Map<number, (response: PortResponse | Error) => void>();
  private nextId = 0;
  private failed: Error | undefined;

  constructor(private readonly port: MessagePort) {
    port.on('message', (response: PortResponse) => {
      const settle = this.pending.get(response.id);
      this.pending.delete(response.id);
      settle?.(response);
    });
    // The worker keeps the process alive while it runs; the port must not keep it alive after.
    port.unref();
  }

  /** Every request in flight, and every later one, fails with `error` (the thread is gone). */
  fail(error: Error): void {
    this.failed ??= error;
    for (const settle of this.pending.values()) settle(error);
    this.pending.clear();
    this.port.close();
  }

  handler(): DynamoRequestHandler {
    const handle = async (
      request: {
        method: string;
        path: string;
        query?: Record<string, string | string[] | null>;
        headers: Record<string, string>;
        body?: unknown;
      },
      options?: { abortSignal?: { aborted: boolean } },
    ) => {
      if (this.failed) throw this.failed;
      if (options?.abortSignal?.aborted)
        throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const id = this.nextId++;
      const answer = new Promise<PortResponse | Error>((settle) => this.pending.set(id, settle));
      const message: PortRequest = {
        id,
        method: request.method,
        url: request.path + queryString(request.query),
        headers,
        body: bodyText(request.body),
      };
      this.port.postMessage(message);
      const response = await answer;
      if (response instanceof Error) throw response;
      return {
        response: {
          statusCode: response.statusCode,
          headers: response.headers,
          body: Buffer.from(response.body, 'utf8'),
        },
      };
    };
    return {
      handle,
      metadata: { handlerProtocol: 'http/1.1' },
      destroy: () => undefined,
    } as DynamoRequestHandler;
  }
}

const queryString = (query: Record<string, string | string[] | null> | undefined): string => {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value])
      parts.push(
        one === null ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(one)}`,
      );
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
};

const bodyText = (body: unknown): string => {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new Error('the local DynamoDB transport sends string or byte bodies only');
};
