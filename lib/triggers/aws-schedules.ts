import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { toEventBridgeExpression } from '../workflow/schedule-expression.ts';
import { TriggerRegistrationError } from './errors.ts';
import type { ScheduledFlow, Schedules, ScheduleTrigger } from './schedules.ts';

/** EventBridge Scheduler's limit on a schedule name (`[0-9a-zA-Z-_.]{1,64}`). */
const MAX_NAME = 64;
/** EventBridge Scheduler's limit on a target's Input. */
const MAX_INPUT = 8192;
const SAFE_PART = /^[A-Za-z0-9_-]+$/;

export interface AwsSchedulesOptions {
  client: SchedulerClient;
  /** The deployment's schedule group. */
  groupName: string;
  /** ARN of the schedule trigger Lambda (`functions/triggers/schedule.ts`). */
  targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target (lambda:InvokeFunction on it, sqs:SendMessage on the DLQ). */
  roleArn: string;
  /** SQS queue that receives events the target could not take after the retries. */
  deadLetterArn?: string;
  /** Defaults: 10 attempts within one hour (Scheduler's own default is 185 within 24 h). */
  retryPolicy?: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
}

/**
 * The EventBridge Scheduler adapter of `Schedules`: one schedule per (flow, trigger) in the
 * deployment's group, named by `scheduleName`, targeting the schedule trigger Lambda with Input
 * `{ tenantId, flowId, triggerId, version, input, scheduledTime: "<aws.scheduler.scheduled-time>" }`.
 * Create answers ConflictException for an existing name → update; schedules of the flow whose
 * trigger is gone (found with ListSchedules by the flow's name prefix) are deleted; deleting an
 * already deleted schedule is fine. Other SDK errors become `TriggerRegistrationError`.
 */
export function createAwsSchedules(options: AwsSchedulesOptions): Schedules {
  const { client, groupName } = options;
  const retry = options.retryPolicy ?? { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };

  function scheduleInput(flow: ScheduledFlow, trigger: ScheduleTrigger): CreateScheduleCommandInput {
    const input = JSON.stringify({
      tenantId: flow.tenantId,
      flowId: flow.flowId,
      triggerId: trigger.id,
      version: flow.version,
      input: trigger.input,
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    if (input.length > MAX_INPUT) {
      throw new TriggerRegistrationError(
        `schedule trigger ${trigger.id}: its input is ${input.length} characters as a schedule payload; the limit is ${MAX_INPUT}`,
      );
    }
    return {
      Name: scheduleName(flow.tenantId, flow.flowId, trigger.id),
      GroupName: groupName,
      Description: `FlowForge ${flow.tenantId}/${flow.flowId} v${flow.version} trigger ${trigger.id}`,
      ScheduleExpression: toEventBridgeExpression(trigger.spec),
      ScheduleExpressionTimezone: trigger.spec.timezone,
      FlexibleTimeWindow:
        trigger.flexibleWindowMinutes === undefined
          ? { Mode: 'OFF' }
          : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: trigger.flexibleWindowMinutes },
      ...(trigger.startDate ? { StartDate: trigger.startDate } : {}),
      ...(trigger.endDate ? { EndDate: trigger.endDate } : {}),
      State: trigger.enabled ? 'ENABLED' : 'DISABLED',
      Target: {
        Arn: options.targetArn,
        RoleArn: options.roleArn,
        Input: input,
        RetryPolicy: {
          MaximumRetryAttempts: retry.maximumRetryAttempts,
          MaximumEventAgeInSeconds: retry.maximumEventAgeInSeconds,
        },
        ...(options.deadLetterArn ? { DeadLetterConfig: { Arn: options.deadLetterArn } } : {}),
      },
    };
  }

  async function listNames(tenantId: string, flowId: string): Promise<string[]> {
    const prefix = flowNamePrefix(tenantId, flowId);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call(`list the schedules of flow ${flowId}`, () =>
        client.send(
          new ListSchedulesCommand({ GroupName: groupName, NamePrefix: prefix, NextToken: nextToken }),
        ),
      );
      for (const schedule of page.Schedules ?? []) {
        // The prefix ends in "." and ids never contain one, so a match is this flow's schedule.
        if (schedule.Name?.startsWith(prefix)) names.push(schedule.Name);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return names;
  }

  async function remove(name: string): Promise<void> {
    try {
      await client.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw new TriggerRegistrationError(`could not delete schedule ${name}: ${message(error)}`, {
        cause: error,
      });
    }
  }

  async function upsert(input: CreateScheduleCommandInput, exists: boolean): Promise<void> {
    if (!exists) {
      try {
        await client.send(new CreateScheduleCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof ConflictException)) {
          throw new TriggerRegistrationError(`could not create schedule ${input.Name}: ${message(error)}`, {
            cause: error,
          });
        }
      }
    }
    await call(`update schedule ${input.Name}`, () => client.send(new UpdateScheduleCommand(input)));
  }

  return {
    async register(flow, triggers) {
      const inputs = triggers.map((trigger) => scheduleInput(flow, trigger));
      const existing = new Set(await listNames(flow.tenantId, flow.flowId));
      for (const input of inputs) await upsert(input, existing.has(input.Name ?? ''));
      const wanted = new Set(inputs.map((input) => input.Name));
      for (const name of existing) if (!wanted.has(name)) await remove(name);
    },
    async unregister(tenantId, flowId) {
      for (const name of await listNames(tenantId, flowId)) await remove(name);
    },
  };
}

/**
 * The schedule name of a (tenant, flow, trigger): `<tenant>.<flowId>.<triggerId>` when that is
 * safe and fits 64 characters. `.` separates the parts because ids never contain it, so the
 * flow's prefix `<tenant>.<flowId>.` cannot match another flow's schedules (with `-`, tenant `a`
 * flow `b-c` and tenant `a-b` flow `c` would share a prefix). A tenant+flow too long or unsafe is
 * replaced by `x<16 hex of SHA-256>.`; a trigger id that does not fit by `x<hex>`.
 */
export function scheduleName(tenantId: string, flowId: string, triggerId: string): string {
  const prefix = flowNamePrefix(tenantId, flowId);
  const room = MAX_NAME - prefix.length;
  const trigger =
    SAFE_PART.test(triggerId) && triggerId.length <= room ? triggerId : `x${hash(triggerId, room - 1)}`;
  return prefix + trigger;
}

/** The name prefix shared by exactly the schedules of one flow (see `scheduleName`). */
export function flowNamePrefix(tenantId: string, flowId: string): string {
  const plain = `${tenantId}.${flowId}.`;
  if (SAFE_PART.test(tenantId) && SAFE_PART.test(flowId) && plain.length <= 46) return plain;
  return `x${hash(`${tenantId}\u0000${flowId}`, 16)}.`;
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, Math.min(length, 64));
}

async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new TriggerRegistrationError(`could not ${what}: ${message(error)}`, { cause: error });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
