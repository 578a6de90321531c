import { ActionError } from '../action.ts';

/** SES (or the configured identity) refused the message: bad address, unverified sender, sending paused. Not retryable. */
export class EmailRejectedError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailRejected';
  }
}

/** The message could not be handed over now (throttling, SES or disk unavailable). Retryable. */
export class EmailSendFailedError extends ActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailSendFailed';
  }
}
