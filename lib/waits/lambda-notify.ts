import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { TaskPayload } from '../actions/action.ts';
import { WaitsError } from './task-tokens.ts';

/** The error a notify action ended with, named as its Lambda named it (so the node fails with that name). */
class NotifyFailed extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Runs `notify` the ordinary way in AWS: a synchronous invoke of the action's own Lambda (its own
 * rights, idempotency on `execution + node + attempt + phase`) with the Task payload. A function
 * error rethrows with the action's `errorType` as its name and `errorMessage` as its message.
 */
export function lambdaNotify(
  client: LambdaClient,
  actionArns: Readonly<Record<string, string>>,
): (payload: TaskPayload & { phase: 'notify' }) => Promise<unknown> {
  return async (payload) => {
    const functionName = actionArns[payload.action];
    if (!functionName) throw new WaitsError(`no Lambda for the notify action "${payload.action}"`);
    const result = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = result.Payload ? new TextDecoder().decode(result.Payload) : 'null';
    const body = text ? (JSON.parse(text) as unknown) : null;
    if (result.FunctionError) {
      const error = (body ?? {}) as { errorType?: unknown; errorMessage?: unknown };
      throw new NotifyFailed(
        typeof error.errorType === 'string' ? error.errorType : 'Lambda.Unknown',
        typeof error.errorMessage === 'string' ? error.errorMessage : text,
      );
    }
    return body;
  };
}
