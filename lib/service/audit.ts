import type { AuditEntry, Page, PageRequest } from '../store/types.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';

/** Appends one audit entry for a write the caller made: who, what, when (store clock), from where. */
export async function recordAudit(
  deps: Deps,
  caller: Caller,
  action: string,
  resource: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await deps.stores.audit.append({
    tenant: caller.tenantId,
    actor: caller.keyId,
    action,
    resource,
    ...(caller.sourceIp === undefined ? {} : { sourceIp: caller.sourceIp }),
    ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
    ...(details === undefined ? {} : { details }),
  });
}

/** The caller's tenant's audit log, newest first. */
export async function listAudit(deps: Deps, caller: Caller, page: PageRequest): Promise<Page<AuditEntry>> {
  return deps.stores.audit.list(caller.tenantId, page);
}
