import type { ServiceLogger } from '../service/deps.ts';

/** The local server's log: readable one-line messages with a time, a level and key=value extras. */
export interface LocalLog extends ServiceLogger {
  /** A request line: method, path, status, duration. */
  request(method: string, path: string, status: number, ms: number): void;
}

const format = (extra: Record<string, unknown> | undefined): string => {
  if (!extra) return '';
  return Object.entries(extra)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return ` ${key}=${text && text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
    })
    .join('');
};

const time = () => new Date().toISOString().slice(11, 23);

/** A log writing to the console; `requests: false` leaves out the per-request lines. */
export function consoleLog(options: { requests?: boolean } = {}): LocalLog {
  const line = (level: string, message: string, extra?: Record<string, unknown>) =>
    `${time()} ${level} ${message}${format(extra)}`;
  return {
    info: (message, extra) => console.log(line('INFO ', message, extra)),
    warn: (message, extra) => console.warn(line('WARN ', message, extra)),
    error: (message, extra) => console.error(line('ERROR', message, extra)),
    request: (method, path, status, ms) => {
      if (options.requests !== false)
        console.log(`${time()} ${method.padEnd(6)} ${path} → ${status} (${ms.toFixed(1)} ms)`);
    },
  };
}

/** A log that writes nothing (tests, benchmarks). */
export const silentLog: LocalLog = { info() {}, warn() {}, error() {}, request() {} };
