import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { InvalidConfigError } from '../action.ts';
import { AiProviderError, AiThrottledError, AiTimeoutError } from './errors.ts';
import type { AiProvider } from './provider.ts';

const JSON_INSTRUCTION = 'Answer with one JSON value only: no prose, no code fences.';

const THROTTLED = new Set(['ThrottlingException', 'ServiceUnavailableException', 'ModelNotReadyException']);
const TIMED_OUT = new Set(['ModelTimeoutException', 'TimeoutError', 'AbortError']);

/**
 * The Bedrock provider: one `Converse` call (system prompt, one user message, `maxTokens` and
 * `temperature` as inference config). `allowedModels` (the deployment's, `FLOWFORGE_AI_BEDROCK_MODELS`)
 * refuses other models before any call, matching the IAM grant. Throttling and an unavailable
 * model → `AiThrottled`; the model's timeout or `timeoutSeconds` → `AiTimeout`; other SDK errors →
 * `AiProviderError` with the SDK error's name.
 */
export function createBedrockProvider(options: {
  client: () => Promise<BedrockRuntimeClient>;
  allowedModels: readonly string[] | undefined;
}): AiProvider {
  return async (call, context) => {
    if (options.allowedModels && !options.allowedModels.includes(call.model))
      throw new InvalidConfigError(
        `model: "${call.model}" is not enabled for this deployment (enabled: ${options.allowedModels.join(', ') || 'none'})`,
      );
    const system = [call.system, call.json ? JSON_INSTRUCTION : undefined].filter((text): text is string =>
      Boolean(text),
    );
    const timeout = AbortSignal.timeout(call.timeoutSeconds * 1000);
    const abortSignal = context.signal ? AbortSignal.any([context.signal, timeout]) : timeout;
    let output: ConverseCommandOutput;
    try {
      output = await (await options.client()).send(
        new ConverseCommand({
          modelId: call.model,
          messages: [{ role: 'user', content: [{ text: call.prompt }] }],
          ...(system.length > 0 ? { system: system.map((text) => ({ text })) } : {}),
          inferenceConfig: {
            maxTokens: call.maxTokens,
            ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
          },
        }),
        { abortSignal },
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      if (THROTTLED.has(name))
        throw new AiThrottledError(`Bedrock throttled the call to ${call.model} (${name})`, {
          cause: message,
        });
      if (TIMED_OUT.has(name) || timeout.aborted)
        throw new AiTimeoutError(`no answer from ${call.model} within ${call.timeoutSeconds} s`, {
          cause: message,
        });
      throw new AiProviderError(`Bedrock Converse failed for ${call.model}: ${name}`, { cause: message });
    }
    const text = (output.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
    return {
      text,
      model: call.model,
      stopReason: output.stopReason ?? 'end_turn',
      usage: { inputTokens: output.usage?.inputTokens ?? 0, outputTokens: output.usage?.outputTokens ?? 0 },
    };
  };
}
