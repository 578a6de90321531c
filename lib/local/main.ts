/**
 * `npm start`: FlowForge on one machine. Environment:
 * - `PORT` (default 3000): the API on http://127.0.0.1:$PORT/api/v1
 * - `FLOWFORGE_DATA_DIR` (default `.flowforge`): dynalite's files, the execution journal, the email outbox
 * - `FLOWFORGE_API_KEY`: an admin key of tenant `default` to accept (else one is created and printed on first start)
 * - `FLOWFORGE_SQS_PORT` (default 9324): the local SQS endpoint with the trigger queue `flowforge-triggers`
 * - `FLOWFORGE_HTTP_ALLOW`: hosts or CIDRs the http action may reach although private (e.g. `127.0.0.1`)
 * - `FLOWFORGE_TIME_SCALE` (default 1): multiplies waits, retry intervals, schedule intervals and the trigger queue's visibility timeout
 * - `FLOWFORGE_LOG_REQUESTS=0`: leave out the per-request log lines
 * - `FLOWFORGE_LOG_FORMAT=json`: one JSON object per log line (runs started and finished, `log` action
 *   messages, requests) instead of readable text
 * - `FLOWFORGE_RATE_LIMITER` (default `memory`): where the per-key token buckets live. This process is the
 *   only writer, so in-memory buckets are exact and keep a dynalite write off every request;
 *   `dynamodb` runs the deployed DynamoDB limiter instead
 */
import { consoleLog } from './local-log.ts';
import { startLocalServer } from './server.ts';

// The AWS SDK warns once about Node 20 support in 2027; it is noise in a local console.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const text = `${warning.name}: ${warning.message}`;
  if (!text.includes('NodeVersionSupportWarning')) console.warn(text);
});

const numberFrom = (name: string, fallback: number): number => {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a number, got "${text}"`);
    process.exit(2);
  }
  return value;
};

const port = numberFrom('PORT', 3000);
const sqsPort = numberFrom('FLOWFORGE_SQS_PORT', 9324);
const timeScale = numberFrom('FLOWFORGE_TIME_SCALE', 1) || 1;
const dataDir = process.env.FLOWFORGE_DATA_DIR || '.flowforge';
const apiKey = process.env.FLOWFORGE_API_KEY || undefined;
const log = consoleLog({
  requests: process.env.FLOWFORGE_LOG_REQUESTS !== '0',
  format: process.env.FLOWFORGE_LOG_FORMAT === 'json' ? 'json' : 'text',
});

const started = performance.now();
let server: Awaited<ReturnType<typeof startLocalServer>>;
try {
  const httpAllow = process.env.FLOWFORGE_HTTP_ALLOW;
  const rateLimiter = process.env.FLOWFORGE_RATE_LIMITER === 'dynamodb' ? 'dynamodb' : 'memory';
  server = await startLocalServer({
    port,
    dataDir,
    sqsPort,
    timeScale,
    log,
    rateLimiter,
    ...(apiKey ? { apiKey } : {}),
    ...(httpAllow ? { httpAllow } : {}),
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    console.error(
      `FlowForge could not start: a port is in use (API ${port}, SQS ${sqsPort}). Set PORT / FLOWFORGE_SQS_PORT.`,
    );
  } else {
    console.error('FlowForge could not start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
}

const api = `${server.url}/api/v1`;
const keyLine = server.adminKey
  ? `  Admin key:  ${server.adminKey}\n              (tenant "default", every scope; shown only now — keep it)`
  : apiKey
    ? '  Admin key:  FLOWFORGE_API_KEY (tenant "default", every scope)'
    : '  Admin key:  printed on the first start of this data directory; lost it? restart with\n              FLOWFORGE_API_KEY=ffk_<16+ characters of your choice> npm start (it becomes an admin key)';
console.log(
  [
    '',
    `FlowForge is running (local mode; ready ${(performance.now() / 1000).toFixed(1)} s after launch, services up in ${Math.round(performance.now() - started)} ms)`,
    `  Console:    ${server.url}/`,
    `  API:        ${api}`,
    `  OpenAPI:    ${api}/openapi.json`,
    `  SQS:        ${server.sqsEndpoint}  queue flowforge-triggers (${server.queueUrl})`,
    `  Data:       ${server.dataDir}`,
    keyLine,
    '',
    `  Try:        curl -H "Authorization: Bearer ${server.adminKey ?? (apiKey ? '$FLOWFORGE_API_KEY' : '<key>')}" ${api}/flows`,
    `              AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url ${server.sqsEndpoint} sqs send-message --queue-url ${server.queueUrl} --message-body '{"flowId":"<id>","input":{}}'`,
    '  Stop:       Ctrl+C',
    '',
  ].join('\n'),
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info(`${signal}: shutting down`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  try {
    await server.stop();
    process.exit(0);
  } catch (error) {
    console.error('shutdown failed:', error);
    process.exit(1);
  }
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
