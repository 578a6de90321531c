import * as z from 'zod/mini';

/**
 * Config of the `ai` action (DESIGN.md §2.2): one model call. `provider` `bedrock` (Converse) or
 * `openai` (an OpenAI-compatible chat-completions endpoint at `baseUrl`, with `apiKey` as a secret
 * reference such as `{{ secret:openai-key }}`). `responseFormat: "json"` parses the answer as JSON.
 */
export const aiConfigSchema = z.strictObject({
  provider: z.enum(['bedrock', 'openai']),
  model: z.string().check(z.minLength(1), z.maxLength(256)),
  system: z.optional(z.string().check(z.maxLength(200_000))),
  prompt: z.string().check(z.minLength(1), z.maxLength(1_000_000)),
  maxTokens: z._default(z.int().check(z.gte(1), z.lte(200_000)), 1024),
  temperature: z.optional(z.number().check(z.gte(0), z.lte(2))),
  responseFormat: z._default(z.enum(['text', 'json']), 'text'),
  /** `openai` only: the API root, e.g. `https://api.openai.com/v1` (`/chat/completions` is appended). */
  baseUrl: z.optional(
    z.string().check(
      z.maxLength(2048),
      z.refine((url) => /^https?:\/\//i.test(url), 'must be an http:// or https:// URL'),
    ),
  ),
  /** `openai` only: sent as `Authorization: Bearer …`; write a secret reference, never the key. */
  apiKey: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  timeoutSeconds: z._default(z.number().check(z.positive(), z.lte(900)), 60),
});

/** The parsed `ai` config (defaults applied). */
export type AiConfig = z.output<typeof aiConfigSchema>;

/** Output of the `ai` action. `json` is there with `responseFormat: "json"`. */
export interface AiOutput {
  text: string;
  json?: unknown;
  model: string;
  /** `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, … (OpenAI's finish reasons are mapped to these). */
  stopReason: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** The ai action's transient error names: the default `retryOn` retries them. */
export const AI_TRANSIENT_ERRORS = ['AiThrottled'] as const;
