import type { WorkflowDefinition, WorkflowNode } from '../workflow/definition-schema.ts';
import { hasRetryLoop, totalRetryDelay } from './retry.ts';
import type { Structure } from './structure.ts';
import { type AslDefinition, CompileError, type CompileReport } from './types.ts';

/** Step Functions' largest request, and so definition (escaped bytes, see `definitionBytes`). */
export const MAX_DEFINITION_BYTES = 1_048_576;
/** Step Functions' largest execution history (events); the compiler refuses worse worst cases. */
export const MAX_TRANSITIONS = 25_000;
/** An Express workflow runs at most 5 minutes. */
export const EXPRESS_LIMIT_SECONDS = 300;
/** What a Task without `timeoutSeconds` is assumed to take at worst (the actions' default timeout). */
export const DEFAULT_ACTION_SECONDS = 60;

/** Worst-case seconds one attempt of a node takes (Infinity when unbounded, e.g. a wait `until`). */
export function attemptSeconds(node: WorkflowNode): number {
  if (node.type === 'action') return node.timeoutSeconds ?? DEFAULT_ACTION_SECONDS;
  if (
    node.type === 'operation' &&
    (node.operation === 'waitForCallback' || node.operation === 'waitForEvent')
  ) {
    const timeout = node.config.timeoutSeconds;
    return typeof timeout === 'number' ? timeout : Number.POSITIVE_INFINITY;
  }
  if (node.type === 'operation' && node.operation === 'subflow') {
    // A waiting subflow lasts as long as its child (at most its timeoutSeconds); a start is one Lambda call.
    if (node.config.wait === false) return DEFAULT_ACTION_SECONDS;
    return node.timeoutSeconds ?? Number.POSITIVE_INFINITY;
  }
  if (node.type === 'operation' && node.operation === 'delay') {
    const seconds = node.config.seconds;
    return typeof seconds === 'number' ? seconds : Number.POSITIVE_INFINITY;
  }
  return 0;
}

/** Worst-case seconds of a node: every attempt times out, every retry waits its full delay. */
export function worstCaseSeconds(node: WorkflowNode): number {
  if (node.type !== 'action' && !(node.type === 'operation' && node.operation === 'subflow'))
    return attemptSeconds(node);
  const attempts = hasRetryLoop(node.retry) ? node.retry.maxAttempts : 1;
  return attempts * attemptSeconds(node) + totalRetryDelay(node.retry);
}

/** Sum over a sequence, max over parallel branches, of a per-node cost. */
export function criticalPath(structure: Structure, cost: (id: string) => number): number {
  switch (structure.kind) {
    case 'node':
      return cost(structure.id);
    case 'series':
      return structure.items.reduce((sum, item) => sum + criticalPath(item, cost), 0);
    case 'parallel':
      return structure.branches.reduce((max, b) => Math.max(max, criticalPath(b, cost)), 0);
  }
}

/** Sum of a per-node cost over every node plus a per-Parallel cost (states entered, worst case). */
export function totalOver(
  structure: Structure,
  cost: (id: string) => number,
  parallelCost: (s: Structure) => number,
): number {
  switch (structure.kind) {
    case 'node':
      return cost(structure.id);
    case 'series':
      return structure.items.reduce((sum, item) => sum + totalOver(item, cost, parallelCost), 0);
    case 'parallel':
      return structure.branches.reduce(
        (sum, b) => sum + totalOver(b, cost, parallelCost),
        parallelCost(structure),
      );
  }
}

/**
 * STANDARD unless the definition asks for Express (`machineType: "express"`, or the older
 * `stateMachineType: "EXPRESS"`), DESIGN.md §2.1: Express executions have no execution history,
 * DescribeExecution, stop or redrive, so they are never chosen automatically. Validation refuses
 * Express for a node that needs Standard; a whole run that may pass Express's 5 minutes (the
 * critical path of worst cases) is a warning.
 */
export function chooseMachineType(
  definition: WorkflowDefinition,
  worstSeconds: number,
  warnings: string[],
): 'STANDARD' | 'EXPRESS' {
  const express = definition.machineType === 'express' || definition.stateMachineType === 'EXPRESS';
  if (express && !(worstSeconds < EXPRESS_LIMIT_SECONDS)) {
    warnings.push(
      `machineType express was asked for, but a run can take ${Number.isFinite(worstSeconds) ? `${worstSeconds} s` : 'unbounded time'} (Express stops at ${EXPRESS_LIMIT_SECONDS} s)`,
    );
  }
  return express ? 'EXPRESS' : 'STANDARD';
}

/**
 * The bytes the definition takes in the CreateStateMachine / UpdateStateMachine request, which is
 * what Step Functions' 1 MB quota counts ("maximum request size: 1 MB per request",
 * docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html): the definition travels as a
 * JSON string inside the request's JSON, so every `"` and `\` is escaped — 13–16% more than the
 * raw document. UTF-8 bytes of that escaped string, without its enclosing quotes.
 */
export function definitionBytes(asl: AslDefinition): number {
  return new TextEncoder().encode(JSON.stringify(JSON.stringify(asl))).length - 2;
}

/** Throws CompileError when the machine is over a Step Functions limit. */
export function assertWithinLimits(report: CompileReport): void {
  if (report.definitionBytes > MAX_DEFINITION_BYTES) {
    throw new CompileError(
      `the compiled state machine is ${report.definitionBytes} bytes, over the Step Functions limit of ${MAX_DEFINITION_BYTES} bytes; split the workflow`,
      'DEFINITION_TOO_LARGE',
    );
  }
  if (report.estimatedTransitions > MAX_TRANSITIONS) {
    throw new CompileError(
      `a run of this workflow can take ${report.estimatedTransitions} state transitions, over the ${MAX_TRANSITIONS}-event history limit; reduce retries or split the workflow`,
      'TOO_MANY_TRANSITIONS',
    );
  }
}

/** Step Functions' most intrinsic functions in one field (the docs count every function of it). */
export const MAX_INTRINSICS_PER_FIELD = 10;

/**
 * The first `….$` field of the machine with more than {@link MAX_INTRINSICS_PER_FIELD} intrinsic
 * functions (quoted text not counted), as `{ state, field, count }`, or undefined. CreateStateMachine
 * refuses such a definition (docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
 */
export function overNestedIntrinsics(
  states: Record<string, unknown>,
): { state: string; field: string; count: number } | undefined {
  const count = (text: string) =>
    (text.replace(/'(?:[^'\\]|\\.)*'/g, "''").match(/States\.[A-Za-z0-9]+\(/g) ?? []).length;
  const visit = (
    state: string,
    value: unknown,
  ): { state: string; field: string; count: number } | undefined => {
    if (Array.isArray(value)) {
      for (const item of value) {
        const found = visit(state, item);
        if (found) return found;
      }
      return undefined;
    }
    if (value === null || typeof value !== 'object') return undefined;
    for (const [key, child] of Object.entries(value)) {
      if (key.endsWith('.$') && typeof child === 'string' && count(child) > MAX_INTRINSICS_PER_FIELD) {
        return { state, field: key, count: count(child) };
      }
      const found =
        key === 'Branches' && Array.isArray(child)
          ? child
              .map((b) => overNestedIntrinsics((b as { States: Record<string, unknown> }).States))
              .find(Boolean)
          : visit(state, child);
      if (found) return found;
    }
    return undefined;
  };
  for (const [name, state] of Object.entries(states)) {
    const found = visit(name, state);
    if (found) return found;
  }
  return undefined;
}
