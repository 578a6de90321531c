import type { ApiKeyRecord, ApiScope, PageRequest } from '../store/types.ts';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { ForbiddenError } from './errors.ts';
import { pageOf } from './flows.ts';

/** The operator's tenant: its admins may create keys for other tenants. */
export const DEFAULT_TENANT = 'default';

/** 201 of `POST /keys`: the key in clear text appears only here. */
export interface CreatedKey {
  keyId: string;
  key: string;
  tenant: string;
  scopes: ApiScope[];
  name: string;
}

/**
 * `POST /keys` (admin): creates a key of the caller's tenant, or of `tenant` when the caller is an
 * admin of the operator's `default` tenant (an admin of any other tenant naming another → 403).
 */
export async function createKey(
  deps: Deps,
  caller: Caller,
  request: { name: string; scopes: ApiScope[]; tenant?: string },
): Promise<CreatedKey> {
  const tenant = request.tenant ?? caller.tenantId;
  if (tenant !== caller.tenantId && caller.tenantId !== DEFAULT_TENANT) {
    throw new ForbiddenError('only admins of the default tenant may create keys for other tenants');
  }
  const scopes = [...new Set(request.scopes)];
  const { record, key } = await deps.stores.apiKeys.create({
    tenant,
    name: request.name,
    scopes,
    createdBy: caller.keyId,
  });
  await recordAudit(deps, caller, 'key.create', `key/${record.keyId}`, { tenant, scopes });
  return { keyId: record.keyId, key, tenant: record.tenant, scopes: record.scopes, name: record.name };
}

/** `DELETE /keys/{keyId}` (admin): revokes a key of the caller's tenant; unknown/foreign → the store's `NotFoundError`. */
export async function revokeKey(deps: Deps, caller: Caller, keyId: string): Promise<void> {
  await deps.stores.apiKeys.revoke(caller.tenantId, keyId);
  await recordAudit(deps, caller, 'key.revoke', `key/${keyId}`);
}

/** A key as `GET /keys` shows it: everything but the key itself (which is never stored). */
export interface KeyView {
  keyId: string;
  name: string;
  tenant: string;
  scopes: ApiScope[];
  createdAt: string;
  createdBy?: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

const keyView = (record: ApiKeyRecord): KeyView => ({
  keyId: record.keyId,
  name: record.name,
  tenant: record.tenant,
  scopes: record.scopes,
  createdAt: record.createdAt,
  ...(record.createdBy === undefined ? {} : { createdBy: record.createdBy }),
  ...(record.lastUsedAt === undefined ? {} : { lastUsedAt: record.lastUsedAt }),
  ...(record.revokedAt === undefined ? {} : { revokedAt: record.revokedAt }),
});

/** `GET /keys` (admin): the keys of the caller's tenant, revoked ones with `revokedAt`. */
export async function listKeys(deps: Deps, caller: Caller, page: PageRequest) {
  return pageOf(await deps.stores.apiKeys.list(caller.tenantId, page), keyView);
}
