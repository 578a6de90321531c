import * as z from 'zod/mini';
import type { ActionDefinition } from '../action.ts';
import { InvalidConfigError } from '../action.ts';
import { Http429Error, HttpTimeoutError } from '../http/errors.ts';
import { type HttpConfig, type HttpOutput, httpConfigSchema } from '../http/schema.ts';
import { AiProviderError, AiRefusedError, AiThrottledError, AiTimeoutError } from './errors.ts';
import type { AiProvider } from './provider.ts';

const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

const completionSchema = z.looseObject({
  model: z.optional(z.string()),
  choices: z
    .array(
      z.looseObject({
        finish_reason: z.optional(z.nullable(z.string())),
        message: z.looseObject({
          content: z.optional(z.nullable(z.string())),
          refusal: z.optional(z.nullable(z.string())),
        }),
      }),
    )
    .check(z.minLength(1)),
  usage: z.optional(
    z.looseObject({ prompt_tokens: z.optional(z.number()), completion_tokens: z.optional(z.number()) }),
  ),
});

/**
 * The OpenAI-compatible provider: `POST <baseUrl>/chat/completions` through the http action (its
 * SSRF guard, pinned DNS, timeout, size limit; `apiKey` may be `{{ secret:… }}`, resolved by the
 * action core, and the http action treats the header carrying it as a credential, never in errors). 429 → `AiThrottled` (with Retry-After), the
 * timeout → `AiTimeout`, a refusal or `content_filter` → `AiRefused`; other http errors keep their
 * names (`Http5xx` is transient, `Http4xx` is not).
 */
export function createOpenAiProvider(options: {
  http: ActionDefinition<HttpConfig, HttpOutput>;
  baseUrl: string | undefined;
  apiKey: string | undefined;
}): AiProvider {
  return async (call, context) => {
    if (!options.baseUrl)
      throw new InvalidConfigError(
        'baseUrl: the openai provider needs the API root, e.g. https://api.openai.com/v1',
      );
    const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const messages = [
      ...(call.system ? [{ role: 'system', content: call.system }] : []),
      { role: 'user', content: call.prompt },
    ];
    const request = z.parse(httpConfigSchema, {
      method: 'POST',
      url,
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      body: {
        model: call.model,
        messages,
        max_tokens: call.maxTokens,
        ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
        ...(call.json ? { response_format: { type: 'json_object' } } : {}),
      },
      responseType: 'json',
      timeoutSeconds: call.timeoutSeconds,
      maxResponseBytes: 16 * 1024 * 1024,
      followRedirects: false,
    });
    let response: HttpOutput;
    try {
      response = await options.http.run(request, context);
    } catch (error) {
      if (error instanceof Http429Error)
        throw new AiThrottledError(`the model endpoint throttled the call: ${error.message}`, {
          cause: error.message,
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        });
      if (error instanceof HttpTimeoutError)
        throw new AiTimeoutError(`no answer from ${call.model} within ${call.timeoutSeconds} s`, {
          cause: error.message,
        });
      throw error;
    }
    const parsed = z.safeParse(completionSchema, response.body);
    if (!parsed.success)
      throw new AiProviderError(`${url} answered ${response.status} without a chat completion`, {
        cause: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
      });
    const [choice] = parsed.data.choices;
    const finish = choice?.finish_reason ?? 'stop';
    if (choice?.message.refusal)
      throw new AiRefusedError(`${call.model} refused: ${choice.message.refusal}`, {
        cause: choice.message.refusal,
      });
    return {
      text: choice?.message.content ?? '',
      model: parsed.data.model ?? call.model,
      stopReason: FINISH_REASONS[finish] ?? finish,
      usage: {
        inputTokens: parsed.data.usage?.prompt_tokens ?? 0,
        outputTokens: parsed.data.usage?.completion_tokens ?? 0,
      },
    };
  };
}
