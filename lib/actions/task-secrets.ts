import {
  hasSecretReference,
  redactSecrets,
  resolveSecretReferences,
  type SecretSource,
  SecretUnavailableError,
  tenantResolver,
} from '../security/secrets.ts';
import type { ActionLogger } from './action.ts';

/**
 * Resolves every `{{ secret:… }}` in any string of a Task's config (keys are left alone) from
 * the RUN's tenant only (`execution.tenant`). Without references the config comes back as is;
 * with references but no `source` (e.g. `flowforge run` without a store) it is
 * `SecretUnavailable`. Answers the plaintexts used, for {@link redactDeep}.
 */
export async function resolveConfigSecrets(
  config: Record<string, unknown>,
  tenant: string | undefined,
  source: SecretSource | undefined,
): Promise<{ config: Record<string, unknown>; secrets: string[] }> {
  const secrets: string[] = [];
  let resolver: ReturnType<typeof tenantResolver> | undefined;
  const walk = async (value: unknown): Promise<unknown> => {
    if (typeof value === 'string') {
      if (!hasSecretReference(value)) return value;
      if (!source)
        throw new SecretUnavailableError('secrets are not available here (no secret store configured)');
      resolver ??= tenantResolver(source, tenant);
      const out = await resolveSecretReferences(value, resolver);
      secrets.push(...out.secrets);
      return out.value;
    }
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (const item of value) items.push(await walk(item));
      return items;
    }
    if (value !== null && typeof value === 'object') {
      const entries: Array<[string, unknown]> = [];
      for (const [key, child] of Object.entries(value)) entries.push([key, await walk(child)]);
      return Object.fromEntries(entries);
    }
    return value;
  };
  if (!JSON.stringify(config).includes('secret:')) return { config, secrets };
  return { config: (await walk(config)) as Record<string, unknown>, secrets };
}

/** `value` with every secret replaced by `***` in every string (keys included). */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redactSecrets(item, secrets);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object')
      return Object.fromEntries(
        Object.entries(item).map(([key, child]) => [redactSecrets(key, secrets), walk(child)]),
      );
    return item;
  };
  return walk(value) as T;
}

/** Redacts an error in place (message, stack, a string or JSON cause) and returns it. */
export function redactError(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !(error instanceof Error)) return error;
  error.message = redactSecrets(error.message, secrets);
  if (error.stack) error.stack = redactSecrets(error.stack, secrets);
  const withCause = error as { cause?: unknown };
  if (withCause.cause instanceof Error) redactError(withCause.cause, secrets);
  else if (withCause.cause !== undefined) withCause.cause = redactDeep(withCause.cause, secrets);
  return error;
}

/** A logger that redacts the secrets from every message and extra argument before `inner` sees them. */
export function redactingLogger(inner: ActionLogger, secrets: readonly string[]): ActionLogger {
  if (secrets.length === 0) return inner;
  const wrap =
    (level: keyof ActionLogger) =>
    (message: string, ...extra: unknown[]) =>
      inner[level](redactSecrets(message, secrets), ...extra.map((item) => redactDeep(item, secrets)));
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
