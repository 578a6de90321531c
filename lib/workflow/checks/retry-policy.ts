import { isRecord, type ValidationContext } from './validation-context.ts';

/** Error names Step Functions itself defines; any other `States.` name is a typo. */
const STATES_ERRORS = new Set([
  'States.ALL',
  'States.Timeout',
  'States.TaskFailed',
  'States.Permissions',
  'States.HeartbeatTimeout',
  'States.DataLimitExceeded',
  'States.Runtime',
  'States.IntrinsicFailure',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.ExceedToleratedFailureThreshold',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.QueryEvaluationError',
]);
const ERROR_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,255}$/;

/**
 * Retry policies are sane beyond their shape: `maxDelaySeconds` is not below `delaySeconds`,
 * `retryOn` holds error names (no blanks, no unknown `States.*` names, `States.ALL` alone, no repeats).
 */
export function checkRetryPolicies(ctx: ValidationContext): void {
  for (const node of ctx.nodes) {
    const retry = node.raw.retry;
    if (!isRecord(retry)) continue;
    const base = `${node.pointer}/retry`;
    const delay = typeof retry.delaySeconds === 'number' ? retry.delaySeconds : 1;
    if (typeof retry.maxDelaySeconds === 'number' && retry.maxDelaySeconds < delay) {
      ctx.error(
        `${base}/maxDelaySeconds`,
        `maxDelaySeconds (${retry.maxDelaySeconds}) must not be less than delaySeconds (${delay})`,
      );
    }
    if (retry.maxAttempts === 1) {
      ctx.warn(`${base}/maxAttempts`, 'maxAttempts 1 means no retry at all');
    }
    if (!Array.isArray(retry.retryOn)) continue;
    const seen = new Set<string>();
    retry.retryOn.forEach((name: unknown, i) => {
      const pointer = `${base}/retryOn/${i}`;
      if (typeof name !== 'string') return;
      if (!ERROR_NAME.test(name)) {
        ctx.error(pointer, `"${name}" is not an error name (letters, digits, "_", ".", ":" or "-")`);
      } else if (name.startsWith('States.') && !STATES_ERRORS.has(name)) {
        ctx.error(
          pointer,
          `"${name}" is not a Step Functions error (known: ${[...STATES_ERRORS].join(', ')})`,
        );
      } else if (seen.has(name)) {
        ctx.error(pointer, `"${name}" is listed twice`);
      } else if (name === 'States.ALL' && (retry.retryOn as unknown[]).length > 1) {
        ctx.error(pointer, '"States.ALL" already matches every error and must be the only name');
      }
      seen.add(name);
    });
  }
}
