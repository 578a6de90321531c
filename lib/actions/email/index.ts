import { join } from 'node:path';
import { type FileValue, readFile } from '../../payloads/files.ts';
import { type ActionDefinition, InvalidConfigError } from '../action.ts';
import { formatMailbox } from './addresses.ts';
import { createOutboxTransport, createSesTransport, type EmailTransport } from './email-transport.ts';
import { EmailRejectedError } from './errors.ts';
import { type EmailConfig, type EmailOutput, emailConfigSchema } from './schema.ts';

export {
  createOutboxTransport,
  createSesTransport,
  type EmailMessage,
  type EmailTransport,
} from './email-transport.ts';
export * from './errors.ts';
export type { EmailConfig, EmailOutput } from './schema.ts';

/** What the email action depends on; defaults come from the environment on first use. */
export interface EmailActionDeps {
  /**
   * Default: the outbox `<FLOWFORGE_DATA_DIR or .flowforge>/outbox/` when `FLOWFORGE_LOCAL=1`,
   * SES v2 otherwise.
   */
  transport?: EmailTransport;
  /**
   * The sending identity (`FLOWFORGE_EMAIL_FROM`): an address (`orders@example.com`, optionally
   * `Orders <orders@example.com>`) that is the only allowed sender and the default `from`, or a
   * domain (`example.com`) whose every address may send (default `no-reply@<domain>`). Unset
   * locally: any sender; unset with SES: every message is `EmailRejected`.
   */
  identity?: string;
}

/** The address inside `Name <addr>` or the bare address, lower-cased. */
export function addressOf(value: string): string {
  const match = /<([^>]+)>\s*$/.exec(value);
  return (match?.[1] ?? value).trim().toLowerCase();
}

/**
 * Builds the `email` action (DESIGN.md §2): SES v2 SendEmail in AWS, an `.eml` outbox locally.
 * `from` must lie within the configured identity (`EmailRejected` otherwise). Output `{ messageId }`.
 */
export function createEmailAction(deps: EmailActionDeps = {}): ActionDefinition<EmailConfig, EmailOutput> {
  let transport = deps.transport;
  const local = () => process.env.FLOWFORGE_LOCAL === '1' || process.env.FLOWFORGE_LOCAL === 'true';
  return {
    kind: 'email',
    configSchema: emailConfigSchema,
    async run(config, context) {
      const identity = (deps.identity ?? process.env.FLOWFORGE_EMAIL_FROM ?? '').trim();
      const from = senderFor(config.from, identity, deps.transport !== undefined || local());
      transport ??= local()
        ? createOutboxTransport(join(process.env.FLOWFORGE_DATA_DIR || '.flowforge', 'outbox'))
        : createSesTransport({ configurationSetName: process.env.FLOWFORGE_SES_CONFIGURATION_SET });
      // Every recipient in its canonical RFC 5322 form: one mailbox each, names quoted.
      const list = (value: string | string[] | undefined) =>
        value === undefined ? [] : [value].flat().map(formatMailbox);
      return transport.send({
        from,
        to: list(config.to),
        cc: list(config.cc),
        bcc: list(config.bcc),
        replyTo: list(config.replyTo),
        subject: config.subject,
        ...(config.text !== undefined ? { text: config.text } : {}),
        ...(config.html !== undefined ? { html: config.html } : {}),
        ...(config.attachments?.length
          ? {
              attachments: await Promise.all(
                config.attachments.map(async (value) => ({
                  name: value.file.name,
                  contentType: value.file.contentType,
                  content: await readFile(
                    context.payloads,
                    value as FileValue,
                    context.execution.flowId,
                    context.execution.tenant,
                  ),
                })),
              ),
            }
          : {}),
      });
    },
  };
}

function senderFor(requested: string | undefined, identity: string, lenient: boolean): string {
  if (identity === '') {
    if (lenient) return requested ?? 'FlowForge <flowforge@localhost>';
    throw new EmailRejectedError('no sending identity is configured (FLOWFORGE_EMAIL_FROM)');
  }
  const identityIsAddress = identity.includes('@');
  if (!requested) return identityIsAddress ? identity : `no-reply@${identity.replace(/^@/, '')}`;
  const address = addressOf(requested);
  const allowed = identityIsAddress
    ? address === addressOf(identity)
    : address.endsWith(`@${identity.replace(/^@/, '').toLowerCase()}`);
  if (!allowed)
    throw new InvalidConfigError(`from: ${address} is not within the sending identity ${identity}`, {
      cause: `sender ${address} outside ${identity}`,
    });
  return requested;
}

/** The `email` action with its transport and identity from the environment. */
export const emailAction: ActionDefinition<EmailConfig, EmailOutput> = createEmailAction();
