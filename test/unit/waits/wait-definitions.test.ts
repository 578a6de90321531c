import { describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';
import { AslCollector } from '../compiler/asl-check.ts';
import { definition, TEST_CONTEXT } from '../compiler/fixtures.ts';

const WAIT_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-waits';
const context = { ...TEST_CONTEXT, waitArn: WAIT_ARN };

const approval = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'approval',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    { id: 'approve', type: 'operation', operation: 'waitForCallback', dependencies: ['start'], config },
    { id: 'done', type: 'action', action: 'log', config: { message: 'ok' }, dependencies: ['approve'] },
  ],
  ...extra,
});

const errorsOf = (raw: unknown) => validateDefinition(raw).errors;

describe('waitForCallback and waitForEvent validation', () => {
  it('accepts the DESIGN example with callback.url inside notify', () => {
    const result = validateDefinition(
      approval({
        timeoutSeconds: 86_400,
        notify: {
          action: 'email',
          config: {
            to: 'boss@example.com',
            subject: 'Approve {{ input.orderId }}',
            text: 'Approve: {{ callback.url }}',
          },
        },
      }),
    );
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("checks notify's config with its own action schema, at its pointer", () => {
    const errors = errorsOf(approval({ notify: { action: 'log', config: { text: 'x' } } }));
    expect(errors.some((e) => e.path.startsWith('/nodes/1/config/notify/config'))).toBe(true);
    const unknown = errorsOf(approval({ notify: { action: 'fax', config: {} } }));
    expect(unknown).toContainEqual(expect.objectContaining({ path: '/nodes/1/config/notify/action' }));
    expect(unknown[0]?.message).toContain('unknown action "fax"');
  });

  it('refuses callback templates outside notify, with the pointer', () => {
    const raw = approval({ notify: { action: 'log', config: { message: '{{ callback.id }}' } } });
    (raw.nodes[2] as { config: Record<string, unknown> }).config = { message: 'see {{ callback.url }}' };
    const errors = errorsOf(raw);
    expect(errors).toEqual([
      {
        path: '/nodes/2/config/message',
        message:
          'callback.url and callback.id can be used only inside the notify config of a waitForCallback node',
      },
    ]);
    expect(
      errorsOf(approval({ notify: { action: 'log', config: { message: '{{ callback.token }}' } } }))[0]
        ?.message,
    ).toContain('the callback paths are {{ callback.url }} and {{ callback.id }}');
  });

  it('bounds timeoutSeconds (1 s - 1 year) and lookbackSeconds (max 86,400)', () => {
    expect(errorsOf(approval({ timeoutSeconds: 0 }))[0]?.path).toBe('/nodes/1/config/timeoutSeconds');
    expect(errorsOf(approval({ timeoutSeconds: 31_536_001 }))[0]?.path).toBe(
      '/nodes/1/config/timeoutSeconds',
    );
    const event = (config: Record<string, unknown>) => ({
      name: 'pay',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        { id: 'paid', type: 'operation', operation: 'waitForEvent', dependencies: ['start'], config },
      ],
    });
    expect(errorsOf(event({ event: 'payment.completed', match: '{{ input.orderId }}' }))).toEqual([]);
    expect(
      errorsOf(event({ event: 'payment.completed', match: 'x', lookbackSeconds: 86_401 }))[0]?.path,
    ).toBe('/nodes/1/config/lookbackSeconds');
    expect(errorsOf(event({ match: 'x' }))[0]?.path).toBe('/nodes/1/config/event');
    // match is a template over upstream data: a node that is not upstream is refused
    const later = event({ event: 'e', match: '{{ nodes.after.output }}' });
    later.nodes.push({
      id: 'after',
      type: 'operation',
      operation: 'noop',
      dependencies: ['paid'],
      config: {},
    } as never);
    expect(errorsOf(later)[0]).toMatchObject({ path: '/nodes/1/config/match' });
  });

  it('refuses Express for a flow that waits, naming the node', () => {
    const errors = errorsOf(approval({}, { stateMachineType: 'EXPRESS' }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('/nodes/1');
    expect(errors[0]?.message).toContain('node "approve" needs a Standard state machine');
  });
});

describe('waits compile to .waitForTaskToken Tasks', () => {
  const asls = new AslCollector();

  it('waitForCallback: the node state, the token, notify with callback templates kept for the wait function', () => {
    const { asl, report } = compile(
      definition(
        approval({
          timeoutSeconds: 3600,
          notify: {
            action: 'email',
            config: {
              to: 'a@example.com',
              subject: 'Order {{ input.orderId }}',
              text: 'Go: {{ callback.url }} ({{ input.orderId }})',
            },
          },
        }) as never,
      ),
      context,
    );
    asls.add(asl);
    expect(report.stateMachineType).toBe('STANDARD');
    const task = asl.States.approve as Record<string, unknown>;
    expect(task).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3600,
      // The record replaces the content of its slot (lib/compiler/state-slots.ts).
      ResultSelector: { approve: { status: 'succeeded', 'output.$': '$.output' } },
      ResultPath: '$.nodes',
      Parameters: {
        FunctionName: 'flowforge-action-waits',
        Payload: {
          nodeId: 'approve',
          operation: 'waitForCallback',
          'execution.$': '$.execution',
          'taskToken.$': '$$.Task.Token',
          config: {
            timeoutSeconds: 3600,
            notify: {
              action: 'email',
              config: {
                to: 'a@example.com',
                'subject.$': "States.Format('Order {}', $.input.orderId)",
                'text.$': "States.Format('Go: \\{\\{ callback.url \\}\\} ({})', $.input.orderId)",
              },
            },
          },
        },
      },
    });
    expect((task.Catch as unknown[])[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: 'approve:failed',
    });
  });

  it('waitForEvent: match resolved by Step Functions, lookback defaulted', () => {
    const { asl } = compile(
      definition({
        name: 'pay',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'paid',
            type: 'operation',
            operation: 'waitForEvent',
            dependencies: ['start'],
            config: { event: 'payment.completed', match: '{{ input.orderId }}' },
          },
        ],
      }),
      context,
    );
    asls.add(asl);
    const payload = ((asl.States.paid as Record<string, unknown>).Parameters as { Payload: unknown }).Payload;
    expect(payload).toMatchObject({
      operation: 'waitForEvent',
      config: { event: 'payment.completed', 'match.$': '$.input.orderId', lookbackSeconds: 300 },
    });
    expect(asl.States.paid).not.toHaveProperty('TimeoutSeconds');
  });

  it('without a wait function ARN the compiler refuses', () => {
    expect(() => compile(definition(approval({}) as never), { actionArns: TEST_CONTEXT.actionArns })).toThrow(
      /waitArn/,
    );
  });

  it('every compiled machine passes asl-validator', () => {
    expect(asls.validate()).toEqual([]);
  });
});
