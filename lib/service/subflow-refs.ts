import { NotFoundError } from '../store/errors.ts';
import type { FlowStorePort } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';
import { type SubflowRef, subflowRefs } from '../workflow/subflow-refs.ts';
import { type FieldError, UnprocessableError } from './errors.ts';

/** How far the cycle search follows subflows (a chain deeper than 5 fails at run time anyway). */
const MAX_SEARCH_VERSIONS = 200;

/**
 * The save-time rules of subflows (DESIGN.md §2.1), applied to a valid definition of flow `flowId`
 * (undefined for a new flow) in `tenant`:
 * - the child flow must exist in this tenant, and a given `version` must exist (422 at the node's
 *   `/config/flowId` or `/config/version`);
 * - a node without `version` gets the child's latest version pinned into the saved definition;
 * - a flow may not start itself, nor reach itself through the pinned versions of its children
 *   (422 naming the chain).
 * Answers the definition to store (pinned), leaving `definition` as it is.
 */
export async function pinSubflows(
  flows: FlowStorePort,
  tenant: string,
  flowId: string | undefined,
  definition: WorkflowDefinition,
): Promise<WorkflowDefinition> {
  const refs = subflowRefs(definition);
  if (refs.length === 0) return definition;
  const pinned = structuredClone(definition);
  const pinnedRefs = subflowRefs(pinned);
  const errors: FieldError[] = [];
  for (const [i, ref] of refs.entries()) {
    const { flowId: child, version } = ref.config;
    if (child === flowId) {
      errors.push({
        path: `${ref.pointer}/config/flowId`,
        message: 'a flow cannot start itself as a subflow',
      });
      continue;
    }
    let latest: number;
    try {
      latest = (await flows.getFlow(tenant, child)).latestVersion;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      errors.push({
        path: `${ref.pointer}/config/flowId`,
        message: `flow ${child} does not exist in this tenant`,
      });
      continue;
    }
    if (version !== undefined && version > latest) {
      errors.push({
        path: `${ref.pointer}/config/version`,
        message: `flow ${child} has no version ${version} (its latest is ${latest})`,
      });
      continue;
    }
    (pinnedRefs[i] as SubflowRef).config.version = version ?? latest;
  }
  if (errors.length === 0 && flowId !== undefined) {
    for (const ref of pinnedRefs) {
      const chain = await findPath(flows, tenant, ref.config.flowId, ref.config.version as number, flowId);
      if (chain) {
        errors.push({
          path: `${ref.pointer}/config/flowId`,
          message: `flow ${flowId} would reach itself through subflows: ${[flowId, ...chain].join(' → ')}`,
        });
      }
    }
  }
  if (errors.length > 0) {
    throw new UnprocessableError('the subflows of the workflow definition cannot be used', errors);
  }
  return pinned;
}

/**
 * A chain of flow ids from (`flowId`, `version`) through the pinned subflows of the stored versions
 * to `target` (ending with it), or undefined when there is none.
 */
async function findPath(
  flows: FlowStorePort,
  tenant: string,
  flowId: string,
  version: number,
  target: string,
): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const search = async (id: string, v: number): Promise<string[] | undefined> => {
    if (id === target) return [id];
    const key = `${id}@${v}`;
    if (seen.has(key) || seen.size >= MAX_SEARCH_VERSIONS) return undefined;
    seen.add(key);
    const stored = await flows.getVersion(tenant, id, v).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!stored) return undefined;
    for (const ref of subflowRefs(stored.definition)) {
      const next = ref.config.version;
      const rest = next === undefined ? undefined : await search(ref.config.flowId, next);
      if (rest) return [id, ...rest];
    }
    return undefined;
  };
  return search(flowId, version);
}
