import { checkActionTimeouts } from './checks/action-timeouts.ts';
import { checkConditions } from './checks/conditions.ts';
import { checkCycles } from './checks/cycles.ts';
import { checkEdgeReferences } from './checks/edge-references.ts';
import { checkErrorEdges } from './checks/error-edges.ts';
import { checkForEachBodies } from './checks/foreach-bodies.ts';
import { checkInputSchemaDefinition } from './checks/input-schema.ts';
import { checkJoinRules } from './checks/join-rules.ts';
import { checkMachineType } from './checks/machine-type.ts';
import { checkNodeConfigs } from './checks/node-configs.ts';
import { checkNodeReferences, type NodeReference } from './checks/node-references.ts';
import { checkReachability } from './checks/reachability.ts';
import { checkRetryPolicies } from './checks/retry-policy.ts';
import { checkTemplates } from './checks/templates.ts';
import { checkTriggerIncoming } from './checks/trigger-incoming.ts';
import { checkUniqueIds, type IdDeclaration } from './checks/unique-ids.ts';
import { createContext, type ValidationContext, type ValidationIssue } from './checks/validation-context.ts';
import { zodIssues } from './checks/zod-issues.ts';
import { definitionSchema, type WorkflowDefinition } from './definition-schema.ts';

export type { ValidationIssue } from './checks/validation-context.ts';

/** The outcome of `validateDefinition`. `definition` (zod-parsed, defaults applied) is there only when valid. */
export interface ValidationResult {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  definition?: WorkflowDefinition;
}

/**
 * Validates a workflow definition (DESIGN.md §2) given as parsed JSON of any shape. Never throws.
 * Returns every error, not only the first: the zod shape issues and every semantic check that can
 * run on the parts that are well-formed (graph, conditions, templates, retry, node configs).
 * Each issue's `path` is a JSON pointer into `raw` (or to a missing key whose parent exists).
 * Valid means no errors; warnings do not make a definition invalid. Runs in about O(V + E).
 */
export function validateDefinition(raw: unknown): ValidationResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  let definition: WorkflowDefinition | undefined;
  try {
    // The semantic checks run first: their working data is garbage before zod builds its copy of
    // the definition, which keeps the young generation small on big definitions.
    const semantic: ValidationIssue[] = [];
    runChecks(raw, { errors: semantic, warnings });
    const parsed = definitionSchema.safeParse(raw);
    if (parsed.success) definition = parsed.data;
    else errors.push(...zodIssues(parsed.error, raw));
    errors.push(...semantic);
  } catch (error) {
    // A bug in a check must not hide the others' findings or crash the caller.
    errors.push({
      path: '',
      message: `internal validator error: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const result: ValidationResult = {
    valid: errors.length === 0,
    errors: tidy(errors),
    warnings: tidy(warnings),
  };
  if (result.valid && definition) result.definition = definition;
  return result;
}

function runChecks(raw: unknown, sinks: { errors: ValidationIssue[]; warnings: ValidationIssue[] }): void {
  const ctx = createContext(raw, sinks);
  const declared = checkUniqueIds(ctx);
  checkInputSchemaDefinition(ctx);
  runScopeChecks(ctx, declared);
}

/** The checks of one scope: the definition, or a forEach body (recursively, through checkForEachBodies). */
function runScopeChecks(ctx: ValidationContext, declared: ReadonlyMap<string, IdDeclaration>): void {
  checkEdgeReferences(ctx);
  checkCycles(ctx);
  checkTriggerIncoming(ctx);
  checkReachability(ctx);
  checkJoinRules(ctx);
  checkErrorEdges(ctx);
  checkRetryPolicies(ctx);
  checkNodeConfigs(ctx);
  checkActionTimeouts(ctx);
  checkMachineType(ctx);
  const references: NodeReference[] = [];
  checkConditions(ctx, references);
  checkTemplates(ctx, references);
  checkNodeReferences(ctx, references, declared);
  checkForEachBodies(ctx, (body) => runScopeChecks(body, declared));
}

/** Drops exact repeats and orders issues by where they sit in the document. */
function tidy(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((issue, order) => ({ issue, order, tokens: issue.path.split('/') }))
    .sort((a, b) => comparePointers(a.tokens, b.tokens) || a.order - b.order)
    .map((entry) => entry.issue);
}

function comparePointers(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
