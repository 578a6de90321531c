import { ActionError } from '../action.ts';

/** The provider throttled the call (HTTP 429, Bedrock ThrottlingException/ServiceUnavailable). Retryable. */
export class AiThrottledError extends ActionError {
  override readonly retryable = true;
  retryAfterSeconds?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'AiThrottled';
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The model or its guardrails refused to answer (content filter, guardrail, refusal). Not retryable. */
export class AiRefusedError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AiRefused';
  }
}

/** No answer within `timeoutSeconds` (or the provider's model timeout). Not retried by default. */
export class AiTimeoutError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AiTimeout';
  }
}

/** `responseFormat: "json"` and the answer is not JSON. Not retryable. */
export class AiInvalidJsonError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AiInvalidJson';
  }
}

/** The provider failed otherwise (access denied, unknown model, an answer of an unexpected shape). Not retryable. */
export class AiProviderError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AiProviderError';
  }
}
