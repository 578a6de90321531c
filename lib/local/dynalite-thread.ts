import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** dynalite running in a worker thread of this process. */
export interface DynaliteThread {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /**
   * Closes the database; answers false when it did not close within 2 s and the thread was
   * terminated (a write may then have been cut in half, as by a kill).
   */
  close(): Promise<boolean>;
}

// Plain CommonJS run by the worker: no TypeScript loader is needed inside the thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalitePath);
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
let closing = false;
// A request still in flight when the database closes fails inside dynalite's callbacks: that is
// expected during shutdown and must not take the thread (or the process) down.
process.on('uncaughtException', (error) => {
  if (!closing) parentPort.postMessage({ error: String(error && error.message || error) });
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
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, dynalitePath } });
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`dynalite thread exited with ${code}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.off('exit', onExit);
      worker.off('error', reject);
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
        close: () =>
          new Promise<boolean>((resolveClose) => {
            const timer = setTimeout(() => void worker.terminate().then(() => resolveClose(false)), 2000);
            const onClosed = (message: { closed?: boolean }) => {
              if (message.closed !== true) return;
              worker.off('message', onClosed);
              clearTimeout(timer);
              void worker.terminate().then(() => resolveClose(true));
            };
            worker.on('message', onClosed);
            worker.postMessage('close');
          }),
      });
    });
  });
}
