import type { WorkflowDefinition, WorkflowNode } from '../workflow/definition-schema.ts';
import { collectEdges, type Edge } from '../workflow/edges.ts';
import { parseCondition } from '../workflow/expression.ts';
import { ExpressionSyntaxError } from '../workflow/path-ref.ts';
import {
  type ChoiceRule,
  compileCondition,
  joinRule,
  type Knowledge,
  type NodeStatus,
  type RuleOrConstant,
} from './choice-rules.ts';
import { addFailureStates } from './compensation.ts';
import { bodyDefinition, bodyOuterReads, iterationExpression, sinkOf } from './for-each-body.ts';
import { type CompiledForEach, forEachEventsPerItem } from './for-each-states.ts';
import {
  addNodeStates,
  canFail,
  canSucceedOrFail,
  isForEach,
  isSubflow,
  isWait,
  type NodeNeeds,
  retryLoopOf,
  runEntry,
  type Target,
  transition,
} from './node-states.ts';
import { nodeWeights } from './node-weights.ts';
import { recordReads, runDataReads } from './record-readers.ts';
import {
  assertWithinLimits,
  chooseMachineType,
  criticalPath,
  DEFAULT_ACTION_SECONDS,
  definitionBytes,
  MAX_INTRINSICS_PER_FIELD,
  MAX_TRANSITIONS,
  overNestedIntrinsics,
  totalOver,
  worstCaseSeconds,
} from './report.ts';
import { hasRetryLoop } from './retry.ts';
import { StateGraph, type StateScope } from './state-graph.ts';
import { nodePath, type StructuralNames, stateName, structuralNames } from './state-names.ts';
import { AFTER_ALL, planSlots, rewriteRecordPaths, type SlotPlan, slotName } from './state-slots.ts';
import { type Structure, type StructureFn, seriesParallelStructure, structureNodes } from './structure.ts';
import { type AslDefinition, type CompileContext, CompileError, type CompileResult } from './types.ts';
import { dropUnreadStatuses } from './unread-statuses.ts';

/**
 * The shortest `FunctionName` Lambda's Invoke accepts for a function ARN: the function name (with its
 * version or alias qualifier), which Step Functions resolves in the machine's own account and region
 * — the action functions are deployed beside the machine. Anything else is kept as given.
 */
export function functionName(arn: string): string {
  return (
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?)$/.exec(
      arn,
    )?.[1] ?? arn
  );
}

/** Branch failures merged in one field: 10 nested States.JsonMerge, Step Functions' limit. */
const MERGE_CHUNK = 11;

/** Options of `buildMachine` (tests and benchmarks). */
export interface BuildOptions {
  /** How the DAG becomes nested series/parallel (default: exact series-parallel decomposition). */
  structure?: StructureFn;
}

/**
 * Compiles a validated workflow definition to a JSONPath ASL state machine and its report
 * (DESIGN.md §2–§3). Pure and deterministic: the same input gives the same JSON, byte for byte.
 *
 * The machine's state is `{ input, execution, nodes: { <id>: { status, output?, error? } }, run,
 * attempt? }`: `run.failed` (`{ Error, Cause }`) marks a fatal failure, `attempt` holds retry
 * counters. The state that runs a node is named the node id; its helpers are `<id>:<role>`.
 * Each node is guarded by a Choice on its sources' recorded statuses and edge conditions, but
 * only where the outcome is not known at compile time (after `a` succeeded, a node that only
 * needs `a` to succeed runs directly), so a chain costs about one transition per node.
 *
 * A fatal failure (onError: fail) inside a Parallel branch does not fail the Parallel (that
 * would drop the other branches' records): the node records `failed`, sets `run.failed` and
 * ends its branch; the other branches run to their end (already started work completes and is
 * recorded, so it can be compensated); after the Parallel a Choice sees `run.failed` and leaves
 * the enclosing branch (a Parallel that ends its branch needs no Choice: it leaves either way),
 * up to the top, where the saga runs and the run fails with the original error. When two branches fail at once, the later branch's error is reported.
 *
 * Throws CompileError: MISSING_ACTION_ARN, INVALID_DEFINITION (a condition or template the
 * compiler cannot express), DEFINITION_TOO_LARGE (> 1 MiB), TOO_MANY_TRANSITIONS (> 25,000).
 */
export function compile(definition: WorkflowDefinition, context: CompileContext): CompileResult {
  const result = buildMachine(definition, context);
  assertWithinLimits(result.report);
  const nested = overNestedIntrinsics(result.asl.States);
  if (nested) {
    throw new CompileError(
      `state "${nested.state}", field "${nested.field}": ${nested.count} intrinsic functions in one field, over Step Functions' limit of ${MAX_INTRINSICS_PER_FIELD}; simplify the template`,
      'INVALID_DEFINITION',
    );
  }
  return result;
}

/** `compile` without the size and transition limits (benchmarks measure large machines). */
export function buildMachine(
  definition: WorkflowDefinition,
  context: CompileContext,
  options: BuildOptions = {},
): CompileResult {
  return new MachineBuilder(definition, context, options.structure ?? seriesParallelStructure).build();
}

/** How a forEach body is built: by the same MachineBuilder, as the ItemProcessor of its Map. */
interface BodyMode {
  forEachId: string;
  /** The body node whose record each iteration returns. */
  output: string;
  /**
   * Outer nodes whose records the body reads: they come in through the Map's ItemSelector, as
   * records written before the body's first node (each gets a slot of the body's state).
   */
  outer: readonly string[];
}

/** A compiled body: the ItemProcessor and what the enclosing builder needs to know about it. */
interface BodyResult {
  processor: { StartAt: string; States: Record<string, Record<string, unknown>> };
  /** The body's slot containers at the start: `{ nodes: {}, nodes1: { a: <outer record> } … }`. */
  slots: Record<string, Record<string, string>>;
  attempt?: Record<string, { a: number }>;
  /** Worst-case transitions of one iteration. */
  transitions: number;
  worstSeconds: number;
}

class MachineBuilder {
  private readonly nodes = new Map<string, WorkflowNode>();
  private readonly incoming = new Map<string, Edge[]>();
  private readonly conditions = new Map<Edge, RuleOrConstant>();
  private readonly fatal = new Set<string>();
  private readonly possible = new Map<string, ReadonlySet<NodeStatus>>();
  private readonly needs = new Map<string, NodeNeeds>();
  private readonly parallelNumbers = new Map<Structure, number>();
  private readonly globalRules = new Map<string, RuleOrConstant>();
  private readonly graph: StateGraph;
  private readonly warnings: string[];
  private readonly names: StructuralNames;
  /** Worst-case seconds of one iteration of each forEach (one wave of items counted). */
  private readonly forEachCosts = new Map<string, number>();
  private readonly knowledge: Knowledge = (id) => this.possible.get(id) ?? new Set();
  private hasRetryLoops = false;
  private slots!: SlotPlan;
  /**
   * Slots that must exist in every state: some node writes a partial entry into them
   * (`$.<slot>.<id>`).
   */
  private readonly keptSlots = new Set<number>();
  /** Parallels followed by a Choice that sends a failure in a branch on to the fatal exit. */
  private readonly checkedParallels = new Set<Structure>();
  /** For each Parallel: the slots its join resets to `{}` although it takes them from no branch. */
  private readonly emptiedSlots = new Map<Structure, ReadonlySet<number>>();
  private failUsed = false;
  /**
   * The top-level failure path reads no record (no node has `compensate`): a fatal Task's Catch may
   * then drop the state and go to `:err` (see `bareFatalExit` in node-states.ts).
   */
  private bareFailure = false;
  private bareUsed = false;
  /** Fatal exits some state goes to (a branch's stop state is added only when used). */
  private readonly usedExits = new Set<string>();
  private endUsed = false;

  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly context: CompileContext,
    private readonly structureFn: StructureFn,
    private readonly body?: BodyMode,
    shared?: { graph: StateGraph; warnings: string[] },
  ) {
    this.graph = shared?.graph ?? new StateGraph();
    this.warnings = shared?.warnings ?? [];
    this.names = structuralNames(body?.forEachId);
  }

  /** The graph facts every scope needs: edges, fatal nodes, structure, statuses, slots. */
  private prepare(): { tree: Structure; addedEdges: Array<{ from: string; to: string }>; order: string[] } {
    const { definition } = this;
    const edges = collectEdges(definition);
    const hasErrorEdge = new Set<string>();
    for (const node of definition.nodes) {
      this.nodes.set(node.id, node);
      this.incoming.set(node.id, []);
      this.needs.set(node.id, { run: false, guard: false, skip: false });
    }
    for (const edge of edges) {
      this.incoming.get(edge.to)?.push(edge);
      if (edge.on === 'error') hasErrorEdge.add(edge.from);
      this.conditions.set(edge, edge.condition === undefined ? true : this.condition(edge));
    }
    for (const node of definition.nodes) {
      this.checkArns(node);
      const onError = node.onError ?? (hasErrorEdge.has(node.id) ? 'continue' : 'fail');
      if (canFail(node) && onError === 'fail') this.fatal.add(node.id);
      if (retryLoopOf(node)) this.hasRetryLoops = true;
      this.warnIgnoredFields(node);
    }

    const { tree, addedEdges } = this.structureFn({
      nodes: definition.nodes.map((n) => n.id),
      edges,
      weight: nodeWeights(definition.nodes, this.context.durationHints),
    });
    if (addedEdges.length > 0) {
      this.warnings.push(
        `the graph is not series-parallel: ${addedEdges.length} ordering edge(s) added (${addedEdges
          .slice(0, 10)
          .map((e) => `${e.from} -> ${e.to}`)
          .join(', ')}${addedEdges.length > 10 ? ', …' : ''})`,
      );
    }
    const order = structureNodes(tree);
    for (const id of order) this.possible.set(id, this.possibleStatuses(id));
    this.numberParallels(tree);
    const readersOf = new Map<string, string[]>();
    for (const [reader, ids] of recordReads(
      definition.nodes,
      this.incoming,
      (id) => this.knowledge(id).size <= 1,
    )) {
      for (const id of ids) readersOf.set(id, [...(readersOf.get(id) ?? []), reader]);
    }
    // A body's iteration ends by returning its output node's record: read after every node.
    if (this.body) {
      const output = this.body.output;
      readersOf.set(output, [...(readersOf.get(output) ?? []), AFTER_ALL]);
    }
    // A body's outer records are planned as if written before its first node.
    const outer = this.body?.outer ?? [];
    const planned: Structure =
      outer.length === 0
        ? tree
        : { kind: 'series', items: [...outer.map((id) => ({ kind: 'node' as const, id })), tree] };
    this.slots = planSlots(planned, (id) => readersOf.get(id) ?? [], { park: this.body === undefined });
    for (const node of definition.nodes) {
      if (this.writesPartialEntry(node)) this.keptSlots.add(this.slots.slotOf.get(node.id) as number);
    }
    this.planEmptiedSlots(tree);
    return { tree, addedEdges, order };
  }

  build(): CompileResult {
    const { definition } = this;
    const { tree, addedEdges, order } = this.prepare();
    this.bareFailure = !definition.nodes.some((n) => n.compensate !== undefined);
    const emptySlots: Record<string, object> = {};
    for (let k = 0; k < this.slots.slotCount; k++) emptySlots[slotName(k)] = {};

    const top = this.graph.scope();
    const items = tree.kind === 'series' ? tree.items : [tree];
    const attempt: Record<string, { a: number }> = {};
    for (const node of definition.nodes) {
      if (retryLoopOf(node)) attempt[node.id] = { a: 1 };
    }
    const first = items[0];
    top.add(
      stateName.start,
      {
        Type: 'Pass',
        Parameters: {
          'input.$': '$.input',
          'execution.$': '$.execution',
          ...emptySlots,
          run: {},
          ...(this.hasRetryLoops ? { attempt } : {}),
        },
        ...transition(first ? { next: this.entryOf(first) } : 'end'),
      },
      'the start',
    );
    this.compileSeries(items, top, 'end', { next: this.names.fail }, true);
    if (this.endUsed) top.add(stateName.end, { Type: 'Succeed' }, 'the end');
    if (this.failUsed) {
      addFailureStates(top, definition.nodes, order, (action) => this.arn(action));
    }
    if (this.bareUsed) {
      // The Catch left only `{ Error, Cause }`: put it where `:fail` and `:fail-end` read it.
      top.add(
        stateName.failBare,
        { Type: 'Pass', Parameters: { 'failed.$': '$' }, ResultPath: '$.run', Next: stateName.fail },
        'the failure path',
      );
    }
    const asl: AslDefinition = {
      Comment: `FlowForge workflow "${definition.name}"`,
      StartAt: stateName.start,
      States: rewriteRecordPaths(
        dropUnreadStatuses(
          top.states,
          new Set(definition.nodes.filter((n) => n.type === 'action').map((n) => n.id)),
        ),
        this.slots.slotOf,
      ),
    };

    const worstSeconds =
      criticalPath(tree, (id) => this.worstSeconds(id)) +
      (this.failUsed ? this.compensationCount() * DEFAULT_ACTION_SECONDS : 0);
    const report = {
      stateMachineType: chooseMachineType(definition, worstSeconds, this.warnings),
      definitionBytes: definitionBytes(asl),
      states: this.graph.size,
      estimatedTransitions: this.estimateTransitions(tree),
      addedEdges,
      warnings: this.warnings,
    };
    return { asl, report };
  }

  /**
   * A forEach body as a Map ItemProcessor: the same node states as at the top level; its start
   * state comes from the Map's ItemSelector. An iteration ends at `<F>/:end` with the output node's
   * record, or — after a fatal failure and the body's own compensations — at `<F>/:fail-end` with
   * `{ error }` (a Pass, so the Map goes on with the other items).
   */
  buildBody(): BodyResult {
    const mode = this.body as BodyMode;
    const { tree, order } = this.prepare();
    const scope = this.graph.scope();
    const items = tree.kind === 'series' ? tree.items : [tree];
    const startAt = this.entryOf(items[0] as Structure);
    this.compileSeries(items, scope, { next: this.names.end }, { next: this.names.fail }, true);
    if (JSON.stringify(scope.states).includes(JSON.stringify(this.names.end))) {
      scope.add(
        this.names.end,
        // `index`: a Distributed Map's ResultWriter does not keep item order; the collect step sorts by it.
        { Type: 'Pass', Parameters: { 'record.$': nodePath(mode.output), 'index.$': '$.index' }, End: true },
        `the body of forEach "${mode.forEachId}"`,
      );
    }
    if (this.failUsed) {
      addFailureStates(scope, this.definition.nodes, order, (action) => this.arn(action), {
        names: this.names,
        inBody: true,
      });
    }
    const slots: Record<string, Record<string, string>> = {};
    for (let k = 0; k < this.slots.slotCount; k++) slots[slotName(k)] = {};
    for (const id of mode.outer) {
      (slots[slotName(this.slots.slotOf.get(id) as number)] as Record<string, string>)[`${id}.$`] =
        nodePath(id);
    }
    const attempt: Record<string, { a: number }> = {};
    for (const node of this.definition.nodes) {
      if (retryLoopOf(node)) attempt[node.id] = { a: 1 };
    }
    return {
      processor: { StartAt: startAt, States: rewriteRecordPaths(scope.states, this.slots.slotOf) },
      slots,
      ...(this.hasRetryLoops ? { attempt } : {}),
      transitions: this.estimateTransitions(tree),
      worstSeconds: criticalPath(tree, (id) => this.worstSeconds(id)),
    };
  }

  /** Compiles a forEach node's body with a builder of its own that shares this machine's names. */
  private compileForEach(node: WorkflowNode): CompiledForEach {
    const { config, definition: body } = bodyDefinition(node);
    const output = config.output ?? sinkOf(body);
    const visible = new Set(this.body?.outer ?? []);
    for (const id of this.ancestorsOf(node.id)) visible.add(id);
    const outer = [...bodyOuterReads(body, [...visible])].filter((id) => visible.has(id)).sort();
    const builder = new MachineBuilder(
      body,
      this.context,
      this.structureFn,
      { forEachId: node.id, output, outer },
      { graph: this.graph, warnings: this.warnings },
    );
    const compiled = builder.buildBody();
    // Conservative: any mention of `input` in the body (templates, conditions, expressions, nested bodies).
    const readsInput = JSON.stringify(body).includes('input');
    const express =
      this.definition.machineType === 'express' || this.definition.stateMachineType === 'EXPRESS';
    const bucket = this.context.payloadBucket;
    const distributed = !this.body && !express && bucket !== undefined;
    const perItem = forEachEventsPerItem(compiled.transitions);
    this.forEachCosts.set(node.id, compiled.worstSeconds);
    let maxItems: number | undefined;
    if (distributed) {
      // Each item is a child execution with a history of its own: one item must fit it.
      if (perItem > MAX_TRANSITIONS) {
        throw new CompileError(
          `forEach "${node.id}": one item can take ${perItem} history events, over the ${MAX_TRANSITIONS}-event history of its child execution; reduce retries or split the body`,
          'TOO_MANY_TRANSITIONS',
        );
      }
      this.warnings.push(
        `forEach "${node.id}": a Distributed Map (one child execution per item, up to ${perItem} history events each; items and results in the payload bucket)`,
      );
    } else if (express) {
      this.warnings.push(
        `forEach "${node.id}": an Inline Map in an Express machine (no history limit; the list and the collected results stay in the state, 256 KiB)`,
      );
    } else {
      maxItems = Math.max(0, Math.floor(MAX_TRANSITIONS / perItem));
      this.warnings.push(
        `forEach "${node.id}": an Inline Map; each item takes up to ${perItem} history events, so one Standard execution (${MAX_TRANSITIONS} history events) fits at most ${maxItems} items; longer lists fail with ForEachTooManyItems`,
      );
    }
    return {
      config,
      processor: compiled.processor,
      itemSelector: {
        // The run's input only when the body may read it: every item's child execution (Distributed
        // Map) carries this selector's output, and its ResultWriter entry repeats it.
        ...(readsInput ? { 'input.$': '$.input' } : { input: {} }),
        'execution.$': '$.execution',
        'item.$': '$$.Map.Item.Value',
        'index.$': '$$.Map.Item.Index',
        'iteration.$': iterationExpression(node.id, this.body !== undefined),
        ...compiled.slots,
        run: {},
        ...(compiled.attempt ? { attempt: compiled.attempt } : {}),
      },
      arn: this.arn('foreach'),
      ...(maxItems === undefined ? {} : { maxItems }),
      ...(distributed ? { bucket } : {}),
    };
  }

  private worstSeconds(id: string): number {
    return this.forEachCosts.get(id) ?? worstCaseSeconds(this.nodes.get(id) as WorkflowNode);
  }

  /** Nodes of this scope upstream of `id` (their records exist when it runs). */
  private ancestorsOf(id: string): Set<string> {
    const seen = new Set<string>();
    const queue = [id];
    for (let i = 0; i < queue.length; i++) {
      for (const edge of this.incoming.get(queue[i] as string) ?? []) {
        if (!seen.has(edge.from)) {
          seen.add(edge.from);
          queue.push(edge.from);
        }
      }
    }
    return seen;
  }

  private condition(edge: Edge): RuleOrConstant {
    try {
      return compileCondition(parseCondition(edge.condition as string));
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) {
        throw new CompileError(`${edge.pointer}/condition: ${error.message}`, 'INVALID_DEFINITION');
      }
      throw error;
    }
  }

  /** The `FunctionName` a Task of the action's Lambda names (see {@link functionName}). */
  private arn(action: string): string {
    const arn = this.context.actionArns[action];
    if (arn === undefined) {
      throw new CompileError(
        `no Lambda ARN for action "${action}" in the compile context`,
        'MISSING_ACTION_ARN',
      );
    }
    return functionName(arn);
  }

  private waitArn(): string {
    const arn = this.context.waitArn;
    if (arn === undefined) {
      throw new CompileError('no wait function ARN (waitArn) in the compile context', 'MISSING_ACTION_ARN');
    }
    return functionName(arn);
  }

  private subflowArn(): string {
    const arn = this.context.subflowArn;
    if (arn === undefined) {
      throw new CompileError(
        'no subflow function ARN (subflowArn) in the compile context',
        'MISSING_ACTION_ARN',
      );
    }
    return functionName(arn);
  }

  private checkArns(node: WorkflowNode): void {
    if (node.type === 'action') this.arn(node.action);
    if (isForEach(node)) this.arn('foreach');
    if (isWait(node)) this.waitArn();
    if (isSubflow(node)) this.subflowArn();
    if (node.compensate) this.arn(node.compensate.action);
  }

  private warnIgnoredFields(node: WorkflowNode): void {
    if (node.type === 'action' || isSubflow(node)) {
      if (node.retry && node.retry.delaySeconds % 1 !== 0) {
        this.warnings.push(`node "${node.id}": retry delays are rounded up to whole seconds`);
      }
      return;
    }
    for (const field of ['retry', 'timeoutSeconds'] as const) {
      if (node[field] !== undefined)
        this.warnings.push(`node "${node.id}": ${field} applies to actions only and is ignored`);
    }
    if (node.compensate !== undefined && node.type === 'trigger') {
      this.warnings.push(`node "${node.id}": a trigger has nothing to compensate; compensate is ignored`);
    }
  }

  /** The statuses a node can end with on the paths that continue the run. */
  private possibleStatuses(id: string): ReadonlySet<NodeStatus> {
    const node = this.nodes.get(id) as WorkflowNode;
    const out = new Set<NodeStatus>();
    let rule: RuleOrConstant;
    if (node.type === 'trigger') rule = { dynamic: true };
    else rule = this.rule(id, this.knowledge);
    this.globalRules.set(id, rule);
    if (rule !== true) out.add('skipped');
    if (rule !== false) {
      if (canSucceedOrFail(node)) {
        out.add('succeeded');
        if (!this.fatal.has(id)) out.add('failed');
      } else if (canFail(node)) {
        if (!this.fatal.has(id)) out.add('failed');
      } else out.add('succeeded');
    }
    return out;
  }

  private rule(id: string, knowledge: Knowledge): RuleOrConstant {
    const node = this.nodes.get(id) as WorkflowNode;
    return joinRule(
      this.incoming.get(id) ?? [],
      node.join ?? 'all',
      (edge) => this.conditions.get(edge) ?? true,
      knowledge,
    );
  }

  private numberParallels(structure: Structure): void {
    if (structure.kind === 'node') return;
    if (structure.kind === 'parallel') this.parallelNumbers.set(structure, this.parallelNumbers.size + 1);
    const children = structure.kind === 'series' ? structure.items : structure.branches;
    for (const child of children) this.numberParallels(child);
  }

  /** The state to enter for a structure, knowing optionally the outcome of the node just before. */
  private entryOf(structure: Structure, known?: { id: string; status: NodeStatus }): string {
    if (structure.kind === 'series') return this.entryOf(structure.items[0] as Structure, known);
    if (structure.kind === 'parallel')
      return this.names.parallel(this.parallelNumbers.get(structure) as number);
    const id = structure.id;
    const node = this.nodes.get(id) as WorkflowNode;
    const needs = this.needs.get(id) as NodeNeeds;
    let rule: RuleOrConstant;
    if (node.type === 'trigger') rule = { dynamic: true };
    else if (!known) rule = this.globalRules.get(id) as RuleOrConstant;
    else {
      const status = new Set([known.status]);
      rule = this.rule(id, (other) => (other === known.id ? status : this.knowledge(other)));
    }
    if (rule === true) {
      needs.run = true;
      return runEntry(node);
    }
    if (rule === false) {
      needs.skip = true;
      return stateName.skip(id);
    }
    needs.guard = true;
    needs.run = true;
    needs.skip = true;
    return stateName.guard(id);
  }

  private compileSeries(
    items: Structure[],
    scope: StateScope,
    end: Target,
    fatalExit: Target,
    top: boolean,
  ): void {
    items.forEach((item, i) => {
      const follow = items[i + 1];
      const continuation = (known?: { id: string; status: NodeStatus }): Target =>
        follow ? { next: this.entryOf(follow, known) } : end;
      if (item.kind === 'node') this.compileNode(item.id, scope, continuation, fatalExit);
      else if (item.kind === 'parallel') this.compileParallel(item, scope, continuation(), fatalExit, top);
      else this.compileSeries(item.items, scope, follow ? continuation() : end, fatalExit, top);
    });
  }

  private compileNode(
    id: string,
    scope: StateScope,
    continuation: (known?: { id: string; status: NodeStatus }) => Target,
    fatalExit: Target,
  ): void {
    const node = this.nodes.get(id) as WorkflowNode;
    const needs = this.needs.get(id) as NodeNeeds;
    const fatal = this.fatal.has(id);
    const globalRule = this.globalRules.get(id);
    addNodeStates(
      {
        node,
        needs,
        fatal,
        ...(typeof globalRule === 'object' && node.type !== 'trigger'
          ? { guardRule: globalRule as ChoiceRule }
          : {}),
        ...(node.type === 'action' ? { arn: this.arn(node.action) } : {}),
        ...(isWait(node) ? { arn: this.waitArn() } : {}),
        ...(isSubflow(node) ? { arn: this.subflowArn() } : {}),
        ...(isForEach(node) && needs.run ? { forEach: this.compileForEach(node) } : {}),
        ...(this.body ? { inBody: true } : {}),
        directFatalCatch: this.body === undefined,
        ...(this.bareFailure && fatal && needs.run && fatalExit !== 'end' && fatalExit.next === stateName.fail
          ? { bareFatalExit: () => this.useBareExit() }
          : {}),
        slot: slotName(this.slots.slotOf.get(id) as number),
        ...(this.slots.parked.has(id) ? { parked: true } : {}),
        runDataReads: runDataReads(node, (other) => this.slots.precedes(other, id), [
          ...(this.body?.outer ?? []),
          ...this.definition.nodes.map((n) => n.id),
        ]),
        onSucceeded: () => continuation({ id, status: 'succeeded' }),
        onSkipped: () => continuation({ id, status: 'skipped' }),
        onFailed: () => continuation({ id, status: 'failed' }),
        fatalExit: this.useFatalExit(fatalExit, fatal && needs.run),
      },
      scope,
    );
  }

  private useBareExit(): string {
    this.bareUsed = true;
    return stateName.failBare;
  }

  private useFatalExit(target: Target, used: boolean): Target {
    if (used && target !== 'end') {
      this.usedExits.add(target.next);
      if (target.next === this.names.fail) this.failUsed = true;
    }
    return target;
  }

  private mayFailFatally(structure: Structure): boolean {
    return structureNodes(structure).some(
      (id) => this.fatal.has(id) && (this.needs.get(id) as NodeNeeds).run,
    );
  }

  private compileParallel(
    structure: Structure & { kind: 'parallel' },
    scope: StateScope,
    next: Target,
    fatalExit: Target,
    top: boolean,
  ): void {
    const k = this.parallelNumbers.get(structure) as number;
    const name = this.names.parallel(k);
    const branches = structure.branches.map((branch, i) => {
      const items = branch.kind === 'series' ? branch.items : [branch];
      const startAt = this.entryOf(items[0] as Structure);
      const branchScope = scope.branch();
      // A fatal failure ends the branch at its stop state, with `$.run.failed` set.
      const stop = this.names.branchStop(k, i);
      this.compileSeries(items, branchScope, 'end', { next: stop }, false);
      if (this.usedExits.has(stop)) branchScope.add(stop, { Type: 'Succeed' }, `Parallel ${name}`);
      return { StartAt: startAt, States: branchScope.states };
    });
    const join = new Map(this.slots.joins.get(structure)?.map((j) => [j.slot, j.branch]));
    const selector: Record<string, unknown> = { 'input.$': '$[0].input', 'execution.$': '$[0].execution' };
    // Slots read after the join come from their branch; `keptSlots` and the join's emptied slots are `{}`.
    const emptied = this.emptiedSlots.get(structure);
    for (let k = 0; k < this.slots.slotCount; k++) {
      if (k === this.slots.parkingSlot) {
        // Every branch copy holds the records parked before the fork; each writer adds its own.
        const writers = this.slots.parkedWriters.get(structure) ?? [];
        selector[`${slotName(k)}.$`] =
          writers.length === 0
            ? `$[0].${slotName(k)}`
            : writers
                .slice(1)
                .reduce(
                  (acc, i) => `States.JsonMerge(${acc}, $[${i}].${slotName(k)}, false)`,
                  `$[${writers[0]}].${slotName(k)}`,
                );
        continue;
      }
      const branch = join.get(k);
      if (branch !== undefined) selector[`${slotName(k)}.$`] = `$[${branch}].${slotName(k)}`;
      else if (this.keptSlots.has(k) || emptied?.has(k)) selector[slotName(k)] = {};
    }
    if (this.hasRetryLoops) selector['attempt.$'] = '$[0].attempt';
    if (this.body)
      Object.assign(selector, {
        'item.$': '$[0].item',
        'index.$': '$[0].index',
        'iteration.$': '$[0].iteration',
      });
    // Each branch that may fail the run carries its failure in its `run.failed`. The join merges
    // them, up to 11 branches per field (10 nested States.JsonMerge, AWS's limit): `run`, then
    // `run1`, `run2`, … for wider fan-outs; the later branch's failure wins, as in one merge.
    const failing = structure.branches
      .map((branch, i) => ({ branch, i }))
      .filter(({ branch }) => this.mayFailFatally(branch))
      .map(({ i }) => i);
    const chunks: number[][] = [];
    for (let c = 0; c < failing.length; c += MERGE_CHUNK) chunks.push(failing.slice(c, c + MERGE_CHUNK));
    const runField = (c: number) => (c === 0 ? 'run' : `run${c}`);
    if (chunks.length === 0) selector.run = {};
    chunks.forEach((chunk, c) => {
      selector[`${runField(c)}.$`] = chunk
        .slice(1)
        .reduce((acc, i) => `States.JsonMerge(${acc}, $[${i}].run, false)`, `$[${chunk[0]}].run`);
    });
    const state: Record<string, unknown> = { Type: 'Parallel', Branches: branches, ResultSelector: selector };
    const owner = `Parallel ${name}`;
    // With a branch that may fail the run, a Choice after the join sends a failure to the fatal exit.
    // Not needed for the last part of a branch: a failure (`run.failed` set) and a normal end
    // both end that branch, with this state, and the enclosing join sees `run.failed`.
    if (!this.mayFailFatally(structure) || (next === 'end' && !top)) {
      scope.add(name, { ...state, ...transition(next) }, owner);
      return;
    }
    this.checkedParallels.add(structure);
    const check = this.names.parallelCheck(k);
    scope.add(name, { ...state, Next: check }, owner);
    let failTarget: string;
    if (fatalExit === 'end') failTarget = this.names.parallelStop(k);
    else {
      failTarget = fatalExit.next;
      this.useFatalExit(fatalExit, true);
    }
    let defaultTarget: string;
    if (next !== 'end') defaultTarget = next.next;
    else if (top) {
      this.endUsed = true;
      defaultTarget = this.names.end;
    } else defaultTarget = this.names.parallelStop(k);
    const laterChunks = chunks
      .map((_, c) => c)
      .slice(1)
      .reverse();
    scope.add(
      check,
      {
        Type: 'Choice',
        Choices: [
          ...laterChunks.map((c) => ({
            Variable: `$.${runField(c)}.failed`,
            IsPresent: true,
            Next: this.names.parallelFailed(k, c),
          })),
          { Variable: '$.run.failed', IsPresent: true, Next: failTarget },
        ],
        Default: defaultTarget,
      },
      owner,
    );
    for (const c of laterChunks) {
      scope.add(
        this.names.parallelFailed(k, c),
        { Type: 'Pass', InputPath: `$.${runField(c)}`, ResultPath: '$.run', Next: failTarget },
        owner,
      );
    }
    if (failTarget === this.names.parallelStop(k) || defaultTarget === this.names.parallelStop(k)) {
      scope.add(this.names.parallelStop(k), { Type: 'Succeed' }, owner);
    }
  }

  /**
   * Which slots each join must reset to `{}`. A join takes a slot from a branch (`$[i].<slot>`);
   * if that branch ended early (a fatal failure) before writing the slot, the branch's output has
   * only what its input had, so the slot must already exist at the Parallel's input — else the
   * join itself fails with States.Runtime instead of the run failing with the node's error. A join
   * keeps only the slots it lists, so an earlier join must list such a slot (as `{}`) unless a node
   * in between rewrites it whole. Found backwards over the structure: `exit` is what must exist
   * when a part ends normally, `fatal` what must exist where a fatal failure leaves it (the branch
   * end, whose output the enclosing join reads; nothing at the top level, where the failure path
   * reads records only through `IsPresent`). Listing only these instead of every slot some join
   * takes keeps most `{}` out of the joins of a large DAG.
   */
  private planEmptiedSlots(tree: Structure): void {
    const mayFail = (s: Structure) => structureNodes(s).some((id) => this.fatal.has(id));
    const visit = (s: Structure, exit: ReadonlySet<number>, fatal: ReadonlySet<number>): Set<number> => {
      if (s.kind === 'node') {
        const slot = this.slots.slotOf.get(s.id) as number;
        const need = new Set(exit);
        if (this.writesWholeRecord(this.nodes.get(s.id) as WorkflowNode)) need.delete(slot);
        else need.add(slot);
        if (this.fatal.has(s.id)) for (const k of fatal) need.add(k);
        return need;
      }
      if (s.kind === 'series') {
        return s.items.reduceRight<Set<number>>((need, item) => visit(item, need, fatal), new Set(exit));
      }
      const taken = this.slots.joins.get(s) ?? [];
      const emptied = new Set([...exit, ...(mayFail(s) ? fatal : [])]);
      for (const { slot } of taken) emptied.delete(slot);
      this.emptiedSlots.set(s, emptied);
      const need = new Set<number>();
      s.branches.forEach((branch, i) => {
        const fromBranch = new Set(taken.filter((t) => t.branch === i).map((t) => t.slot));
        for (const k of visit(branch, fromBranch, fromBranch)) need.add(k);
      });
      return need;
    };
    visit(tree, new Set(), new Set());
  }

  /**
   * True when every way through a node's states that goes on replaces its slot whole (a Task's
   * ResultSelector, a Pass's record), so the slot need not exist before it. Partial writers
   * (`$.<slot>.<id>`: retry loops, caught errors, a forEach's items, a respond) need it.
   */
  private writesWholeRecord(node: WorkflowNode): boolean {
    if (this.writesPartialEntry(node)) return false;
    return !(node.type === 'operation' && (node.operation === 'respond' || node.operation === 'forEach'));
  }

  /** True when a node's states write into `$.<slot>.<id>` before its whole record (see node-states.ts). */
  private writesPartialEntry(node: WorkflowNode): boolean {
    const fatal = this.fatal.has(node.id);
    if (node.type === 'action' || isSubflow(node)) return hasRetryLoop(node.retry) || !fatal;
    if (node.type === 'operation' && node.operation === 'delay') return runEntry(node) !== node.id;
    return canFail(node) && !fatal;
  }

  private compensationCount(): number {
    return this.definition.nodes.filter((n) => n.compensate !== undefined).length;
  }

  /** Worst-case states entered by one run (retries counted, the failure path added). */
  private estimateTransitions(tree: Structure): number {
    const nodeCost = (id: string): number => {
      const node = this.nodes.get(id) as WorkflowNode;
      const needs = this.needs.get(id) as NodeNeeds;
      let run = 0;
      if (needs.run) {
        if (node.type === 'action' || isSubflow(node)) {
          const attempts = retryLoopOf(node)?.maxAttempts ?? 1;
          run = attempts + 3 * (attempts - 1) + 1 + (attempts > 1 && this.fatal.has(id) ? 1 : 0);
        } else if (node.type === 'operation' && node.operation === 'delay')
          run = runEntry(node) === id ? 2 : 3;
        else if (node.type === 'operation' && node.operation === 'fail') run = 2;
        else if (isForEach(node)) run = 5;
        else run = 1;
      }
      return (needs.guard ? 1 : 0) + Math.max(run, needs.skip ? 1 : 0);
    };
    const parallelCost = (s: Structure) => 1 + (this.checkedParallels.has(s) ? 2 : 0);
    const failure = this.failUsed ? 3 + 2 * this.compensationCount() : 0;
    return 1 + totalOver(tree, nodeCost, parallelCost) + failure + (this.endUsed ? 1 : 0);
  }
}
