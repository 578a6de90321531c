import type { ExecutionRecord } from '../runtime/execution-record.ts';
import type {
  ExecutionItem,
  FlowSummary,
  FlowVersion,
  FlowVersionSummary,
  TriggerSummary,
} from '../store/types.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';
import { nextFireTimes, parseSchedule, type ScheduleConfig } from '../workflow/schedule-expression.ts';

/**
 * The API's views of stored records (DESIGN.md §3 shapes). Pure functions: records in, plain
 * JSON objects out, nothing internal (tenant, ARNs, idempotency keys) copied through.
 */

/** A trigger as the API shows it. */
export interface TriggerView {
  id: string;
  type: TriggerSummary['type'];
  config?: Record<string, unknown>;
  url?: string;
  secret?: string;
  nextFireTimes?: string[];
}

export interface FlowView {
  flowId: string;
  version: number;
  name: string;
  definition: WorkflowDefinition;
  triggers: TriggerView[];
  createdAt: string;
  updatedAt: string;
}

export interface ExecutionView {
  executionId: string;
  flowId: string;
  version: number;
  status: string;
  trigger: { id: string | null; type: string };
  startedAt: string;
  finishedAt?: string;
  input: unknown;
  output?: unknown;
  error?: { error: string; cause?: string };
  nodes: ExecutionRecord['nodes'];
  /** A subflow's child: the execution and node that started it. */
  parent?: { executionId: string; nodeId: string };
}

/** The triggers of a definition, as stored with its version. */
export const triggersOf = (definition: WorkflowDefinition): TriggerSummary[] =>
  definition.nodes.flatMap((node) =>
    node.type === 'trigger' ? [{ id: node.id, type: node.trigger, config: node.config }] : [],
  );

/** The webhook URL of a trigger: `<apiBaseUrl>/api/v1/hooks/<flowId>/<triggerId>`. */
export const webhookUrl = (apiBaseUrl: string, flowId: string, triggerId: string): string =>
  `${apiBaseUrl.replace(/\/+$/, '')}/api/v1/hooks/${encodeURIComponent(flowId)}/${encodeURIComponent(triggerId)}`;

/** The next five fire times of a schedule config (ISO 8601 UTC), or none when the config does not parse. */
export const scheduleFireTimes = (config: Record<string, unknown> | undefined, now: Date): string[] => {
  const parsed = parseSchedule((config ?? {}) as ScheduleConfig);
  if (!('spec' in parsed)) return [];
  const bounds: { startDate?: Date; endDate?: Date } = {};
  if (typeof config?.startDate === 'string') bounds.startDate = new Date(config.startDate);
  if (typeof config?.endDate === 'string') bounds.endDate = new Date(config.endDate);
  if (config?.enabled === false) return [];
  return nextFireTimes(parsed.spec, now, 5, bounds).map((date) => date.toISOString());
};

/** Trigger views: webhook URL (+ its secret when just created), schedule fire times. */
export const triggerViews = (
  triggers: readonly TriggerSummary[],
  context: { flowId: string; apiBaseUrl: string; now: Date; secrets?: Record<string, { secret?: string }> },
): TriggerView[] =>
  triggers.map((trigger) => {
    const view: TriggerView = { id: trigger.id, type: trigger.type };
    if (trigger.config !== undefined) view.config = trigger.config;
    if (trigger.type === 'webhook') {
      view.url = webhookUrl(context.apiBaseUrl, context.flowId, trigger.id);
      const secret = context.secrets?.[trigger.id]?.secret;
      if (secret !== undefined) view.secret = secret;
    }
    if (trigger.type === 'schedule') view.nextFireTimes = scheduleFireTimes(trigger.config, context.now);
    return view;
  });

/** The view of a flow version. */
export const flowView = (
  version: FlowVersion,
  head: Pick<FlowSummary, 'createdAt' | 'updatedAt'>,
  triggers: TriggerView[],
): FlowView => ({
  flowId: version.flowId,
  version: version.version,
  name: version.name,
  definition: version.definition,
  triggers,
  createdAt: head.createdAt,
  updatedAt: head.updatedAt,
});

/** A flow in a listing. */
export const flowSummaryView = (flow: FlowSummary) => ({
  flowId: flow.flowId,
  name: flow.name,
  version: flow.latestVersion,
  createdAt: flow.createdAt,
  updatedAt: flow.updatedAt,
});

/** A version in a listing. */
export const versionView = (version: FlowVersionSummary) => ({
  flowId: version.flowId,
  version: version.version,
  name: version.name,
  createdAt: version.createdAt,
  ...(version.createdBy === undefined ? {} : { createdBy: version.createdBy }),
  triggers: version.triggers.map((trigger) => ({ id: trigger.id, type: trigger.type })),
});

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** True for a status no execution leaves without a redrive. */
export const isTerminal = (status: string): boolean => TERMINAL.has(status);

/** The view of an execution. `finishedAt` only when it is not running. */
export const executionView = (item: ExecutionItem): ExecutionView => {
  const view: ExecutionView = {
    executionId: item.executionId,
    flowId: item.flowId,
    version: item.version,
    status: item.status,
    trigger: item.trigger,
    startedAt: item.startedAt,
    input: item.input,
    nodes: item.nodes ?? {},
  };
  if (item.parent !== undefined)
    view.parent = { executionId: item.parent.executionId, nodeId: item.parent.nodeId };
  if (item.finishedAt !== undefined && item.status !== 'RUNNING') view.finishedAt = item.finishedAt;
  if (item.output !== undefined && item.status === 'SUCCEEDED') view.output = item.output;
  if (item.error !== undefined && item.status !== 'RUNNING' && item.status !== 'SUCCEEDED')
    view.error = item.error;
  return view;
};
