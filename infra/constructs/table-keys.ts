/**
 * The table items the trigger functions (SQS and schedule) may touch, as IAM `dynamodb:LeadingKeys`
 * patterns (lib/store/table.ts has the layout). Their one code path is the start path
 * (lib/service/start-execution.ts): it reads the flow's head, version and version parts
 * (`T#<tenant>#FLOW#<flowId>`, and writes the machine there should a version have none yet) and
 * creates, reads and updates the execution (`T#<tenant>#EXEC#<executionId>`). The execution id is
 * derived from the idempotency key, so the start writes no `IDEM` marker; triggers take no rate-limit
 * tokens and write no audit entries. Never API keys (`KEY#`), buckets (`RL#`), audit, secrets, webhook
 * replay ids, waits or callbacks — so a forged trigger message can at most start a flow, not read or
 * change anything else. test/integration/triggers/trigger-table-keys.test.ts runs both triggers
 * against dynalite and checks every key they use against these patterns.
 */
export const triggerTableKeys: readonly string[] = ['T#*#FLOW#*', 'T#*#EXEC#*'];
