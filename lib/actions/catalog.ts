import type { z } from 'zod';
import { logConfigSchema } from './log/schema.ts';

/**
 * The action catalog: every action kind with its config schema. The validator checks node configs
 * against it and the infrastructure deploys one Lambda per entry. Adding an action is one folder in
 * `lib/actions/<kind>/` (schema.ts + index.ts), one handler in `functions/actions/<kind>.ts`, and its
 * line here and in `registry.ts`.
 */
export const actionCatalog: Readonly<Record<string, z.ZodType>> = {
  log: logConfigSchema,
};

/** The action kinds, sorted. */
export const actionKinds = (): string[] => Object.keys(actionCatalog).sort();
