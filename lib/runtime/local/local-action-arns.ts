import { deployedActionKinds } from '../../actions/catalog.ts';
import type { CompileContext } from '../../compiler/types.ts';

/** The name part of the wait function (`flowforge-local-waits` locally, `flowforge-action-waits` deployed). */
export const WAIT_FUNCTION_KIND = 'waits';
/** The name part of the subflow function (`flowforge-local-subflow` locally, `flowforge-action-subflow` deployed). */
export const SUBFLOW_FUNCTION_KIND = 'subflow';

const LOCAL_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:flowforge-local-';

/**
 * The Lambda ARN a locally compiled machine names for an action kind:
 * `arn:aws:lambda:us-east-1:000000000000:function:flowforge-local-<kind>`. The local runner routes
 * every `lambda:invoke` Task whose `FunctionName` has this form to the kind's local handler.
 */
export function localActionArn(kind: string): string {
  return `${LOCAL_ARN_PREFIX}${kind}`;
}

/**
 * The action kind a Lambda function name or ARN stands for, or `undefined`. Accepts the local form
 * (`…:function:flowforge-local-<kind>`) and the deployed form (`…:function:flowforge-action-<kind>`),
 * with or without a version or alias qualifier, so ASL compiled for AWS also runs locally.
 */
export function actionKindOfFunction(functionNameOrArn: string): string | undefined {
  const match = /(?:^|:function:)flowforge-(?:local|action)-([A-Za-z0-9_-]+?)(?::[^:]+)?$/.exec(
    functionNameOrArn,
  );
  return match?.[1];
}

/** The bucket name a locally compiled machine names for the payload store (the local runner reads the data dir instead). */
export const LOCAL_PAYLOAD_BUCKET = 'flowforge-local-payloads';

/** The compile context of local mode: every action kind (default: the whole catalog) → its local ARN, and the wait and subflow functions'. */
export function localCompileContext(kinds: readonly string[] = deployedActionKinds()): CompileContext {
  return {
    actionArns: Object.fromEntries(kinds.map((kind) => [kind, localActionArn(kind)])),
    waitArn: localActionArn(WAIT_FUNCTION_KIND),
    subflowArn: localActionArn(SUBFLOW_FUNCTION_KIND),
    payloadBucket: LOCAL_PAYLOAD_BUCKET,
  };
}
