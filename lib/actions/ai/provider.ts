import type { ActionContext } from '../action.ts';

/** One model call, provider-neutral. */
export interface AiCall {
  model: string;
  system?: string;
  prompt: string;
  maxTokens: number;
  temperature?: number;
  /** Ask for a JSON answer (OpenAI's JSON mode; an instruction for Bedrock). */
  json: boolean;
  timeoutSeconds: number;
}

/** A provider's answer, with its stop reason in the action's vocabulary. */
export interface AiCompletion {
  text: string;
  model: string;
  stopReason: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** One provider: throws the ai errors (`AiThrottled`, `AiRefused`, `AiTimeout`, `AiProviderError`). */
export type AiProvider = (call: AiCall, context: ActionContext) => Promise<AiCompletion>;

/** Stop reasons that mean the model (or a guardrail) refused: the call fails with `AiRefused`. */
export const REFUSAL_STOP_REASONS: ReadonlySet<string> = new Set([
  'content_filtered',
  'guardrail_intervened',
]);
