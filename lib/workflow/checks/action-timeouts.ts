import { ACTION_TIMEOUT_MARGIN_SECONDS, actionFunctionTimeoutSeconds } from '../../actions/catalog.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/**
 * A node cannot ask for more time than its action's Lambda allows (`actionFunctionTimeoutSeconds`):
 * an action node's `timeoutSeconds` (the Task's timeout per attempt) and the request timeout of
 * its config, `config.timeoutSeconds` (http, ai; also in `compensate.config`), which must leave the
 * Lambda a few seconds to report `HttpTimeout` itself instead of being killed (`Sandbox.Timedout`).
 */
export function checkActionTimeouts(ctx: ValidationContext): void {
  const root = isRecord(ctx.raw) ? ctx.raw : {};
  if (!Array.isArray(root.nodes)) return;
  root.nodes.forEach((node: unknown, index) => {
    if (!isRecord(node)) return;
    const pointer = `${ctx.base}/nodes/${index}`;
    if (node.type === 'action' && typeof node.action === 'string') {
      const limit = actionFunctionTimeoutSeconds(node.action);
      if (typeof node.timeoutSeconds === 'number' && node.timeoutSeconds > limit)
        ctx.error(
          `${pointer}/timeoutSeconds`,
          `the ${node.action} action's Lambda runs at most ${limit} s; timeoutSeconds ${node.timeoutSeconds} cannot be honoured`,
        );
      checkConfigTimeout(ctx, node.action, node.config, `${pointer}/config/timeoutSeconds`);
    }
    const compensate = node.compensate;
    if (isRecord(compensate) && typeof compensate.action === 'string')
      checkConfigTimeout(
        ctx,
        compensate.action,
        compensate.config,
        `${pointer}/compensate/config/timeoutSeconds`,
      );
  });
}

function checkConfigTimeout(ctx: ValidationContext, kind: string, config: unknown, pointer: string): void {
  if (!isRecord(config) || typeof config.timeoutSeconds !== 'number') return;
  const limit = actionFunctionTimeoutSeconds(kind) - ACTION_TIMEOUT_MARGIN_SECONDS;
  if (config.timeoutSeconds > limit)
    ctx.error(
      pointer,
      `the ${kind} action's Lambda runs at most ${limit + ACTION_TIMEOUT_MARGIN_SECONDS} s, so its request timeout may be at most ${limit} s`,
    );
}
