import type { ApiScope } from '../store/types.ts';

/**
 * Who makes a request, as the authorizer established it, and where from: every use case takes
 * it, reads and writes only `tenantId`'s records, and writes it into the audit log.
 */
export interface Caller {
  tenantId: string;
  keyId: string;
  scopes: readonly ApiScope[];
  sourceIp?: string;
  requestId?: string;
}

/** True when the caller's scopes grant `scope` (`admin` grants every scope). */
export const hasScope = (caller: Pick<Caller, 'scopes'>, scope: ApiScope): boolean =>
  caller.scopes.includes('admin') || caller.scopes.includes(scope);
