import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  type DescribeParametersCommandOutput,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { SecurityError } from './security-error.ts';
import {
  SECRET_NAME_PATTERN,
  SecretNotFoundError,
  type SecretSummary,
  type TenantSecretLayout,
  type TenantSecretStore,
  tenantSsmPath,
} from './tenant-secrets.ts';

/** SSM answered an error other than "not found" while managing a tenant secret. */
export class SecretStoreUnavailableError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A listing cursor that is not one this tenant's listing produced. */
export class InvalidSecretCursorError extends SecurityError {
  constructor() {
    super('invalid pagination cursor');
    this.name = 'InvalidCursorError';
  }
}

export interface SsmTenantSecretsOptions {
  ssm: SSMClient;
  layout: TenantSecretLayout;
  /** Customer managed KMS key of the SecureStrings (default: the account's `alias/aws/ssm`). */
  kmsKeyId?: string;
}

/**
 * The AWS adapter of {@link TenantSecretStore}: each secret is the SecureString
 * `<ssmRoot>/<tenant>/secrets/<name>` (Standard tier, 4 KB). `put` is PutParameter with
 * `Overwrite` (version 1 means it was created); `list` is DescribeParameters filtered on the
 * tenant's path one level deep, which answers names and dates and never a value; `delete` is
 * DeleteParameter (ParameterNotFound → {@link SecretNotFoundError}). The listing cursor wraps
 * SSM's NextToken with the tenant, so a cursor never continues another tenant's listing.
 */
export function createSsmTenantSecrets(options: SsmTenantSecretsOptions): TenantSecretStore {
  const { ssm, layout } = options;
  const pathOf = (tenant: string, name: string) => `${tenantSsmPath(layout, tenant)}/${name}`;
  const check = (name: string) => {
    if (!SECRET_NAME_PATTERN.test(name))
      throw new SecretNotFoundError(`secret ${name.slice(0, 140)} not found`);
  };
  return {
    async put(tenant, name, value) {
      check(name);
      let version: number | undefined;
      try {
        const result = await ssm.send(
          new PutParameterCommand({
            Name: pathOf(tenant, name),
            Value: value,
            Type: 'SecureString',
            Overwrite: true,
            Tier: 'Standard',
            Description: `FlowForge secret ${name} of tenant ${tenant}`,
            ...(options.kmsKeyId ? { KeyId: options.kmsKeyId } : {}),
          }),
        );
        version = result.Version;
      } catch (error) {
        throw new SecretStoreUnavailableError(`could not store secret ${name}`, { cause: nameOf(error) });
      }
      return { summary: { name, updatedAt: new Date().toISOString() }, created: version === 1 };
    },
    async list(tenant, page = {}) {
      const path = tenantSsmPath(layout, tenant);
      const nextToken = page.cursor === undefined ? undefined : decodeCursor(page.cursor, tenant);
      let result: DescribeParametersCommandOutput;
      try {
        result = await ssm.send(
          new DescribeParametersCommand({
            ParameterFilters: [{ Key: 'Path', Option: 'OneLevel', Values: [path] }],
            MaxResults: Math.min(50, Math.max(1, Math.floor(page.limit ?? 25))),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (error) {
        if (nameOf(error) === 'InvalidNextToken') throw new InvalidSecretCursorError();
        throw new SecretStoreUnavailableError('could not list secrets', { cause: nameOf(error) });
      }
      const items: SecretSummary[] = (result.Parameters ?? [])
        .filter((parameter) => parameter.Name?.startsWith(`${path}/`))
        .map((parameter) => ({
          name: (parameter.Name ?? '').slice(path.length + 1),
          updatedAt: (parameter.LastModifiedDate ?? new Date(0)).toISOString(),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return result.NextToken ? { items, nextCursor: encodeCursor(result.NextToken, tenant) } : { items };
    },
    async delete(tenant, name) {
      check(name);
      try {
        await ssm.send(new DeleteParameterCommand({ Name: pathOf(tenant, name) }));
      } catch (error) {
        if (nameOf(error) === 'ParameterNotFound') throw new SecretNotFoundError(`secret ${name} not found`);
        throw new SecretStoreUnavailableError(`could not delete secret ${name}`, { cause: nameOf(error) });
      }
    },
  };
}

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : 'UnknownError');

const encodeCursor = (token: string, tenant: string): string =>
  Buffer.from(JSON.stringify({ t: tenant, n: token })).toString('base64url');

function decodeCursor(cursor: string, tenant: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      n?: unknown;
    };
    if (decoded.t === tenant && typeof decoded.n === 'string' && decoded.n.length > 0) return decoded.n;
  } catch {
    // falls through to the refusal
  }
  throw new InvalidSecretCursorError();
}
