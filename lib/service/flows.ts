import { randomUUID } from 'node:crypto';
import { CompileError, type CompileResult } from '../compiler/types.ts';
import type { DeployedMachine } from '../runtime/state-machines.ts';
import { VersionConflictError } from '../store/errors.ts';
import type { FlowVersion, NewFlowVersion, Page, PageRequest } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';
import { validateDefinition } from '../workflow/validate-definition.ts';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { durationHints } from './duration-hints.ts';
import {
  PreconditionFailedError,
  PreconditionRequiredError,
  RequestValidationError,
  UnprocessableError,
} from './errors.ts';
import { loadFlowVersion } from './flow-versions.ts';
import { pinSubflows } from './subflow-refs.ts';
import {
  type FlowView,
  flowSummaryView,
  flowView,
  type TriggerView,
  triggersOf,
  triggerViews,
  versionView,
} from './views.ts';

/**
 * Validates a definition as sent (refusing with the JSON pointer of each problem), checks its
 * subflow children in the caller's tenant and pins them to a version, refusing a flow that would
 * reach itself (lib/service/subflow-refs.ts), then compiles what will be stored. A new version of
 * a flow that has run is compiled with the node durations its own recent runs measured
 * (lib/service/duration-hints.ts), which choose the ordering edges added at N-shapes.
 */
const prepare = async (
  deps: Deps,
  caller: Caller,
  flowId: string | undefined,
  raw: unknown,
): Promise<{ definition: WorkflowDefinition; compiled: CompileResult }> => {
  const result = validateDefinition(raw);
  if (!result.valid || result.definition === undefined) {
    throw new RequestValidationError('the workflow definition is invalid', result.errors);
  }
  // Pinning only fills in versions: the pinned definition is as valid as the one sent.
  const definition = await pinSubflows(deps.stores.flows, caller.tenantId, flowId, result.definition);
  const hints =
    flowId === undefined ? undefined : await durationHints(deps.stores.executions, caller.tenantId, flowId);
  const context =
    hints === undefined ? deps.compileContext : { ...deps.compileContext, durationHints: hints };
  try {
    return { definition, compiled: deps.compile(definition, context) };
  } catch (error) {
    if (error instanceof CompileError) {
      throw new UnprocessableError(`the workflow cannot be compiled: ${error.message}`, [], { cause: error });
    }
    throw error;
  }
};

const deploy = (
  deps: Deps,
  caller: Caller,
  flowId: string,
  version: number,
  compiled: CompileResult,
): Promise<DeployedMachine> =>
  deps.stateMachines.deploy({
    tenantId: caller.tenantId,
    flowId,
    version,
    asl: compiled.asl,
    type: compiled.report.stateMachineType,
  });

/** What the store keeps for a new version: the definition, its compiled machine and who saved it. */
const versionInput = (
  caller: Caller,
  definition: WorkflowDefinition,
  compiled: CompileResult,
  machine: DeployedMachine,
): NewFlowVersion => ({
  definition,
  compiled: compiled.asl,
  report: compiled.report,
  triggers: triggersOf(definition),
  machine,
  createdBy: caller.keyId,
});

const registerTriggers = async (deps: Deps, saved: FlowVersion): Promise<TriggerView[]> => {
  const secrets = await deps.triggers.register({
    tenantId: saved.tenant,
    flowId: saved.flowId,
    version: saved.version,
    triggers: saved.triggers,
    ...(saved.machine === undefined ? {} : { machine: saved.machine }),
  });
  return triggerViews(saved.triggers, {
    flowId: saved.flowId,
    apiBaseUrl: deps.apiBaseUrl,
    now: deps.clock(),
    secrets,
  });
};

/**
 * `POST /flows`: validates, compiles, deploys (so an invalid machine is never stored), stores
 * version 1, registers its triggers (a webhook's secret appears only in this answer), audits.
 */
export async function createFlow(deps: Deps, caller: Caller, raw: unknown): Promise<FlowView> {
  // A new flow's id is unknown to every other flow: nothing can lead back to it.
  const { definition, compiled } = await prepare(deps, caller, undefined, raw);
  const flowId = randomUUID();
  const machine = await deploy(deps, caller, flowId, 1, compiled);
  const saved = await deps.stores.flows.createFlow(caller.tenantId, {
    flowId,
    ...versionInput(caller, definition, compiled, machine),
  });
  const triggers = await registerTriggers(deps, saved);
  await recordAudit(deps, caller, 'flow.create', `flow/${flowId}`, { version: saved.version });
  return flowView(saved, { createdAt: saved.createdAt, updatedAt: saved.createdAt }, triggers);
}

/**
 * `POST /flows/validate`: what a save would say about a definition, without saving or deploying it:
 * every error and warning at its JSON pointer, and the compile report when it compiles (a compiler
 * refusal is one error at the root).
 */
export function checkDefinition(deps: Deps, raw: unknown) {
  const result = validateDefinition(raw);
  const warnings = result.warnings ?? [];
  if (!result.valid || result.definition === undefined)
    return { valid: false, errors: result.errors, warnings };
  try {
    const { report } = deps.compile(result.definition, deps.compileContext);
    return { valid: true, errors: [], warnings, report };
  } catch (error) {
    if (!(error instanceof CompileError)) throw error;
    return { valid: false, errors: [{ path: '', message: error.message }], warnings };
  }
}

/**
 * Reads the version an `If-Match` header names: `"3"`, `W/"3"` or `3`; `*` (any version) is
 * `'any'`; absent is `undefined`; anything else is `NaN` (matches no version).
 */
export const parseIfMatch = (header: string | undefined): number | 'any' | undefined => {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return 'any';
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
};

/**
 * `PUT /flows/{flowId}`: saves the next version if `ifMatch` is still the latest one (`*` matches
 * any). Missing → `PreconditionRequiredError` (428); stale (or not a version) →
 * `PreconditionFailedError` (412) — of two concurrent updates from the same version exactly one
 * wins, and the version it stored names the machine it deployed (each deploy is its own version).
 */
export async function updateFlow(
  deps: Deps,
  caller: Caller,
  flowId: string,
  ifMatch: string | undefined,
  raw: unknown,
): Promise<FlowView> {
  const wanted = parseIfMatch(ifMatch);
  if (wanted === undefined) {
    throw new PreconditionRequiredError('updating a flow needs If-Match with the version it is based on');
  }
  const head = await deps.stores.flows.getFlow(caller.tenantId, flowId);
  const { definition, compiled } = await prepare(deps, caller, flowId, raw);
  const expected = wanted === 'any' ? head.latestVersion : wanted;
  if (Number.isNaN(expected) || head.latestVersion !== expected) {
    throw new PreconditionFailedError(
      `flow ${flowId} is at version ${head.latestVersion}, not ${ifMatch ?? ''}`.trim(),
    );
  }
  const machine = await deploy(deps, caller, flowId, expected + 1, compiled);
  const saved = await deps.stores.flows
    .saveVersion(caller.tenantId, flowId, expected, versionInput(caller, definition, compiled, machine))
    .catch((error: unknown) => {
      if (error instanceof VersionConflictError)
        throw new PreconditionFailedError(error.message, { cause: error });
      throw error;
    });
  const triggers = await registerTriggers(deps, saved);
  await recordAudit(deps, caller, 'flow.update', `flow/${flowId}`, { version: saved.version });
  return flowView(saved, { createdAt: head.createdAt, updatedAt: saved.createdAt }, triggers);
}

/** `GET /flows/{flowId}`: the latest version (another tenant's flow is the store's `NotFoundError`). */
export async function getFlow(deps: Deps, caller: Caller, flowId: string): Promise<FlowView> {
  const { head, version } = await loadFlowVersion(deps.stores.flows, caller.tenantId, flowId);
  const triggers = triggerViews(version.triggers, { flowId, apiBaseUrl: deps.apiBaseUrl, now: deps.clock() });
  return flowView(version, head, triggers);
}

/** `GET /flows`: the tenant's live flows, newest first. */
export async function listFlows(deps: Deps, caller: Caller, page: PageRequest) {
  const result = await deps.stores.flows.listFlows(caller.tenantId, page);
  return pageOf(result, flowSummaryView);
}

/** `GET /flows/{flowId}/versions`: every version, newest first. */
export async function listVersions(deps: Deps, caller: Caller, flowId: string, page: PageRequest) {
  const result = await deps.stores.flows.listVersions(caller.tenantId, flowId, page);
  return pageOf(result, versionView);
}

/** `GET /flows/{flowId}/versions/{version}`: one stored version with its definition and compile report. */
export async function getVersion(deps: Deps, caller: Caller, flowId: string, version: number) {
  const loaded = await loadFlowVersion(deps.stores.flows, caller.tenantId, flowId, version);
  return {
    ...versionView(loaded.version),
    definition: loaded.version.definition,
    report: loaded.version.report,
  };
}

/** `GET /flows/{flowId}/triggers`: the latest version's triggers with webhook URLs and next fire times. */
export async function listTriggers(
  deps: Deps,
  caller: Caller,
  flowId: string,
): Promise<{ items: TriggerView[] }> {
  const { version } = await loadFlowVersion(deps.stores.flows, caller.tenantId, flowId);
  return {
    items: triggerViews(version.triggers, { flowId, apiBaseUrl: deps.apiBaseUrl, now: deps.clock() }),
  };
}

/**
 * `DELETE /flows/{flowId}`: soft-deletes the flow (executions stay readable), unregisters its
 * triggers, audits. The state machine is kept so that running executions finish and stay describable.
 */
export async function deleteFlow(deps: Deps, caller: Caller, flowId: string): Promise<void> {
  const head = await deps.stores.flows.deleteFlow(caller.tenantId, flowId);
  await deps.triggers.unregisterAll(caller.tenantId, flowId);
  await recordAudit(deps, caller, 'flow.delete', `flow/${flowId}`, { version: head.latestVersion });
}

/** Maps the items of a store page, keeping its cursor. */
export const pageOf = <T, U>(page: Page<T>, map: (item: T) => U): { items: U[]; nextCursor?: string } =>
  page.nextCursor === undefined
    ? { items: page.items.map(map) }
    : { items: page.items.map(map), nextCursor: page.nextCursor };
