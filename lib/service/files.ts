import { type FileInfo, isFileValue } from '../payloads/files.ts';
import { executionKeyPrefix } from '../payloads/payload-store.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { ResourceNotFoundError } from './errors.ts';
import { getExecution } from './executions.ts';

/** A file's bytes with the metadata its file value gives. */
export interface ExecutionFile {
  info: FileInfo;
  content: Uint8Array;
}

/**
 * `GET /executions/{executionId}/files/{ref}` (scope `executions:read`): the bytes of a file a node of
 * this execution produced or received. The execution must be the caller's tenant's (else 404, like
 * any other tenant's record), the ref must be one of this execution's payload keys and a file value
 * with that ref must appear in the execution's record (input, node outputs): a ref alone, even a
 * guessed or leaked one of another execution, reads nothing.
 */
export async function getExecutionFile(
  deps: Deps,
  caller: Caller,
  executionId: string,
  ref: string,
): Promise<ExecutionFile> {
  const view = await getExecution(deps, caller, executionId);
  const notFound = () =>
    new ResourceNotFoundError(`execution ${executionId} has no file ${JSON.stringify(ref)}`);
  if (
    !deps.payloads ||
    !ref.startsWith(executionKeyPrefix({ tenant: caller.tenantId, flowId: view.flowId, executionId }))
  )
    throw notFound();
  const info = findFile([view.input, view.output, view.nodes], ref);
  if (!info) throw notFound();
  try {
    return { info, content: await deps.payloads.getBytes(ref) };
  } catch (error) {
    throw new ResourceNotFoundError(`the content of file ${info.name} is no longer kept`, { cause: error });
  }
}

function findFile(value: unknown, ref: string): FileInfo | undefined {
  if (isFileValue(value)) return value.file.ref === ref ? value.file : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const child of Object.values(value)) {
    const found = findFile(child, ref);
    if (found) return found;
  }
  return undefined;
}
