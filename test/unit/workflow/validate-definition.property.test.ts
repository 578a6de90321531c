import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ValidationIssue, validateDefinition } from '../../../lib/workflow/validate-definition.ts';

const EXAMPLES = new URL('../../../examples/', import.meta.url);
const examples: unknown[] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, EXAMPLES), 'utf8')));

/** Decodes a JSON pointer (RFC 6901) or returns undefined when it is malformed. */
function decodePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  if (tokens.some((t) => /~(?![01])/.test(t))) return undefined;
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** True when the pointer resolves into `root`, or names a missing key of an object/array that exists. */
function pointsInto(root: unknown, pointer: string): boolean {
  const tokens = decodePointer(pointer);
  if (!tokens) return false;
  let current: unknown = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const last = i === tokens.length - 1;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return false;
      const index = Number(token);
      if (index >= current.length) return last;
      current = current[index];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.hasOwn(current, token)) return last;
      current = (current as Record<string, unknown>)[token];
    } else return false;
  }
  return true;
}

function checkIssues(input: unknown, issues: ValidationIssue[]): void {
  for (const issue of issues) {
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(pointsInto(input, issue.path), `${issue.path}: ${issue.message}`).toBe(true);
  }
}

function validateChecked(input: unknown): void {
  const snapshot = JSON.stringify(input);
  const result = validateDefinition(input);
  expect(JSON.stringify(input)).toBe(snapshot); // the input is never modified
  expect(result.valid).toBe(result.errors.length === 0);
  checkIssues(input, result.errors);
  checkIssues(input, result.warnings);
}

/** Every path into a JSON value (as token lists). */
function allPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...allPaths(value[i], [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  }
  return out;
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'duplicateNode'; at: number }
  | { kind: 'addEdge'; from: number; to: number; on: unknown; condition: unknown };

function mutate(base: unknown, mutations: Mutation[]): unknown {
  const doc = structuredClone(base) as Record<string, unknown>;
  for (const m of mutations) {
    const nodes = Array.isArray(doc.nodes) ? (doc.nodes as unknown[]) : [];
    const ids = nodes.map((n) =>
      n !== null && typeof n === 'object' ? (n as { id?: unknown }).id : undefined,
    );
    if (m.kind === 'duplicateNode') {
      if (nodes.length > 0) nodes.push(structuredClone(nodes[m.at % nodes.length]));
      continue;
    }
    if (m.kind === 'addEdge') {
      if (ids.length === 0) continue;
      const connection: Record<string, unknown> = {
        from: ids[m.from % ids.length],
        to: ids[m.to % ids.length],
      };
      if (m.on !== undefined) connection.on = m.on;
      if (m.condition !== undefined) connection.condition = m.condition;
      if (!Array.isArray(doc.connections)) doc.connections = [];
      (doc.connections as unknown[]).push(connection);
      continue;
    }
    const paths = allPaths(doc).filter((p) => p.length > 0);
    if (paths.length === 0) continue;
    const path = paths[m.at % paths.length] as Array<string | number>;
    let parent: unknown = doc;
    for (const token of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[token];
    const key = path[path.length - 1] as string | number;
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key];
    } else (parent as Record<string | number, unknown>)[key] = m.value;
  }
  return doc;
}

const valueOfAnotherType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom('', 'x', 'start', '{{ nodes.start.output }}', '{{ bad', 'a -> b', '0 2 * * ? *'),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 2 }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: valueOfAnotherType }),
  fc.record({ kind: fc.constant('duplicateNode' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('addEdge' as const),
    from: fc.nat(),
    to: fc.nat(),
    on: fc.constantFrom(undefined, 'success', 'error', 'always', 'sometimes'),
    condition: fc.constantFrom(undefined, 'input.x == 1', 'nodes.start.status == "succeeded"', '(('),
  }),
);

describe('validateDefinition (property)', () => {
  it('never throws on random JSON, and every issue path points into the input', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => validateChecked(value)),
      { numRuns: 200 },
    );
  });

  it('never throws on random definition-like objects', () => {
    const nodeLike = fc.record(
      {
        id: fc.constantFrom('a', 'b', 'c', 'start', 'bad id'),
        type: fc.constantFrom('trigger', 'action', 'operation', 'other'),
        trigger: fc.constantFrom('manual', 'webhook', 'schedule'),
        action: fc.constantFrom('log', 'http', 'nope'),
        operation: fc.constantFrom('delay', 'set', 'noop'),
        dependencies: fc.array(fc.constantFrom('a', 'b', 'c', 'start', 'zzz'), { maxLength: 3 }),
        config: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
          fc.jsonValue(),
        ),
        join: fc.constantFrom('all', 'any', 'some'),
        onError: fc.constantFrom('fail', 'continue'),
      },
      { requiredKeys: ['id', 'type'] },
    );
    fc.assert(
      fc.property(
        fc.record({ name: fc.string({ maxLength: 3 }), nodes: fc.array(nodeLike, { maxLength: 6 }) }),
        (value) => validateChecked(value),
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on mutated examples, and every issue path points into the mutated input', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: examples.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (which, mutations) => validateChecked(mutate(examples[which], mutations)),
      ),
      { numRuns: 200 },
    );
  });
});
