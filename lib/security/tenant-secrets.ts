import { SecurityError } from './security-error.ts';

/**
 * Tenant secrets (DESIGN.md §2.1): values a tenant stores with `PUT /api/v1/secrets/{name}` and its
 * flows read as `{{ secret:<name> }}`. Two adapters of {@link TenantSecretStore}: SSM Parameter Store
 * SecureStrings under a per-tenant path in AWS (`ssm-tenant-secrets.ts`), the local DynamoDB table
 * (dynalite) in local mode (`lib/store/secret-store.ts`).
 */

/** A secret's name: 1–128 characters of letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Largest value in UTF-8 bytes: SSM Parameter Store's Standard tier limit (4 KB), in both modes. */
export const MAX_SECRET_VALUE_BYTES = 4096;

/** What a listing shows of a secret: never its value. */
export interface SecretSummary {
  name: string;
  updatedAt: string;
}

/** The port of the API's secrets routes (write, list, delete) and of the actions' reads. */
export interface TenantSecretStore {
  /** Creates or replaces a secret; `created` is true when it did not exist. */
  put(tenant: string, name: string, value: string): Promise<{ summary: SecretSummary; created: boolean }>;
  /** Names and update times of the tenant's secrets, by name. */
  list(
    tenant: string,
    page?: { limit?: number; cursor?: string },
  ): Promise<{ items: SecretSummary[]; nextCursor?: string }>;
  /** Removes a secret; an unknown one throws {@link SecretNotFoundError}. */
  delete(tenant: string, name: string): Promise<void>;
}

/** How an action reads one secret of one tenant (the run's). Unknown → {@link SecretNotFoundError}. */
export interface TenantSecretSource {
  get(tenant: string, reference: ScopedSecretReference): Promise<string>;
}

/**
 * A reference already mapped into the tenant's space: `name` is relative to the tenant's secrets
 * (`db`, or `team/db` for an old-form path below the prefix); `store` says where AWS keeps it
 * (`ssm` for `{{ secret:name }}` and `{{ secret:ssm:… }}`, `sm` for Secrets Manager).
 */
export interface ScopedSecretReference {
  store: 'ssm' | 'sm';
  name: string;
}

/** A secret name that does not match {@link SECRET_NAME_PATTERN}. */
export class InvalidSecretNameError extends SecurityError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSecretName';
  }
}

/** The tenant has no secret of that name. */
export class SecretNotFoundError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretNotFound';
  }
}

/** A reference that points outside the run's tenant's secrets (another tenant, FlowForge's own). */
export class SecretOutOfScopeError extends SecurityError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretOutOfScope';
  }
}

/** Why `name` is not a secret name, or undefined when it is one. */
export function secretNameProblem(name: string): string | undefined {
  if (SECRET_NAME_PATTERN.test(name)) return undefined;
  return `secret name "${name.slice(0, 140)}" must be 1-128 characters of letters, digits, "_", "." or "-", starting with a letter or digit`;
}

/**
 * Where one deployment keeps tenant secrets in AWS: SSM parameters `<ssmRoot>/<tenant>/secrets/<name>`
 * (e.g. `/flowforge/prod/tenants/acme/secrets/db`) and Secrets Manager secrets
 * `<smRoot>/<tenant>/secrets/<name>` (e.g. `flowforge/prod/tenants/acme/secrets/db`).
 */
export interface TenantSecretLayout {
  /** e.g. `/flowforge/prod/tenants` */
  ssmRoot: string;
  /** e.g. `flowforge/prod/tenants` */
  smRoot: string;
}

/** The layout of a stage: `/flowforge/<stage>/tenants` and `flowforge/<stage>/tenants`. */
export const tenantSecretLayout = (stage: string): TenantSecretLayout => ({
  ssmRoot: `/flowforge/${stage}/tenants`,
  smRoot: `flowforge/${stage}/tenants`,
});

/** The SSM parameter path of a tenant's secrets (no trailing slash). */
export const tenantSsmPath = (layout: TenantSecretLayout, tenant: string): string =>
  `${layout.ssmRoot}/${tenant}/secrets`;

/** The Secrets Manager name prefix of a tenant's secrets (no trailing slash). */
export const tenantSmPath = (layout: TenantSecretLayout, tenant: string): string =>
  `${layout.smRoot}/${tenant}/secrets`;

const TENANT = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Maps a reference found in a config to the run's tenant's space, or refuses it:
 * - `{{ secret:db }}` → `ssm` `db`;
 * - `{{ secret:ssm:db }}` / `{{ secret:ssm:team/db }}` (relative) → below the tenant's prefix;
 * - `{{ secret:ssm:/flowforge/<stage>/tenants/<tenant>/secrets/db }}` (absolute) → `db`, but only
 *   when the path lies inside THIS tenant's prefix; any other absolute path (another tenant,
 *   `/flowforge/<stage>/webhooks/…`, anything else) is {@link SecretOutOfScopeError};
 * - `{{ secret:sm:… }}` the same against the Secrets Manager prefix.
 * Relative paths with empty, `.` or `..` segments are refused too.
 */
export function scopeSecretReference(
  reference: { store: 'tenant' | 'ssm' | 'sm'; name: string },
  tenant: string,
  layout: TenantSecretLayout,
): ScopedSecretReference {
  if (!TENANT.test(tenant)) throw new SecretOutOfScopeError('the run has no valid tenant to read secrets of');
  const shown = reference.store === 'tenant' ? reference.name : `${reference.store}:${reference.name}`;
  if (reference.store === 'tenant') {
    const problem = secretNameProblem(reference.name);
    if (problem) throw new SecretOutOfScopeError(problem);
    return { store: 'ssm', name: reference.name };
  }
  const prefix = reference.store === 'ssm' ? tenantSsmPath(layout, tenant) : tenantSmPath(layout, tenant);
  let relative = reference.name;
  const absolute = reference.store === 'ssm' ? relative.startsWith('/') : relative.startsWith(layout.smRoot);
  if (absolute) {
    if (!relative.startsWith(`${prefix}/`))
      throw new SecretOutOfScopeError(`secret ${shown} lies outside the secrets of tenant ${tenant}`);
    relative = relative.slice(prefix.length + 1);
  }
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    throw new SecretOutOfScopeError(`secret ${shown} is not a path below the tenant's secrets`);
  return { store: reference.store, name: relative };
}
