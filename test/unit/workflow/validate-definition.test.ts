import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';
import { definition, type Json, log, type NodeInput } from './definitions.ts';

const paths = (raw: unknown) => validateDefinition(raw).errors.map((e) => e.path);
const warningPaths = (raw: unknown) => validateDefinition(raw).warnings.map((e) => e.path);
const messageAt = (raw: unknown, path: string) =>
  validateDefinition(raw).errors.find((e) => e.path === path)?.message ?? '';

describe('validateDefinition: shape (zod)', () => {
  it('accepts a minimal definition and returns it parsed (configs as written)', () => {
    const result = validateDefinition(definition([log('a')]));
    expect(result).toMatchObject({ valid: true, errors: [], warnings: [] });
    expect(result.definition?.nodes[1]).toMatchObject({
      id: 'a',
      config: { message: 'node a' },
    });
  });

  it('rejects a non-object at the root with path ""', () => {
    for (const raw of [[], null, 'x', 3]) {
      const result = validateDefinition(raw);
      expect(result.valid).toBe(false);
      expect(result.errors.map((e) => e.path)).toEqual(['']);
      expect(result.definition).toBeUndefined();
    }
  });

  it('reports a missing name as required, unknown keys at the key, and a bad type', () => {
    const raw = { nodes: [{ id: 'start', type: 'trigger', trigger: 'manual', colour: 'red' }], extra: 1 };
    const result = validateDefinition(raw);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/extra', message: 'unknown key "extra"' },
        { path: '/name', message: '"name" is required (string)' },
        { path: '/nodes/0/colour', message: 'unknown key "colour" in 0' },
      ]),
    );
    expect(messageAt({ name: 5, nodes: [] }, '/name')).toBe('"name" must be a string, not an integer');
  });

  it('names the allowed node types for a bad discriminator', () => {
    expect(messageAt(definition([{ id: 'x', type: 'step' }]), '/nodes/1/type')).toBe(
      '"type" must be one of "trigger", "action", "operation"',
    );
  });

  it('keeps checking the graph when the shape is wrong elsewhere', () => {
    const raw = { ...definition([log('a', ['ghost'])]), name: '' };
    expect(paths(raw)).toEqual(['/name', '/nodes/1/dependencies/0']);
  });
});

describe('validateDefinition: unique ids', () => {
  it('errors on the duplicate, naming the first index', () => {
    const raw = definition([log('a'), log('b'), log('a')]);
    expect(validateDefinition(raw).errors).toEqual([
      { path: '/nodes/3/id', message: 'duplicate node id "a" (first used by /nodes/1)' },
    ]);
  });
  it('passes with distinct ids', () => {
    expect(paths(definition([log('a'), log('b')]))).toEqual([]);
  });
});

describe('validateDefinition: edge references and self edges', () => {
  it('errors on a dependency naming a missing node, with a suggestion', () => {
    const raw = definition([log('fetchOrder'), log('b', ['fetchorder'])]);
    expect(validateDefinition(raw).errors).toEqual([
      {
        path: '/nodes/2/dependencies/0',
        message: 'dependency names node "fetchorder", which does not exist (did you mean "fetchOrder"?)',
      },
    ]);
  });
  it('errors on a connection from/to a missing node', () => {
    const raw = definition(
      [log('a')],
      [
        { from: 'nope', to: 'a' },
        { from: 'a', to: 'zzz' },
      ],
    );
    expect(paths(raw)).toEqual(['/connections/0/from', '/connections/1/to']);
  });
  it('errors on self edges, as dependency and as connection', () => {
    const raw = definition([log('a', ['start', 'a'])], [{ from: 'a', to: 'a' }]);
    expect(paths(raw)).toEqual(['/connections/0/to', '/nodes/1/dependencies/1']);
    expect(messageAt(raw, '/nodes/1/dependencies/1')).toBe('node "a" cannot depend on itself');
  });
  it('passes when an edge is declared both ways (it counts once)', () => {
    expect(paths(definition([log('a'), log('b', ['a'])], [{ from: 'a', to: 'b' }]))).toEqual([]);
  });
});

describe('validateDefinition: cycles', () => {
  it('names the cycle and reports it at the closing edge', () => {
    const raw = definition([log('a', ['start', 'c']), log('b', ['a']), log('c', ['b'])]);
    const result = validateDefinition(raw);
    expect(result.errors).toEqual([
      { path: '/nodes/1/dependencies/1', message: 'cycle a -> b -> c -> a: a workflow must be a DAG' },
    ]);
  });
  it('reports separate cycles each', () => {
    const raw = definition(
      [log('a'), log('b', ['a'])],
      [
        { from: 'b', to: 'a' },
        { from: 'start', to: 'x' },
      ],
    );
    const raw2 = definition(
      [log('a'), log('b', ['a']), log('c'), log('d', ['c'])],
      [
        { from: 'b', to: 'a' },
        { from: 'd', to: 'c' },
      ],
    );
    expect(validateDefinition(raw).errors.filter((e) => e.message.startsWith('cycle'))).toHaveLength(1);
    expect(
      validateDefinition(raw2)
        .errors.filter((e) => e.message.startsWith('cycle'))
        .map((e) => e.path),
    ).toEqual(['/connections/0/to', '/connections/1/to']);
  });
  it('passes a diamond', () => {
    expect(paths(definition([log('a'), log('b', ['a']), log('c', ['a']), log('d', ['b', 'c'])]))).toEqual([]);
  });
});

describe('validateDefinition: triggers and reachability', () => {
  it('errors on an edge into a trigger', () => {
    const raw = definition([
      log('a'),
      { id: 'hook', type: 'trigger', trigger: 'webhook', dependencies: ['a'] },
    ]);
    expect(validateDefinition(raw).errors).toEqual([
      {
        path: '/nodes/2/dependencies/0',
        message: 'trigger "hook" cannot have incoming edges (here from "a"); triggers start a run',
      },
    ]);
  });
  it('errors on nodes only reachable from a cycle, not on nodes without incoming edges', () => {
    const raw = definition([log('a', []), log('x', ['y']), log('y', ['x']), log('z', ['y'])]);
    expect(paths(raw)).toEqual(['/nodes/2', '/nodes/2/dependencies/0', '/nodes/3', '/nodes/4']);
    expect(messageAt(raw, '/nodes/4')).toContain('node "z" can never run');
  });
  it('passes a node without incoming edges (it runs at the start)', () => {
    expect(paths(definition([log('a', [])]))).toEqual([]);
  });
});

describe('validateDefinition: join', () => {
  it('warns about join on a node with at most one incoming edge', () => {
    const raw = definition([log('a', ['start'], { join: 'any' })]);
    expect(validateDefinition(raw)).toMatchObject({ valid: true });
    expect(warningPaths(raw)).toEqual(['/nodes/1/join']);
  });
  it('warns about join all over two triggers, not about join any', () => {
    const twoTriggers = (extra: Record<string, string>) =>
      definition([{ id: 'hook', type: 'trigger', trigger: 'webhook' }, log('a', ['start', 'hook'], extra)]);
    expect(warningPaths(twoTriggers({}))).toEqual(['/nodes/2']);
    expect(warningPaths(twoTriggers({ join: 'all' }))).toEqual(['/nodes/2/join']);
    expect(warningPaths(twoTriggers({ join: 'any' }))).toEqual([]);
  });
});

describe('validateDefinition: onError and error edges', () => {
  it('errors on onError fail with an outgoing error edge', () => {
    const raw = definition(
      [log('a', ['start'], { onError: 'fail' }), log('alert', [])],
      [{ from: 'a', to: 'alert', on: 'error' }],
    );
    expect(paths(raw)).toEqual(['/nodes/1/onError']);
  });
  it('passes onError continue with an error edge, and fail with only success edges', () => {
    const ok1 = definition(
      [log('a', ['start'], { onError: 'continue' }), log('alert', [])],
      [{ from: 'a', to: 'alert', on: 'error' }],
    );
    const ok2 = definition([log('a', ['start'], { onError: 'fail' }), log('b', ['a'])]);
    expect(paths(ok1)).toEqual([]);
    expect(paths(ok2)).toEqual([]);
  });
});

describe('validateDefinition: conditions', () => {
  it('reports a syntax error with its position', () => {
    const raw = definition([log('a'), log('b', [])], [{ from: 'a', to: 'b', condition: 'input.x = 1' }]);
    expect(validateDefinition(raw).errors).toEqual([
      {
        path: '/connections/0/condition',
        message: 'condition does not parse: use "==" to compare (at character 9)',
      },
    ]);
  });
  it('requires node paths to read the source or its ancestors', () => {
    const nodes = [log('a'), log('b', ['a']), log('side'), log('c', [])];
    const ok = definition(nodes, [
      { from: 'b', to: 'c', condition: 'nodes.b.output.message == "x" && nodes.a.status == "succeeded"' },
    ]);
    expect(paths(ok)).toEqual([]);
    const bad = definition(nodes, [{ from: 'b', to: 'c', condition: 'exists(nodes.side.output)' }]);
    expect(validateDefinition(bad).errors).toEqual([
      {
        path: '/connections/0/condition',
        message:
          'condition path "nodes.side.output": node "side" is not upstream of "b", so its data may not exist yet',
      },
    ]);
    const missing = definition(nodes, [{ from: 'b', to: 'c', condition: 'nodes.ghost.status == "failed"' }]);
    expect(messageAt(missing, '/connections/0/condition')).toBe(
      'condition path "nodes.ghost.status" reads node "ghost", which does not exist',
    );
  });
});

describe('validateDefinition: templates', () => {
  it('reports a template syntax error with its position inside the string', () => {
    const raw = definition([log('a', ['start'], { config: { message: 'hi {{ input.x' } })]);
    expect(validateDefinition(raw).errors).toEqual([
      {
        path: '/nodes/1/config/message',
        message: 'template does not parse: "{{" without a closing "}}" (at character 4)',
      },
    ]);
  });
  it('requires node paths to name ancestors of the node', () => {
    const nodes = [
      log('a'),
      log('b', ['a'], { config: { message: '{{ nodes.a.output.message }}' } }),
      log('c', ['start'], { config: { message: '{{ nodes.b.output.message }}' } }),
      log('d', ['b'], { config: { message: 'x {{ nodes.d.output.message }}' } }),
    ];
    expect(validateDefinition(definition(nodes)).errors).toEqual([
      {
        path: '/nodes/3/config/message',
        message:
          'template path "nodes.b.output.message": node "b" is not upstream of "c", so its data may not exist yet',
      },
      {
        path: '/nodes/4/config/message',
        message: 'template path "nodes.d.output.message": node "d" cannot read its own result in its config',
      },
    ]);
  });
  it('checks compensate.config templates, where the node itself may be read', () => {
    const compensate = (message: string) => ({ action: 'log', config: { message } });
    const ok = definition([
      log('a', ['start'], { compensate: compensate('undo {{ nodes.a.output.message }}') }),
    ]);
    expect(paths(ok)).toEqual([]);
    const bad = definition([
      log('a', ['start'], { compensate: compensate('undo {{ nodes.b.output }}') }),
      log('b', ['a']),
    ]);
    expect(paths(bad)).toEqual(['/nodes/1/compensate/config/message']);
  });
  it('finds templates in nested arrays and objects of a config', () => {
    const raw = definition([
      {
        id: 's',
        type: 'operation',
        operation: 'set',
        dependencies: ['start'],
        config: { values: { list: ['{{ }}'] } },
      },
    ]);
    expect(paths(raw)).toEqual(['/nodes/1/config/values/list/0']);
  });
  it('refuses objects inside an array that holds templates, and keys ending in ".$" (what ASL cannot express)', () => {
    const set = (values: Json): NodeInput => ({
      id: 's',
      type: 'operation',
      operation: 'set',
      dependencies: ['start'],
      config: { values },
    });
    expect(paths(definition([set({ items: [{ id: '{{ input.id }}' }] })]))).toEqual([
      '/nodes/1/config/values/items',
    ]);
    expect(paths(definition([set({ 'k.$': '$.input' })]))).toEqual(['/nodes/1/config/values/k.$']);
    expect(validateDefinition(definition([set({ tags: ['a', '{{ input.t }}', 3, null] })])).errors).toEqual(
      [],
    );
    expect(validateDefinition(definition([set({ rows: [{ id: 1 }, { id: 2 }] })])).errors).toEqual([]);
  });
});

describe('validateDefinition: hostile input', () => {
  it('reports a config nested too deeply instead of overflowing the stack', () => {
    let deep: unknown = '{{ input.x }}';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const raw = definition([log('a', ['start'], { config: { message: 'x', level: deep as never } })]);
    const result = validateDefinition(raw);
    expect(result.valid).toBe(false);
    expect(result.errors.some((e) => e.message === 'config is nested more than 128 levels deep')).toBe(true);
    expect(result.errors.every((e) => !e.message.startsWith('internal'))).toBe(true);
  });
});

describe('validateDefinition: retry', () => {
  it('errors when maxDelaySeconds is below delaySeconds', () => {
    const retry = { strategy: 'exponential', maxAttempts: 3, delaySeconds: 10, maxDelaySeconds: 5 };
    expect(validateDefinition(definition([log('a', ['start'], { retry })])).errors).toEqual([
      {
        path: '/nodes/1/retry/maxDelaySeconds',
        message: 'maxDelaySeconds (5) must not be less than delaySeconds (10)',
      },
    ]);
  });
  it('errors on bad retryOn names and out-of-range attempts', () => {
    const retry = { strategy: 'fixed', maxAttempts: 21, retryOn: ['Http Error', 'States.Nope', 'X', 'X'] };
    expect(paths(definition([log('a', ['start'], { retry })]))).toEqual([
      '/nodes/1/retry/maxAttempts',
      '/nodes/1/retry/retryOn/0',
      '/nodes/1/retry/retryOn/1',
      '/nodes/1/retry/retryOn/3',
    ]);
  });
  it('passes a sane policy', () => {
    const retry = {
      strategy: 'fibonacci',
      maxAttempts: 5,
      delaySeconds: 1,
      maxDelaySeconds: 8,
      retryOn: ['States.Timeout'],
    };
    expect(paths(definition([log('a', ['start'], { retry })]))).toEqual([]);
  });
});

describe('validateDefinition: action configs', () => {
  it('errors on an unknown action, listing the known ones', () => {
    const message = messageAt(
      definition([{ id: 'a', type: 'action', action: 'teleport', dependencies: ['start'] }]),
      '/nodes/1/action',
    );
    expect(message).toMatch(/^unknown action "teleport" \(known: .*log.*\)$/);
  });
  it('checks the config against the catalog schema with exact paths', () => {
    const raw = definition([log('a', ['start'], { config: { message: 7, level: 'loud', extra: true } })]);
    expect(paths(raw)).toEqual(['/nodes/1/config/extra', '/nodes/1/config/level', '/nodes/1/config/message']);
  });
  it('ignores issues at or under a template string', () => {
    const raw = definition([log('a', ['start'], { config: { message: 'x', level: '{{ input.level }}' } })]);
    expect(paths(raw)).toEqual([]);
  });
  it('reports a missing required key even when other keys are templates', () => {
    const raw = definition([log('a', ['start'], { config: { level: '{{ input.level }}' } })]);
    expect(validateDefinition(raw).errors).toEqual([
      { path: '/nodes/1/config/message', message: '"message" is required (string)' },
    ]);
  });
  it('checks compensate: action exists and config fits', () => {
    const raw = definition([
      log('a', ['start'], { compensate: { action: 'rollback' } }),
      log('b', ['start'], { compensate: { action: 'log', config: { msg: 'x' } } }),
    ]);
    expect(paths(raw)).toEqual([
      '/nodes/1/compensate/action',
      '/nodes/2/compensate/config/message',
      '/nodes/2/compensate/config/msg',
    ]);
  });
});

describe('validateDefinition: operation configs', () => {
  const op = (operation: string, config: unknown) =>
    definition([{ id: 'o', type: 'operation', operation, config, dependencies: ['start'] } as never]);
  it('accepts the documented forms', () => {
    for (const [operation, config] of [
      ['delay', { seconds: 0 }],
      ['delay', { until: '2026-12-01T10:00:00Z' }],
      ['delay', { until: '{{ input.when }}' }],
      ['delay', { seconds: '{{ input.wait }}' }],
      ['set', { values: { a: 1 } }],
      ['fail', { error: 'OrderRejected', cause: 'no stock' }],
      ['fail', {}],
      ['noop', {}],
    ] as const) {
      expect(paths(op(operation, config)), `${operation} ${JSON.stringify(config)}`).toEqual([]);
    }
  });
  it('rejects wrong configs with exact paths', () => {
    expect(paths(op('delay', { seconds: -1 }))).toEqual(['/nodes/1/config/seconds']);
    expect(paths(op('delay', {}))).toEqual(['/nodes/1/config']);
    expect(paths(op('delay', { until: 'tomorrow' }))).toEqual(['/nodes/1/config/until']);
    expect(paths(op('set', { values: [] }))).toEqual(['/nodes/1/config/values']);
    expect(paths(op('set', {}))).toEqual(['/nodes/1/config/values']);
    expect(paths(op('fail', { error: 3 }))).toEqual(['/nodes/1/config/error']);
    expect(paths(op('noop', { x: 1 }))).toEqual(['/nodes/1/config/x']);
  });
});

describe('validateDefinition: trigger configs', () => {
  const trigger = (kind: string, config: unknown) => ({
    name: 't',
    nodes: [
      { id: 'tr', type: 'trigger', trigger: kind, config },
      { id: 'a', type: 'action', action: 'log', config: { message: 'x' }, dependencies: ['tr'] },
    ],
  });
  it('accepts valid schedules and simple trigger configs', () => {
    for (const [kind, config] of [
      [
        'schedule',
        {
          cron: '0 2 * * ? *',
          timezone: 'Europe/Berlin',
          flexibleWindowMinutes: 10,
          input: { a: 1 },
          enabled: true,
        },
      ],
      [
        'schedule',
        { rate: 'rate(5 minutes)', startDate: '2026-01-01T00:00:00Z', endDate: '2027-01-01T00:00:00Z' },
      ],
      ['schedule', { at: 'at(2026-12-01T10:00:00)', timezone: 'America/New_York' }],
      ['schedule', { cron: '*/5 * * * *' }],
      ['webhook', {}],
      ['webhook', { secretRef: 'ssm:/hooks/secret' }],
      ['queue', { queue: 'orders' }],
      ['manual', {}],
    ] as const) {
      expect(paths(trigger(kind, config)), `${kind} ${JSON.stringify(config)}`).toEqual([]);
    }
  });
  it('rejects bad schedules at the field at fault', () => {
    expect(paths(trigger('schedule', {}))).toEqual(['/nodes/0/config/cron']);
    expect(paths(trigger('schedule', { cron: '0 2 * *' }))).toEqual(['/nodes/0/config/cron']);
    expect(paths(trigger('schedule', { cron: '0 2 * * * *' }))).toEqual(['/nodes/0/config/cron']);
    expect(paths(trigger('schedule', { rate: 'often' }))).toEqual(['/nodes/0/config/rate']);
    expect(paths(trigger('schedule', { cron: '0 2 * * ? *', rate: '5 minutes' }))).toEqual([
      '/nodes/0/config/rate',
    ]);
    expect(paths(trigger('schedule', { at: '2026-13-01T00:00:00' }))).toEqual(['/nodes/0/config/at']);
    expect(paths(trigger('schedule', { cron: '0 2 * * ? *', timezone: 'Europe/Nowhere' }))).toEqual([
      '/nodes/0/config/timezone',
    ]);
    expect(paths(trigger('schedule', { rate: '1 hour', flexibleWindowMinutes: 0 }))).toEqual([
      '/nodes/0/config/flexibleWindowMinutes',
    ]);
    expect(paths(trigger('schedule', { rate: '1 hour', flexibleWindowMinutes: 1441 }))).toEqual([
      '/nodes/0/config/flexibleWindowMinutes',
    ]);
    expect(
      paths(
        trigger('schedule', {
          rate: '1 hour',
          startDate: '2027-01-01T00:00:00Z',
          endDate: '2026-01-01T00:00:00Z',
        }),
      ),
    ).toEqual(['/nodes/0/config/endDate']);
    expect(paths(trigger('schedule', { rate: '1 hour', startDate: 'soon' }))).toEqual([
      '/nodes/0/config/startDate',
    ]);
    expect(paths(trigger('schedule', { rate: '1 hour', input: 'x' }))).toEqual(['/nodes/0/config/input']);
    expect(
      messageAt(
        trigger('schedule', { cron: '0 2 * * ? *', timezone: 'Europe/Nowhere' }),
        '/nodes/0/config/timezone',
      ),
    ).toContain('unknown time zone "Europe/Nowhere"');
  });
  it('rejects unknown keys of webhook, queue and manual configs', () => {
    expect(paths(trigger('webhook', { secret: 'x' }))).toEqual(['/nodes/0/config/secret']);
    expect(paths(trigger('queue', { queue: 5 }))).toEqual(['/nodes/0/config/queue']);
    expect(paths(trigger('manual', { cron: 'x' }))).toEqual(['/nodes/0/config/cron']);
  });
});

describe('validateDefinition: inputSchema', () => {
  it('must be an object when present', () => {
    expect(paths({ ...definition([log('a')]), inputSchema: 'x' })).toEqual(['/inputSchema']);
    expect(paths({ ...definition([log('a')]), inputSchema: { type: 'object' } })).toEqual([]);
  });
});

describe('validateDefinition: secret references', () => {
  it('accepts {{ secret:<name> }} and the old forms in an action config', () => {
    const raw = definition([
      {
        id: 'a',
        type: 'action',
        action: 'log',
        config: { message: '{{ secret:api-token }} {{ secret:ssm:db }}' },
      },
    ]);
    expect(validateDefinition(raw).errors).toEqual([]);
  });

  it('refuses a malformed secret name at its pointer', () => {
    const raw = definition([
      { id: 'a', type: 'action', action: 'log', config: { message: '{{ secret:a b }}' } },
    ]);
    expect(paths(raw)).toEqual(['/nodes/1/config/message']);
  });

  it('refuses {{ secret:… }} in a code action, whose Lambda may read no secret', () => {
    const raw = definition([
      {
        id: 'c',
        type: 'action',
        action: 'code',
        config: { source: 'return args.k', args: { k: '{{ secret:key }}' } },
      },
    ]);
    expect(messageAt(raw, '/nodes/1/config/args/k')).toContain('code action cannot read secrets');
  });
});

describe('validateDefinition: timeouts within the action Lambda', () => {
  it('refuses a node timeoutSeconds over its action Lambda’s timeout', () => {
    const raw = definition([
      {
        id: 'say',
        type: 'action',
        action: 'log',
        config: { message: 'x' },
        timeoutSeconds: 120,
        dependencies: ['start'],
      },
    ]);
    expect(messageAt(raw, '/nodes/1/timeoutSeconds')).toContain('at most 60 s');
  });

  it('refuses an http request timeout that leaves its Lambda no time to report it, also in a compensation', () => {
    const raw = definition([
      {
        id: 'call',
        type: 'action',
        action: 'http',
        config: { url: 'https://example.com', timeoutSeconds: 900 },
        compensate: { action: 'http', config: { url: 'https://example.com/undo', timeoutSeconds: 899 } },
        dependencies: ['start'],
      },
    ]);
    expect(messageAt(raw, '/nodes/1/config/timeoutSeconds')).toContain('at most 895 s');
    expect(messageAt(raw, '/nodes/1/compensate/config/timeoutSeconds')).toContain('at most 895 s');
  });

  it('accepts timeouts the Lambda allows (an http node of 900 s with a request of 60 s)', () => {
    const raw = definition([
      {
        id: 'call',
        type: 'action',
        action: 'http',
        config: { url: 'https://example.com', timeoutSeconds: 60 },
        timeoutSeconds: 900,
        dependencies: ['start'],
      },
    ]);
    expect(validateDefinition(raw).errors).toEqual([]);
  });
});
