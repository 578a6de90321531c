import * as z from 'zod';
import { aiConfigSchema } from './ai/schema.ts';
import { codeConfigSchema } from './code/schema.ts';
import { emailConfigSchema } from './email/schema.ts';
import { forEachStepConfigSchema } from './foreach/schema.ts';
import { httpConfigSchema } from './http/schema.ts';
import { logConfigSchema } from './log/schema.ts';
import { queueConfigSchema } from './queue/schema.ts';
import { transformConfigSchema } from './transform/schema.ts';

// Action schemas are zod/mini (small Lambda bundles); the validator works with classic schemas,
// and a classic lazy wrapper delegates to the mini schema (same issues, same paths).
const classic = <T>(schema: z.core.$ZodType<T>): z.ZodType<T> => z.lazy(() => schema) as z.ZodType<T>;

/**
 * The action catalog: every action kind with its config schema. The validator checks node configs
 * against it and the infrastructure deploys one Lambda per entry. Adding an action is one folder in
 * `lib/actions/<kind>/` (schema.ts + index.ts), one handler in `functions/actions/<kind>.ts`, and its
 * line here and in `registry.ts`.
 */
export const actionCatalog: Readonly<Record<string, z.ZodType>> = {
  ai: classic(aiConfigSchema),
  code: classic(codeConfigSchema),
  email: classic(emailConfigSchema),
  http: classic(httpConfigSchema),
  log: classic(logConfigSchema),
  queue: classic(queueConfigSchema),
  transform: classic(transformConfigSchema),
};

/** The action kinds, sorted. */
export const actionKinds = (): string[] => Object.keys(actionCatalog).sort();

/**
 * Actions the compiler adds and a definition cannot name: `foreach` (the items and collect steps
 * around a forEach's Map). Deployed and run like the others.
 */
export const internalActionCatalog: Readonly<Record<string, z.ZodType>> = {
  foreach: classic(forEachStepConfigSchema),
};

/** Every kind that needs a function (user actions and internal ones), sorted. */
export const deployedActionKinds = (): string[] =>
  [...Object.keys(actionCatalog), ...Object.keys(internalActionCatalog)].sort();

/**
 * Action kinds whose Task also receives the run's data as `config.data` (`{ input, nodes, execution }`):
 * the config holds only resolved values, so an action that evaluates its own expression over the run
 * (transform's JSONata) gets the data this way. The compiler sets it; a user-written `data` is replaced.
 */
export const actionsReceivingRunData: ReadonlySet<string> = new Set(['transform']);

/**
 * Action kinds whose Lambda returns `{ output, logs }` instead of the bare output: the Task's
 * ResultSelector takes `output` as the node's output and keeps `logs` (console lines) in the node's
 * record. Only `code` (its `console.log` lines, DESIGN.md §2.2).
 */
export const actionsReturningLogs: ReadonlySet<string> = new Set(['code']);

/**
 * Action kinds that may not read tenant secrets: their Lambda gets no SSM / Secrets Manager right and
 * the validator refuses `{{ secret:… }}` in their configs (the same in local mode). Only `code`: the
 * sandbox runs user JavaScript, and an escape must find no credential to read.
 */
export const actionsWithoutSecrets: ReadonlySet<string> = new Set(['code']);

/**
 * The timeout of each action kind's Lambda, in seconds (the CDK stack deploys exactly these). Kinds
 * that wait on the network (http, ai) may take up to Lambda's 900 s; the others finish fast or carry
 * their own tighter limit (code: 30 s). A node's `timeoutSeconds` and an http/ai request's own
 * `config.timeoutSeconds` may not ask for more than this (the validator refuses it), so Step
 * Functions' Task timeout, not Lambda's kill, ends an attempt, with the action's own error.
 */
export const ACTION_FUNCTION_TIMEOUT_SECONDS: Readonly<Record<string, number>> = {
  ai: 900,
  code: 60,
  email: 60,
  http: 900,
  log: 60,
  queue: 60,
  transform: 60,
};

/** The Lambda timeout of a kind (60 s for a kind without an entry). */
export const actionFunctionTimeoutSeconds = (kind: string): number =>
  Object.hasOwn(ACTION_FUNCTION_TIMEOUT_SECONDS, kind)
    ? (ACTION_FUNCTION_TIMEOUT_SECONDS[kind] as number)
    : 60;

/** Seconds an action's own request timeout must leave its Lambda (to report the timeout itself). */
export const ACTION_TIMEOUT_MARGIN_SECONDS = 5;
