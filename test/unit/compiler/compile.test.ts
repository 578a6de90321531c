import { describe, expect, it } from 'vitest';
import { buildMachine, compile } from '../../../lib/compiler/compile.ts';
import type { CompileError } from '../../../lib/compiler/types.ts';
import type { WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { definition, TEST_CONTEXT } from './fixtures.ts';

type Nodes = WorkflowDefinitionInput['nodes'];
const build = (nodes: Nodes, extra: Partial<WorkflowDefinitionInput> = {}) =>
  compile(definition({ name: 'test', nodes, ...extra }), TEST_CONTEXT);
const log = (id: string, deps: string[] = [], extra: Record<string, unknown> = {}) =>
  ({
    id,
    type: 'action',
    action: 'log',
    config: { message: id },
    dependencies: deps,
    ...extra,
  }) as Nodes[number];

function allStates(
  states: Record<string, Record<string, unknown>>,
): Array<[string, Record<string, unknown>]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, Record<string, unknown>],
    ...(
      (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []
    ).flatMap((b) => allStates(b.States)),
  ]);
}

describe('compile', () => {
  it('names node states by id and every added state with a ":"', () => {
    const { asl, report } = build([
      { id: 't', type: 'trigger', trigger: 'manual' },
      log('a', ['t'], {
        retry: { strategy: 'linear', maxAttempts: 3 },
        compensate: { action: 'log', config: {} },
      }),
      log('b', ['t']),
      log('c', ['a', 'b']),
    ]);
    const names = allStates(asl.States).map(([name]) => name);
    expect(names.filter((n) => !n.includes(':')).sort()).toEqual(['a', 'b', 'c', 't']);
    for (const name of names.filter(
      (n) => n.includes(':') && !n.startsWith(':') && !n.startsWith('parallel:'),
    )) {
      expect(['t', 'a', 'b', 'c']).toContain(name.slice(0, name.indexOf(':')));
    }
    expect(report.states).toBe(names.length);
    const task = asl.States.c as Record<string, unknown>;
    expect(task).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        // The function name alone: Step Functions resolves it in the machine's account and region.
        FunctionName: 'flowforge-action-log',
        Payload: {
          nodeId: 'c',
          action: 'log',
          config: { message: 'c' },
          'execution.$': '$.execution',
          attempt: 1,
        },
      },
      // The record replaces its slot's content (lib/compiler/state-slots.ts): `a`'s record stays in
      // `nodes` for its compensation, so `c` takes the next slot. No state reads `c`'s status, so
      // its record has none (lib/compiler/unread-statuses.ts); `a`'s compensation reads `a`'s.
      ResultSelector: { c: { 'output.$': '$.Payload' } },
      ResultPath: '$.nodes1',
    });
    expect((task.Retry as Array<{ ErrorEquals: string[] }>)[0]?.ErrorEquals).toContain(
      'Lambda.ServiceException',
    );
  });

  it("keeps a Task record's status only where a state reads it", () => {
    const { asl } = build(
      [
        { id: 't', type: 'trigger', trigger: 'manual' },
        log('a', ['t']),
        log('b', ['t'], { onError: 'continue' }),
        log('c', ['a'], { config: { message: '{{ nodes.a.output.message }} {{ nodes.a.status }}' } }),
        log('d', ['b']),
        log('e', ['c', 'd'], { config: { message: '{{ nodes.c.output }}' } }),
        log('f', ['e'], { config: { message: '{{ nodes.e.output.message }}' } }),
      ],
      { connections: [{ from: 'b', to: 'd', condition: 'nodes.b.status == "succeeded"' }] },
    );
    const selectors = Object.fromEntries(
      allStates(asl.States)
        .filter(([name, state]) => state.Type === 'Task' && !name.includes(':'))
        .map(([name, state]) => [name, (state.ResultSelector as Record<string, unknown>)[name]]),
    );
    const withStatus = { status: 'succeeded', 'output.$': '$.Payload' };
    // `a`: a template names its status; `b`: a condition reads it; `c` and `d`: e's guard (d may be skipped).
    for (const id of ['a', 'b', 'c', 'd']) expect(selectors[id]).toEqual(withStatus);
    // `e`: nothing reads it, `f` reads its output only: the record builders take the status from history.
    expect(selectors.e).toEqual({ 'output.$': '$.Payload' });
    expect(selectors.f).toEqual({ 'output.$': '$.Payload' });
  });

  it('throws MISSING_ACTION_ARN for an action or compensation without an ARN', () => {
    const missing = (nodes: Nodes) => {
      try {
        build(nodes);
      } catch (error) {
        return (error as CompileError).code;
      }
      return undefined;
    };
    expect(missing([{ id: 'a', type: 'action', action: 'sms' }])).toBe('MISSING_ACTION_ARN');
    expect(missing([log('a', [], { compensate: { action: 'sms' } })])).toBe('MISSING_ACTION_ARN');
  });

  it('reports STANDARD unless the definition asks for Express (no automatic EXPRESS for short runs)', () => {
    expect(build([log('a', [], { timeoutSeconds: 20 })]).report.stateMachineType).toBe('STANDARD');
    expect(build([log('a')], { machineType: 'standard' }).report.stateMachineType).toBe('STANDARD');
    expect(build([log('a')], { machineType: 'express' }).report.stateMachineType).toBe('EXPRESS');
    expect(build([log('a')], { stateMachineType: 'EXPRESS' }).report.stateMachineType).toBe('EXPRESS');
    // A run whose critical path may pass 5 minutes is a warning when Express is asked for.
    const long = [log('a', [], { retry: { strategy: 'exponential', maxAttempts: 5, delaySeconds: 30 } })];
    const forced = build(long, { machineType: 'express' }).report;
    expect(forced.stateMachineType).toBe('EXPRESS');
    expect(forced.warnings.join()).toMatch(/express was asked for/);
  });

  it('reports bytes, states and worst-case transitions, and refuses machines over the limits', () => {
    const { asl, report } = build([log('a'), log('b', ['a'])]);
    // Counted as the CreateStateMachine request carries it: a JSON string, quotes escaped.
    expect(report.definitionBytes).toBe(
      new TextEncoder().encode(JSON.stringify(JSON.stringify(asl))).length - 2,
    );
    expect(report.definitionBytes).toBeGreaterThan(new TextEncoder().encode(JSON.stringify(asl)).length);
    expect(report.estimatedTransitions).toBeGreaterThanOrEqual(3);
    const big = 'x'.repeat(600_000);
    expect(() => build([log('a', [], { config: { a: big } }), log('b', [], { config: { b: big } })])).toThrow(
      expect.objectContaining({ code: 'DEFINITION_TOO_LARGE' }),
    );
    const retrying = Array.from({ length: 400 }, (_, i) =>
      log(`n${i}`, i ? [`n${i - 1}`] : [], {
        retry: { strategy: 'fixed', maxAttempts: 20, delaySeconds: 1 },
      }),
    );
    expect(() => build(retrying)).toThrow(expect.objectContaining({ code: 'TOO_MANY_TRANSITIONS' }));
  });

  it('refuses a definition of 1 MiB once escaped (the quota counts the request), though its raw JSON fits', () => {
    const quoted = '"'.repeat(240_000);
    const nodes = [log('a', [], { config: { a: quoted } }), log('b', [], { config: { b: quoted } })];
    const { asl } = buildMachine(definition({ name: 'test', nodes }), TEST_CONTEXT);
    expect(new TextEncoder().encode(JSON.stringify(asl)).length).toBeLessThan(1_048_576);
    expect(() => build(nodes)).toThrow(expect.objectContaining({ code: 'DEFINITION_TOO_LARGE' }));
  });

  it('refuses more than 10 nested intrinsic functions in one field, as CreateStateMachine does', () => {
    // Each backslash of mixed text is one States.Base64Decode argument of the States.Format.
    const ten = `${'\\'.repeat(10)}{{ input.x }}`;
    const nine = `${'\\'.repeat(9)}{{ input.x }}`;
    expect(() => build([log('a', [], { config: { message: ten } })])).toThrow(
      /state "a", field "message\.\$": 11 intrinsic functions in one field, over Step Functions' limit of 10/,
    );
    expect(build([log('a', [], { config: { message: nine } })]).report.states).toBeGreaterThan(0);
  });

  it('refuses a condition the parser rejects with the edge pointer', () => {
    expect(() =>
      build([log('a'), log('b')], { connections: [{ from: 'a', to: 'b', condition: 'a ==' }] }),
    ).toThrow(/\/connections\/0\/condition/);
  });

  it('lists added edges in the report and warns about them', () => {
    const { report } = build([log('a'), log('b'), log('c', ['a']), log('d', ['a', 'b'])]);
    expect(report.addedEdges).toHaveLength(1);
    expect(report.warnings.join()).toMatch(/not series-parallel/);
  });
});
