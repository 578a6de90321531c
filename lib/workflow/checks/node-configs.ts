import type * as z from 'zod';
import { actionCatalog, actionKinds } from '../../actions/catalog.ts';
import { operationConfigSchemas } from '../operation-configs.ts';
import { type ScheduleTriggerConfig, scheduleProblems, triggerConfigSchemas } from './trigger-configs.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';
import { zodIssues } from './zod-issues.ts';

/**
 * Every node's `config` satisfies the schema of its kind: an action's from the action catalog
 * (unknown actions are errors that list the known ones), an operation's from `operationConfigSchemas`,
 * a trigger's from `triggerConfigSchemas` (schedules also through `parseSchedule`). A `compensate`
 * names a catalog action and its config is checked the same way, as is a waitForCallback's `notify`. Issues at or under a string holding
 * a template are ignored for actions and operations.
 */
export function checkNodeConfigs(ctx: ValidationContext): void {
  const root = isRecord(ctx.raw) ? ctx.raw : {};
  if (!Array.isArray(root.nodes)) return;
  root.nodes.forEach((node: unknown, index) => {
    if (!isRecord(node)) return;
    const pointer = `${ctx.base}/nodes/${index}`;
    const config = node.config;
    if (node.type === 'action' && typeof node.action === 'string') {
      checkAction(ctx, node.action, config, `${pointer}/action`, `${pointer}/config`);
    } else if (node.type === 'operation' && typeof node.operation === 'string') {
      const schema = (operationConfigSchemas as Record<string, z.ZodType>)[node.operation];
      if (schema) check(ctx, schema, config, `${pointer}/config`, true);
      const notify = isRecord(config) ? config.notify : undefined;
      if (node.operation === 'waitForCallback' && isRecord(notify) && typeof notify.action === 'string') {
        checkAction(
          ctx,
          notify.action,
          notify.config,
          `${pointer}/config/notify/action`,
          `${pointer}/config/notify/config`,
        );
      }
    } else if (node.type === 'trigger' && typeof node.trigger === 'string') {
      const schema = (triggerConfigSchemas as Record<string, z.ZodType>)[node.trigger];
      if (schema && check(ctx, schema, config, `${pointer}/config`, false) && node.trigger === 'schedule') {
        // An absent config is an empty one (a schedule without any says which field it needs, at
        // `config` itself: nothing below a missing key can be pointed at).
        for (const [field, message] of scheduleProblems((config ?? {}) as ScheduleTriggerConfig)) {
          if (config === undefined) ctx.error(`${pointer}/config`, `"config" is missing: ${message}`);
          else ctx.error(`${pointer}/config/${field}`, message);
        }
      }
    }
    const compensate = node.compensate;
    if (isRecord(compensate) && typeof compensate.action === 'string') {
      checkAction(
        ctx,
        compensate.action,
        compensate.config,
        `${pointer}/compensate/action`,
        `${pointer}/compensate/config`,
      );
    }
  });
}

function checkAction(
  ctx: ValidationContext,
  action: string,
  config: unknown,
  actionPointer: string,
  configPointer: string,
): void {
  const schema = Object.hasOwn(actionCatalog, action) ? actionCatalog[action] : undefined;
  if (!schema) {
    ctx.error(actionPointer, `unknown action "${action}" (known: ${actionKinds().join(', ')})`);
    return;
  }
  check(ctx, schema, config, configPointer, true);
}

/** Checks `config` (an absent one as `{}`; zod reports other types) and says whether it passed. */
function check(
  ctx: ValidationContext,
  schema: z.ZodType,
  config: unknown,
  pointer: string,
  skipTemplates: boolean,
): boolean {
  const missing = config === undefined;
  const value = missing ? {} : config;
  if (!isRecord(value)) return false;
  const result = schema.safeParse(value);
  if (result.success) return true;
  for (const issue of zodIssues(result.error, value, pointer, { skipTemplates })) {
    // Without a config there is nothing below its pointer to point at: report at `config` itself.
    if (missing) ctx.error(pointer, `"config" is missing: ${issue.message}`);
    else ctx.error(issue.path, issue.message);
  }
  return false;
}
