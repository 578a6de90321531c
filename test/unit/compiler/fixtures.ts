import type { CompileContext } from '../../../lib/compiler/types.ts';
import {
  definitionSchema,
  type WorkflowDefinition,
  type WorkflowDefinitionInput,
} from '../../../lib/workflow/definition-schema.ts';

/** The action kinds of DESIGN.md §2. */
export const ACTION_KINDS = ['http', 'transform', 'email', 'queue', 'log', 'code', 'ai'] as const;
/** The internal actions the compiler adds (forEach's items and collect steps). */
const INTERNAL_KINDS = ['foreach'] as const;

/** The fixed compile context of the tests: `flowforge-action-<kind>` in a fixed account. */
export const TEST_CONTEXT: CompileContext = {
  actionArns: Object.fromEntries(
    [...ACTION_KINDS, ...INTERNAL_KINDS].map((kind) => [
      kind,
      `arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-${kind}`,
    ]),
  ),
  waitArn: 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-waits',
  subflowArn: 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-subflow',
  // A top-level forEach compiles to a Distributed Map reading and writing this bucket.
  payloadBucket: 'flowforge-test-payloads',
};

/** Parses a definition written by hand (defaults applied). */
export function definition(input: WorkflowDefinitionInput): WorkflowDefinition {
  return definitionSchema.parse(input);
}
