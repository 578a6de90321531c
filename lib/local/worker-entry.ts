import { serveWorkerTasks } from './worker-serve.ts';

/** The program of every worker (a child process) of `WorkerPool` by default. */
serveWorkerTasks();
