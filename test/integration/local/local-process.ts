import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** `npm start` as a child process (`node --import tsx lib/local/main.ts`) with its output collected. */
export interface LocalProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** The server process ended before it was running; `output` says why. */
export class LocalProcessExited extends Error {
  constructor(
    readonly code: number | string | null,
    readonly output: string,
  ) {
    super(`the server exited (${code}):\n${output}`);
    this.name = 'LocalProcessExited';
  }
}

/**
 * Starts `npm start` on free ports (API and SQS), trying fresh ones when another process took a
 * port between our probe and the server's bind. Answers the process and the API port.
 */
export async function startOnFreePorts(
  env: Record<string, string>,
): Promise<{ process: LocalProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const sqsPort = await freePort();
    try {
      const started = await startLocalProcess({
        ...env,
        PORT: String(port),
        FLOWFORGE_SQS_PORT: String(sqsPort),
      });
      return { process: started, port };
    } catch (error) {
      const portTaken = error instanceof LocalProcessExited && error.output.includes('port is in use');
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}

/** Starts the local server as a child process and waits until it prints that it is running. */
export async function startLocalProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<LocalProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  // 'close' comes after the last output of a process that exited.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('FlowForge is running')) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await closed;
      throw new LocalProcessExited(child.exitCode ?? child.signalCode, output);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output, exited };
}

/**
 * A JSON client of a running server's API: `call(method, path, body?)` with the bearer key answers
 * `{ status, body }` (the body parsed, undefined when empty). `base()` is read on every call, so a
 * test may point it at a restarted server.
 */
export function apiCaller(base: () => string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in the tests
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
}
