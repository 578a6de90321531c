import { NotFoundError } from '../store/errors.ts';
import type { FlowStorePort, FlowSummary, FlowVersion } from '../store/types.ts';

const MAX_CACHED = 1000;
const caches = new WeakMap<FlowStorePort, Map<string, FlowVersion>>();

const cacheOf = (flows: FlowStorePort): Map<string, FlowVersion> => {
  let cache = caches.get(flows);
  if (!cache) {
    cache = new Map();
    caches.set(flows, cache);
  }
  return cache;
};

/**
 * A version of a live flow (the latest unless `version` is given) with the flow's head. Versions
 * are immutable, so a version whose machine is deployed is kept in a small in-process cache and
 * a read costs one store read (the head, which says whether the flow is live and which version is
 * latest). Unknown, deleted or foreign flows and versions throw the store's `NotFoundError`.
 */
export async function loadFlowVersion(
  flows: FlowStorePort,
  tenantId: string,
  flowId: string,
  version?: number,
): Promise<{ head: FlowSummary; version: FlowVersion }> {
  const head = await flows.getFlow(tenantId, flowId);
  const wanted = version ?? head.latestVersion;
  if (wanted > head.latestVersion || wanted < 1)
    throw new NotFoundError(`flow ${flowId} has no version ${wanted}`);
  const cache = cacheOf(flows);
  const key = `${tenantId}\u0000${flowId}\u0000${wanted}`;
  const cached = cache.get(key);
  if (cached) return { head, version: cached };
  const loaded = await flows.getVersion(tenantId, flowId, wanted);
  if (loaded.machine) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value ?? '');
    cache.set(key, loaded);
  }
  return { head, version: loaded };
}
