import { NotFoundError } from '../store/errors.ts';
import type { FlowLookup } from '../triggers/start-execution-port.ts';
import type { Deps } from './deps.ts';
import { loadFlowVersion } from './flow-versions.ts';

/** The triggers' `FlowLookup` over the flow store: a version of a live flow, or `null` when there is none. */
export const flowLookup =
  (deps: Pick<Deps, 'stores'>): FlowLookup =>
  async (tenantId, flowId, version) => {
    try {
      const { version: flow } = await loadFlowVersion(deps.stores.flows, tenantId, flowId, version);
      return { flowId: flow.flowId, version: flow.version, definition: flow.definition };
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };
