import { describe, expect, it } from 'vitest';
import {
  InvalidTriggerEventError,
  TriggerNotFoundError,
  TriggerRegistrationError,
} from '../../../lib/triggers/errors.ts';
import {
  parseQueueBindings,
  processQueueBatch,
  processQueueRecord,
} from '../../../lib/triggers/sqs-trigger.ts';
import { fakeFlows, fakeStartExecution, orderFlow } from './fakes.ts';

const plainFlow = {
  name: 'plain',
  nodes: [{ id: 'only', type: 'action' as const, action: 'log', config: { message: 'x' } }],
};

function setup() {
  const fake = fakeStartExecution();
  const getFlow = fakeFlows([
    { flowId: 'orders', version: 3, definition: orderFlow },
    { flowId: 'plain', definition: plainFlow },
    { tenantId: 'acme', flowId: 'orders', definition: orderFlow },
  ]);
  return { fake, deps: { getFlow, startExecution: fake.startExecution } };
}

const record = (messageId: string, body: unknown) => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('processQueueRecord', () => {
  it('starts the flow with the message id as idempotency key and the first queue trigger', async () => {
    const { fake, deps } = setup();
    const result = await processQueueRecord(
      record('m-1', { flowId: 'orders', input: { orderId: 'o1' } }),
      deps,
    );
    expect(result).toEqual({ executionId: 'exec-1', status: 'RUNNING', alreadyStarted: false });
    expect(fake.calls).toEqual([
      {
        tenantId: 'default',
        flowId: 'orders',
        version: 3,
        input: { orderId: 'o1' },
        trigger: { id: 'fromQueue', type: 'queue' },
        idempotencyKey: 'sqs:m-1',
      },
    ]);
  });

  it('honours tenantId, version and triggerId; a flow without queue trigger gets trigger id null', async () => {
    const { fake, deps } = setup();
    await processQueueRecord(
      record('m-2', {
        tenantId: 'acme',
        flowId: 'orders',
        version: 1,
        triggerId: 'fromQueue',
        input: { orderId: 'o' },
      }),
      deps,
    );
    await processQueueRecord(record('m-3', { flowId: 'plain' }), deps);
    expect(fake.calls[0]).toMatchObject({ tenantId: 'acme', version: 1, trigger: { id: 'fromQueue' } });
    expect(fake.calls[1]).toMatchObject({ flowId: 'plain', input: {}, trigger: { id: null, type: 'queue' } });
  });

  it('refuses malformed JSON, a body outside the contract, unknown flows/versions/triggers and bad input', async () => {
    const { fake, deps } = setup();
    await expect(processQueueRecord(record('a', '{"flowId":'), deps)).rejects.toThrow(
      InvalidTriggerEventError,
    );
    await expect(processQueueRecord(record('b', { input: {} }), deps)).rejects.toMatchObject({
      name: 'InvalidTriggerEventError',
      issues: [{ path: '/flowId' }],
    });
    await expect(processQueueRecord(record('c', { flowId: 'nope', input: {} }), deps)).rejects.toThrow(
      TriggerNotFoundError,
    );
    await expect(
      processQueueRecord(record('d', { flowId: 'orders', version: 9, input: {} }), deps),
    ).rejects.toThrow(TriggerNotFoundError);
    await expect(
      processQueueRecord(record('e', { flowId: 'orders', triggerId: 'hook', input: { orderId: 'x' } }), deps),
    ).rejects.toThrow(/no queue trigger hook/);
    await expect(
      processQueueRecord(record('f', { flowId: 'orders', input: { amount: -1 } }), deps),
    ).rejects.toMatchObject({ issues: [{ path: '/orderId' }, { path: '/amount' }] });
    // Another tenant's flow does not exist for this one.
    await expect(
      processQueueRecord(record('g', { tenantId: 'other', flowId: 'orders' }), deps),
    ).rejects.toThrow(TriggerNotFoundError);
    expect(fake.calls).toEqual([]);
  });
});

describe('processQueueBatch', () => {
  it('reports only the failed records and never throws, even when all fail', async () => {
    const { fake, deps } = setup();
    const good = await processQueueBatch(
      { Records: [record('ok', { flowId: 'plain' }), record('bad', 'nope')] },
      deps,
    );
    expect(good).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    const all = await processQueueBatch({ Records: [record('x', '['), record('y', '{')] }, deps);
    expect(all.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['x', 'y']);
    expect(fake.calls).toHaveLength(1);
  });

  it('a start that fails fails its record', async () => {
    const { deps } = setup();
    const errors: string[] = [];
    const response = await processQueueBatch(
      { Records: [record('boom', { flowId: 'plain' })] },
      { ...deps, startExecution: async () => Promise.reject(new Error('throttled')) },
      (failed, error) => errors.push(`${failed.messageId}: ${(error as Error).message}`),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'boom' }]);
    expect(errors).toEqual(['boom: throttled']);
  });
});

describe('named queues bound to a flow', () => {
  const arn = (name: string) => `arn:aws:sqs:eu-central-1:111122223333:${name}`;
  const namedFlow = {
    name: 'named',
    nodes: [
      { id: 'shared', type: 'trigger' as const, trigger: 'queue' as const },
      {
        id: 'orders-in',
        type: 'trigger' as const,
        trigger: 'queue' as const,
        config: { queue: 'orders-in' },
      },
    ],
  };

  it('starts the bound flow with the whole body as input and the queue trigger naming that queue', async () => {
    const fake = fakeStartExecution();
    const deps = {
      getFlow: fakeFlows([{ tenantId: 'acme', flowId: 'named', definition: namedFlow }]),
      startExecution: fake.startExecution,
      queueBindings: parseQueueBindings('{"orders-in": {"tenantId": "acme", "flowId": "named"}}'),
    };
    await processQueueRecord(
      { messageId: 'n1', body: '{"orderId":"x"}', eventSourceARN: arn('orders-in') },
      deps,
    );
    await processQueueRecord({ messageId: 'n2', body: 'plain text', eventSourceARN: arn('orders-in') }, deps);
    expect(fake.calls.map((call) => [call.tenantId, call.flowId, call.input, call.trigger.id])).toEqual([
      ['acme', 'named', { orderId: 'x' }, 'orders-in'],
      ['acme', 'named', { raw: 'plain text' }, 'orders-in'],
    ]);
    // The attack on a tenant's own queue: a body that names another tenant and flow. It stays input.
    fake.calls.length = 0;
    await processQueueRecord(
      {
        messageId: 'n4',
        body: '{"tenantId":"victim","flowId":"victims-flow","input":{"x":1}}',
        eventSourceARN: arn('orders-in'),
      },
      deps,
    );
    expect(fake.calls.map((call) => [call.tenantId, call.flowId, call.input])).toEqual([
      ['acme', 'named', { tenantId: 'victim', flowId: 'victims-flow', input: { x: 1 } }],
    ]);
    // A queue without binding still reads the shared envelope.
    await expect(
      processQueueRecord({ messageId: 'n3', body: '{"orderId":"x"}', eventSourceARN: arn('other') }, deps),
    ).rejects.toThrow(InvalidTriggerEventError);
  });

  it('parses the deploy-time bindings and refuses malformed ones', () => {
    expect(parseQueueBindings(undefined)).toEqual({});
    expect(parseQueueBindings('{"q": {"flowId": "f"}}')).toEqual({ q: { tenantId: 'default', flowId: 'f' } });
    expect(() => parseQueueBindings('{"q": {}}')).toThrow(TriggerRegistrationError);
    expect(() => parseQueueBindings('nope')).toThrow(TriggerRegistrationError);
  });
});
