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

/** How the console log writes: readable lines, or one JSON object per line (`FLOWFORGE_LOG_FORMAT=json`). */
export type LogFormat = 'text' | 'json';

/**
 * A log writing to the console; `requests: false` leaves out the per-request lines. With
 * `format: 'json'` every line is `{ "time", "level", "message", …extra }` for machines to read.
 */
export function consoleLog(
  options: { requests?: boolean; format?: LogFormat; write?: (line: string, level: string) => void } = {},
): LocalLog {
  const write =
    options.write ??
    ((text: string, level: string) =>
      level === 'info' ? console.log(text) : level === 'warn' ? console.warn(text) : console.error(text));
  const json = options.format === 'json';
  const emit = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) =>
    write(
      json
        ? JSON.stringify({ time: new Date().toISOString(), level, message, ...extra })
        : `${time()} ${level.toUpperCase().padEnd(5)} ${message}${format(extra)}`,
      level,
    );
  return {
    info: (message, extra) => emit('info', message, extra),
    warn: (message, extra) => emit('warn', message, extra),
    error: (message, extra) => emit('error', message, extra),
    request: (method, path, status, ms) => {
      if (options.requests === false) return;
      if (json) emit('info', 'request', { method, path, status, ms: Math.round(ms * 10) / 10 });
      else write(`${time()} ${method.padEnd(6)} ${path} → ${status} (${ms.toFixed(1)} ms)`, 'info');
    },
  };
}

/** A log that writes nothing (tests, benchmarks). */
export const silentLog: LocalLog = { info() {}, warn() {}, error() {}, request() {} };
