import type { ActionDefinition } from './action.ts';

/** Any action, as the registry hands it out (its config type is checked by its own schema at run time). */
export type AnyAction = ActionDefinition<never, unknown>;

/** Loads one action module on first use; the promise is kept, so each module loads once. */
export type ActionLoader = () => Promise<AnyAction>;

/** The loaders of a registry, keyed by action kind. */
export type ActionLoaders = Readonly<Record<string, ActionLoader>>;

/** Wraps a loader so that it runs once and every later call gets the same promise. */
export function once(load: ActionLoader): ActionLoader {
  let loaded: Promise<AnyAction> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}

/**
 * Every action kind with a loader of its `run()`: what the local runner calls for each Task. Each
 * module (and the SDK client it brings) is imported only when a Task of that kind first runs, so a
 * run that uses `log` alone never loads SES, SQS or SSM. (Lambda handlers import only their own
 * action, so their bundles stay small.)
 */
export const actionRegistry: ActionLoaders = {
  ai: once(async () => (await import('./ai/index.ts')).aiAction as AnyAction),
  code: once(async () => (await import('./code/index.ts')).codeAction as AnyAction),
  email: once(async () => (await import('./email/index.ts')).emailAction as AnyAction),
  foreach: once(async () => (await import('./foreach/index.ts')).forEachAction as unknown as AnyAction),
  http: once(async () => (await import('./http/index.ts')).httpAction as AnyAction),
  log: once(async () => (await import('./log/index.ts')).logAction as AnyAction),
  queue: once(async () => (await import('./queue/index.ts')).queueAction as AnyAction),
  transform: once(async () => (await import('./transform/index.ts')).transformAction as AnyAction),
};

/**
 * The kinds whose Task has a side effect, so their Lambdas keep idempotency records
 * (functions/actions/*: email, http, queue); local mode applies its idempotency store to the same
 * kinds, and pure ones (log, transform) run again on a duplicate as their Lambdas do.
 */
export const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set(['email', 'http', 'queue']);
