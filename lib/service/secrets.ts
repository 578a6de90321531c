import type { SecretSummary } from '../security/tenant-secrets.ts';
import { MAX_SECRET_VALUE_BYTES, secretNameProblem } from '../security/tenant-secrets.ts';
import type { PageRequest } from '../store/types.ts';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { RequestValidationError } from './errors.ts';

/** Refuses a name that is not a secret name: 400 with the problem at `/name`. */
function checkName(name: string): void {
  const problem = secretNameProblem(name);
  if (problem) throw new RequestValidationError(problem, [{ path: '/name', message: problem }]);
}

/**
 * `PUT /secrets/{name}` (admin): creates or replaces one of the caller's tenant's secrets. The
 * value is never answered, logged or audited; the answer is `{ name, updatedAt }` and whether it
 * was created. A value over 4 KB (SSM Standard tier) is a 400 at `/value`.
 */
export async function putSecret(
  deps: Deps,
  caller: Caller,
  name: string,
  value: string,
): Promise<{ summary: SecretSummary; created: boolean }> {
  checkName(name);
  const bytes = Buffer.byteLength(value);
  if (bytes === 0 || bytes > MAX_SECRET_VALUE_BYTES) {
    const message = `the value must be 1-${MAX_SECRET_VALUE_BYTES} bytes of UTF-8 (it is ${bytes})`;
    throw new RequestValidationError(message, [{ path: '/value', message }]);
  }
  const result = await deps.stores.secrets.put(caller.tenantId, name, value);
  await recordAudit(deps, caller, result.created ? 'secret.create' : 'secret.update', `secret/${name}`);
  return result;
}

/** `GET /secrets` (admin): names and update times of the tenant's secrets, never a value. */
export async function listSecrets(deps: Deps, caller: Caller, page: PageRequest) {
  return deps.stores.secrets.list(caller.tenantId, page);
}

/** `DELETE /secrets/{name}` (admin): an unknown name is a 404. */
export async function deleteSecret(deps: Deps, caller: Caller, name: string): Promise<void> {
  checkName(name);
  await deps.stores.secrets.delete(caller.tenantId, name);
  await recordAudit(deps, caller, 'secret.delete', `secret/${name}`);
}
