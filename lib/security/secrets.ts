import { SecurityError } from './security-error.ts';
import {
  type ScopedSecretReference,
  SecretNotFoundError,
  scopeSecretReference,
  type TenantSecretLayout,
  tenantSmPath,
  tenantSsmPath,
} from './tenant-secrets.ts';

/**
 * A secret reference found in a string: `{{ secret:<name> }}` (`store: 'tenant'`, the tenant's own
 * secrets of `PUT /secrets/{name}`), or the older `{{ secret:ssm:/path }}` / `{{ secret:sm:name }}`.
 */
export interface SecretReference {
  store: 'tenant' | 'ssm' | 'sm';
  name: string;
}

/** Resolves one reference to its plaintext value. */
export type SecretResolver = (reference: SecretReference) => Promise<string>;

/**
 * Where the action core reads the secrets of a run's tenant: `layout` says which paths are the
 * tenant's (old-form references are checked against it), `get` reads one scoped reference.
 * Adapters: {@link createAwsSecretSource} (SSM / Secrets Manager) and the local store
 * (`lib/store/secret-store.ts`).
 */
export interface SecretSource {
  layout: TenantSecretLayout;
  get(tenant: string, reference: ScopedSecretReference): Promise<string>;
}

/** A secret could not be resolved (missing, out of the tenant's scope, store unreachable). Never carries the value. */
export class SecretUnavailableError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailable';
  }
}

// Same grammar as lib/workflow/template.ts, which leaves these references in place for run time.
const REFERENCE_SOURCE = String.raw`\{\{\s*secret:(?:(ssm|sm):)?([A-Za-z0-9/_+=.@-]{1,2048})\s*\}\}`;
const REFERENCE = new RegExp(REFERENCE_SOURCE);

/** True when `value` holds at least one secret reference. */
export function hasSecretReference(value: string): boolean {
  return REFERENCE.test(value);
}

/** How a reference is named in errors and logs (never a value). */
export const describeReference = (reference: SecretReference): string =>
  reference.store === 'tenant' ? `secret:${reference.name}` : `secret:${reference.store}:${reference.name}`;

/**
 * Replaces every secret reference in `value` with the resolved plaintext. Returns the new string
 * and the plaintexts used, so callers can keep them out of logs, outputs and errors (see
 * {@link redactSecrets}). A failing resolver becomes {@link SecretUnavailableError} naming the
 * reference and the reason, never a value.
 */
export async function resolveSecretReferences(
  value: string,
  resolve: SecretResolver,
): Promise<{ value: string; secrets: string[] }> {
  const matches = [...value.matchAll(new RegExp(REFERENCE_SOURCE, 'g'))];
  if (matches.length === 0) return { value, secrets: [] };
  const secrets: string[] = [];
  let out = '';
  let last = 0;
  for (const match of matches) {
    const reference: SecretReference = {
      store: (match[1] as 'ssm' | 'sm' | undefined) ?? 'tenant',
      name: match[2] ?? '',
    };
    let plaintext: string;
    try {
      plaintext = await resolve(reference);
    } catch (error) {
      const reason =
        error instanceof SecurityError ? error.message : error instanceof Error ? error.name : 'error';
      throw new SecretUnavailableError(`${describeReference(reference)} could not be resolved (${reason})`);
    }
    secrets.push(plaintext);
    out += value.slice(last, match.index) + plaintext;
    last = (match.index ?? 0) + match[0].length;
  }
  return { value: out + value.slice(last), secrets };
}

/** The resolver of one run: every reference is scoped to `tenant` (see `scopeSecretReference`) and read from `source`. */
export function tenantResolver(source: SecretSource, tenant: string | undefined): SecretResolver {
  return async (reference) => {
    if (tenant === undefined) throw new SecretNotFoundError('the run has no tenant to read secrets of');
    return source.get(tenant, scopeSecretReference(reference, tenant, source.layout));
  };
}

/** Replaces every occurrence of each secret in `text` by `***` (secrets shorter than 4 characters are left alone). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/**
 * The AWS source of the action Lambdas: `{{ secret:name }}` and `ssm:` references read the
 * SecureString `<ssmRoot>/<tenant>/secrets/<name>` decrypted, `sm:` references the secret
 * `<smRoot>/<tenant>/secrets/<name>`, both through Powertools Parameters, cached for
 * `maxAgeSeconds` (default 30) per warm Lambda. The Powertools modules load on first use, so
 * Tasks without secrets never pay for them. IAM limits the Lambdas to `<ssmRoot>/*` and `<smRoot>/*`.
 */
export function createAwsSecretSource(
  layout: TenantSecretLayout,
  options: { maxAgeSeconds?: number } = {},
): SecretSource {
  const maxAge = options.maxAgeSeconds ?? 30;
  return {
    layout,
    async get(tenant, { store, name }) {
      let value: unknown;
      if (store === 'ssm') {
        const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
        value = await getParameter(`${tenantSsmPath(layout, tenant)}/${name}`, { decrypt: true, maxAge });
      } else {
        const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
        value = await getSecret(`${tenantSmPath(layout, tenant)}/${name}`, { maxAge });
      }
      if (typeof value !== 'string') throw new SecretNotFoundError(`${name} is not a string secret`);
      return value;
    },
  };
}
