import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WaitAnswer } from '../store/wait-store.ts';
import { TaskTokenGoneError, type TaskTokens, WaitsError } from './task-tokens.ts';

/** Step Functions errors meaning the token's Task no longer waits (the answer is late, not wrong). */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
/** Step Functions' limits on SendTaskFailure (characters). */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/**
 * The AWS adapter of {@link TaskTokens}: SendTaskSuccess with `{ "output": … }` as the Task's
 * output, or SendTaskFailure with the error name and cause (cut to Step Functions' limits).
 * `TaskTimedOut`, `TaskDoesNotExist` and `InvalidToken` become {@link TaskTokenGoneError}; any
 * other SDK error a {@link WaitsError} naming it.
 */
export class AwsTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async answer(token: string, answer: WaitAnswer): Promise<void> {
    try {
      if ('output' in answer) {
        await this.client.send(
          new SendTaskSuccessCommand({
            taskToken: token,
            output: JSON.stringify({ output: answer.output ?? null }),
          }),
        );
      } else {
        await this.client.send(
          new SendTaskFailureCommand({
            taskToken: token,
            error: answer.error.slice(0, MAX_ERROR),
            ...(answer.cause === undefined ? {} : { cause: answer.cause.slice(0, MAX_CAUSE) }),
          }),
        );
      }
    } catch (error) {
      const name = (error as { name?: unknown })?.name;
      if (typeof name === 'string' && GONE.has(name)) {
        throw new TaskTokenGoneError(`the waiting Task no longer waits (${name})`, { cause: error });
      }
      throw new WaitsError(`answering a waiting Task failed (${String(name)})`, { cause: error });
    }
  }
}
