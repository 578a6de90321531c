import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Loose, startTestApi, type TestApi } from '../api/local-api.ts';

/**
 * Subflows through `npm start`'s server over real HTTP (DESIGN.md §2.1): the child is a
 * first-class execution started through the start path, answered without polling by its own end.
 */
describe('subflow through the local API', () => {
  let api: TestApi;

  const save = async (definition: unknown, key?: string) => {
    const saved = await api.request('POST', '/api/v1/flows', { body: definition, ...(key ? { key } : {}) });
    return saved;
  };
  const flowId = async (definition: unknown) => {
    const saved = await save(definition);
    expect(saved.status, saved.text).toBe(201);
    return saved.body.flowId as string;
  };
  const run = async (id: string, input: unknown = { customer: 'Cy' }) => {
    const started = await api.request('POST', `/api/v1/flows/${id}/execute`, { body: { input } });
    expect(started.status, started.text).toBe(202);
    return api.waitForExecution(started.body.executionId, api.adminKey);
  };
  const parentOf = (
    child: string,
    extra: Record<string, unknown> = {},
    node: Record<string, unknown> = {},
  ) => ({
    name: 'parent',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      {
        id: 'enrich',
        type: 'operation',
        operation: 'subflow',
        dependencies: ['start'],
        config: { flowId: child, input: { customer: '{{ input.customer }}' }, ...extra },
        ...node,
      },
    ],
  });
  const greeter = {
    name: 'greeter',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      {
        id: 'greet',
        type: 'action',
        action: 'transform',
        dependencies: ['start'],
        config: { expression: '{ "greeting": "hello " & input.customer }' },
      },
    ],
  };
  const failing = {
    name: 'failing child',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      {
        id: 'boom',
        type: 'operation',
        operation: 'fail',
        dependencies: ['start'],
        config: { error: 'PaymentDeclined', cause: 'card expired' },
      },
    ],
  };
  const waitsForever = {
    name: 'waits for a person',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      { id: 'approve', type: 'operation', operation: 'waitForCallback', dependencies: ['start'], config: {} },
    ],
  };

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("gives the node the child execution's output, and lists the child with its parent", async () => {
    const child = await flowId(greeter);
    const parent = await run(await flowId(parentOf(child)), { customer: 'Ada' });
    expect(parent.status).toBe('SUCCEEDED');
    const childRun = await api.request('GET', `/api/v1/flows/${child}/executions`);
    expect(childRun.body.items).toHaveLength(1);
    const item = childRun.body.items[0];
    expect(item.trigger).toEqual({ id: null, type: 'subflow' });
    expect(item.parent).toEqual({ executionId: parent.executionId, nodeId: 'enrich' });
    expect(item.input).toEqual({ customer: 'Ada' });
    const full = await api.request('GET', `/api/v1/executions/${item.executionId}`);
    expect(full.body.output).toBeDefined();
    expect(parent.nodes.enrich.status).toBe('succeeded');
    expect(parent.nodes.enrich.output).toEqual(full.body.output);
    expect(JSON.stringify(parent.nodes.enrich.output)).toContain('hello Ada');
  });

  it('fails the node with SubflowFailed and the child error as cause; an error edge takes it', async () => {
    const child = await flowId(failing);
    const definition = parentOf(child);
    definition.nodes.push({
      id: 'apologise',
      type: 'action',
      action: 'log',
      config: { message: 'the child failed: {{ nodes.enrich.status }}' },
    } as never);
    (definition as Loose).connections = [{ from: 'enrich', to: 'apologise', on: 'error' }];
    const parent = await run(await flowId(definition));
    expect(parent.nodes.enrich.status).toBe('failed');
    expect(parent.nodes.enrich.error.error).toBe('SubflowFailed');
    expect(parent.nodes.enrich.error.cause).toContain('PaymentDeclined');
    expect(parent.nodes.apologise.status).toBe('succeeded');
  });

  it('retries a failed child with a new child per attempt', async () => {
    const child = await flowId(failing);
    const parent = await run(
      await flowId(
        parentOf(
          child,
          {},
          { retry: { maxAttempts: 2, strategy: 'fixed', delaySeconds: 1, retryOn: ['SubflowFailed'] } },
        ),
      ),
    );
    expect(parent.status).toBe('FAILED');
    expect(parent.nodes.enrich.error.error).toBe('SubflowFailed');
    const children = await api.request('GET', `/api/v1/flows/${child}/executions`);
    expect(children.body.items).toHaveLength(2);
  });

  it('starts one child per item inside a forEach body, outputs in item order', async () => {
    const child = await flowId(greeter);
    const parent = await run(
      await flowId({
        name: 'per customer',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'each',
            type: 'operation',
            operation: 'forEach',
            dependencies: ['start'],
            config: {
              items: '{{ input.customers }}',
              concurrency: 2,
              nodes: [
                {
                  id: 'greetOne',
                  type: 'operation',
                  operation: 'subflow',
                  config: { flowId: child, input: { customer: '{{ item }}' } },
                },
              ],
            },
          },
        ],
      }),
      { customers: ['Ann', 'Ben', 'Cat'] },
    );
    expect(parent.status).toBe('SUCCEEDED');
    expect(parent.nodes.each.items).toEqual({ total: 3, succeeded: 3, failed: 0 });
    const greetings = (parent.nodes.each.output as Loose[]).map((output) => output.greet.greeting);
    expect(greetings).toEqual(['hello Ann', 'hello Ben', 'hello Cat']);
    const children = await api.request('GET', `/api/v1/flows/${child}/executions`);
    expect(children.body.items).toHaveLength(3);
  });

  it('answers { executionId } at once with wait: false', async () => {
    const child = await flowId(waitsForever);
    const parent = await run(await flowId(parentOf(child, { wait: false })));
    expect(parent.status).toBe('SUCCEEDED');
    const { executionId } = parent.nodes.enrich.output;
    expect(typeof executionId).toBe('string');
    const childRun = await api.request('GET', `/api/v1/executions/${executionId}`);
    expect(childRun.body.status).toBe('RUNNING');
    expect(childRun.body.parent).toEqual({ executionId: parent.executionId, nodeId: 'enrich' });
    await api.request('POST', `/api/v1/executions/${executionId}/stop`);
  });

  it('stops the waiting child when the parent is stopped', async () => {
    const child = await flowId(waitsForever);
    const started = await api.request('POST', `/api/v1/flows/${await flowId(parentOf(child))}/execute`, {
      body: { input: { customer: 'Di' } },
    });
    const parentId = started.body.executionId as string;
    let childId: string | undefined;
    for (let i = 0; i < 200 && !childId; i++) {
      const listed = await api.request('GET', `/api/v1/flows/${child}/executions`);
      childId = listed.body.items[0]?.executionId;
      if (!childId) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(childId).toBeDefined();
    await api.waitForExecution(parentId, api.adminKey, () => true);
    const stop = await api.request('POST', `/api/v1/executions/${parentId}/stop`);
    expect(stop.status, stop.text).toBe(200);
    const stoppedChild = await api.waitForExecution(childId as string, api.adminKey);
    expect(stoppedChild.status).toBe('ABORTED');
  });

  it('pins the latest child version at save time', async () => {
    const child = await flowId(greeter);
    const parentId = await flowId(parentOf(child));
    const stored = await api.request('GET', `/api/v1/flows/${parentId}`);
    expect(stored.body.definition.nodes[1].config.version).toBe(1);
    const v2 = await api.request('PUT', `/api/v1/flows/${child}`, {
      headers: { 'if-match': '"1"' },
      body: {
        ...greeter,
        nodes: [greeter.nodes[0], { ...greeter.nodes[1], config: { expression: '"v2"' } }],
      },
    });
    expect(v2.status, v2.text).toBe(200);
    const parent = await run(parentId, { customer: 'Bo' });
    expect(JSON.stringify(parent.nodes.enrich.output)).toContain('hello Bo');
  });

  it('refuses at save an unknown flow, a version that does not exist, another tenant’s flow', async () => {
    const unknown = await save(parentOf('no-such-flow'));
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toContainEqual(expect.objectContaining({ path: '/nodes/1/config/flowId' }));
    const child = await flowId(greeter);
    const tooNew = await save(parentOf(child, { version: 9 }));
    expect(tooNew.status).toBe(422);
    expect(tooNew.body.errors).toContainEqual(expect.objectContaining({ path: '/nodes/1/config/version' }));
    const other = await api.request('POST', '/api/v1/keys', {
      body: { name: 'globex admin', scopes: ['admin'], tenant: 'globex' },
    });
    const foreign = await save(parentOf(child), other.body.key);
    expect(foreign.status).toBe(422);
    expect(foreign.text).not.toContain('greeter');
  });

  it('refuses a flow that starts itself or reaches itself through another', async () => {
    const a = await flowId(greeter);
    const self = await api.request('PUT', `/api/v1/flows/${a}`, {
      headers: { 'if-match': '*' },
      body: parentOf(a),
    });
    expect(self.status).toBe(422);
    expect(self.body.errors[0].path).toBe('/nodes/1/config/flowId');
    const b = await flowId(parentOf(a));
    const cycle = await api.request('PUT', `/api/v1/flows/${a}`, {
      headers: { 'if-match': '*' },
      body: parentOf(b),
    });
    expect(cycle.status).toBe(422);
    expect(cycle.body.errors[0].message).toContain(`${a} → ${b} → ${a}`);
  });

  it('fails a chain deeper than 5 with SubflowDepthExceeded', async () => {
    let id = await flowId(greeter);
    for (let level = 0; level < 6; level++) id = await flowId(parentOf(id));
    const top = await run(id, { customer: 'Deep' });
    expect(top.status).toBe('FAILED');
    const failedIds: string[] = [];
    const walk = async (execution: Loose): Promise<Loose> => {
      failedIds.push(execution.executionId);
      const cause = execution.nodes.enrich?.error?.cause as string | undefined;
      if (execution.nodes.enrich?.error?.error === 'SubflowDepthExceeded') return execution;
      const inner = cause ? JSON.parse(cause).executionId : undefined;
      if (!inner) return execution;
      return walk((await api.request('GET', `/api/v1/executions/${inner}`)).body);
    };
    const deepest = await walk(top);
    expect(deepest.nodes.enrich.error.error).toBe('SubflowDepthExceeded');
    expect(failedIds).toHaveLength(6);
  });
});
