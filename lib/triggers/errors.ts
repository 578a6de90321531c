import type { WebhookFailureReason } from '../security/webhook-signature.ts';

/** Base of every trigger error: something about an incoming trigger event that prevents a start. */
export class TriggerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerError';
  }
}

/**
 * A webhook request failed verification. `reason` is safe to show the sender (the HTTP layer
 * answers 401 problem+json naming it); the message never contains a secret or a signature.
 */
export class WebhookAuthError extends TriggerError {
  readonly reason: WebhookFailureReason;
  constructor(reason: WebhookFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookAuthError';
    this.reason = reason;
  }
}

/** The flow, its version or the named trigger does not exist for this tenant (HTTP 404). */
export class TriggerNotFoundError extends TriggerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerNotFoundError';
  }
}

/**
 * A trigger event that can never start the flow: malformed JSON, a message not in the queue
 * contract, input refused by the flow's `inputSchema`. `issues` carry JSON pointers.
 */
export class InvalidTriggerEventError extends TriggerError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(
    message: string,
    issues: readonly { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InvalidTriggerEventError';
    this.issues = issues;
  }
}

/** A schedule or webhook registration that cannot be applied (bad expression, AWS refused it). */
export class TriggerRegistrationError extends TriggerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerRegistrationError';
  }
}

/** A trigger function is missing a deployment setting, or was asked for something it may not do. */
export class TriggerConfigurationError extends TriggerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerConfigurationError';
  }
}
