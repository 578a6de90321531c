import * as z from 'zod/mini';

const attributeValue = z.union([
  z.string(),
  z.number(),
  z.strictObject({
    dataType: z.string().check(z.regex(/^(String|Number)(\.[A-Za-z0-9_.-]+)?$/)),
    value: z.string(),
  }),
]);

/**
 * Config of the `queue` action: SQS SendMessage to `queue` (a queue URL, or a name looked up once
 * with GetQueueUrl). `body` is sent as is when a string, as JSON otherwise. Message attributes:
 * a string (String), a number (Number) or `{ dataType, value }`. FIFO queues take `groupId` and
 * `dedupId`; `delaySeconds` 0–900.
 */
export const queueConfigSchema = z.strictObject({
  queue: z.string().check(z.minLength(1), z.maxLength(2048)),
  body: z.union([z.string().check(z.minLength(1)), z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  messageAttributes: z.optional(
    z
      .record(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,256}$/)), attributeValue)
      .check(z.refine((attributes) => Object.keys(attributes).length <= 10, 'at most 10 message attributes')),
  ),
  groupId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  dedupId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  delaySeconds: z.optional(z.int().check(z.gte(0), z.lte(900))),
});

/** The parsed `queue` config. */
export type QueueConfig = z.output<typeof queueConfigSchema>;

/** Output of the `queue` action. */
export interface QueueOutput {
  messageId: string;
}
