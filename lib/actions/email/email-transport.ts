import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { encodeWord, formatMailbox } from './addresses.ts';
import { EmailRejectedError, EmailSendFailedError } from './errors.ts';

/** A message ready to send: every address list normalised to an array. */
export interface EmailMessage {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text?: string;
  html?: string;
  /** Files sent as attachments (multipart/mixed). */
  attachments?: EmailAttachment[];
}

/** One attachment: its file name, content type and bytes. */
export interface EmailAttachment {
  name: string;
  contentType: string;
  content: Uint8Array;
}

/** Sends a message and returns its id. */
export interface EmailTransport {
  send(message: EmailMessage): Promise<{ messageId: string }>;
}

const REJECTED = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
]);

/**
 * SES v2 SendEmail (simple content, UTF-8). `configurationSetName` (`FLOWFORGE_SES_CONFIGURATION_SET`)
 * is passed when set. SES refusals become `EmailRejected`; throttling and outages `EmailSendFailed`.
 */
export function createSesTransport(
  options: { client?: SESv2Client; configurationSetName?: string } = {},
): EmailTransport {
  const client = options.client ?? new SESv2Client({});
  return {
    async send(message) {
      const charset = 'UTF-8';
      try {
        const result = await client.send(
          new SendEmailCommand({
            FromEmailAddress: message.from,
            Destination: {
              ToAddresses: message.to,
              ...(message.cc.length > 0 ? { CcAddresses: message.cc } : {}),
              ...(message.bcc.length > 0 ? { BccAddresses: message.bcc } : {}),
            },
            ...(message.replyTo.length > 0 ? { ReplyToAddresses: message.replyTo } : {}),
            Content: message.attachments?.length
              ? { Raw: { Data: Buffer.from(renderEml(message, undefined, new Date(), { bcc: false })) } }
              : {
                  Simple: {
                    Subject: { Data: message.subject, Charset: charset },
                    Body: {
                      ...(message.text !== undefined
                        ? { Text: { Data: message.text, Charset: charset } }
                        : {}),
                      ...(message.html !== undefined
                        ? { Html: { Data: message.html, Charset: charset } }
                        : {}),
                    },
                  },
                },
            ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
          }),
        );
        if (!result.MessageId) throw new EmailSendFailedError('SES returned no MessageId');
        return { messageId: result.MessageId };
      } catch (error) {
        if (error instanceof EmailSendFailedError) throw error;
        const name = error instanceof Error ? error.name : 'Error';
        const detail = `${name}: ${error instanceof Error ? error.message : String(error)}`;
        if (REJECTED.has(name))
          throw new EmailRejectedError(`SES refused the message (${detail})`, { cause: detail });
        throw new EmailSendFailedError(`SES could not take the message (${detail})`, { cause: detail });
      }
    },
  };
}

/**
 * Local mode: writes each message as an RFC 5322 `.eml` file into `directory` (created on demand),
 * named `<time>-<id>.eml`; the id is the message id.
 */
export function createOutboxTransport(directory: string): EmailTransport {
  return {
    async send(message) {
      const id = randomUUID();
      const messageId = `<${id}@flowforge.local>`;
      try {
        await mkdir(directory, { recursive: true });
        const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${id}.eml`);
        await writeFile(file, renderEml(message, messageId), { flag: 'wx' });
      } catch (error) {
        throw new EmailSendFailedError(`could not write to the outbox ${directory}`, {
          cause: (error as Error).message,
        });
      }
      return { messageId };
    },
  };
}

/**
 * The message as MIME text: UTF-8, base64 bodies, multipart/alternative when both bodies are given,
 * and multipart/mixed around it with one base64 part per attachment. `messageId` absent leaves the
 * header to the sender (SES sets its own); `bcc: false` leaves out the Bcc header (raw sends).
 */
export function renderEml(
  message: EmailMessage,
  messageId: string | undefined,
  date = new Date(),
  options: { bcc?: boolean } = {},
): string {
  const headers = [
    `From: ${encodeAddress(message.from)}`,
    `To: ${message.to.map(encodeAddress).join(', ')}`,
    ...(message.cc.length > 0 ? [`Cc: ${message.cc.map(encodeAddress).join(', ')}`] : []),
    ...(message.bcc.length > 0 && options.bcc !== false
      ? [`Bcc: ${message.bcc.map(encodeAddress).join(', ')}`]
      : []),
    ...(message.replyTo.length > 0 ? [`Reply-To: ${message.replyTo.map(encodeAddress).join(', ')}`] : []),
    `Subject: ${encodeWord(message.subject)}`,
    `Date: ${date.toUTCString()}`,
    ...(messageId ? [`Message-ID: ${messageId}`] : []),
    'MIME-Version: 1.0',
  ];
  const part = (type: string, body: string) =>
    [
      `Content-Type: ${type}; charset=UTF-8`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(Buffer.from(body, 'utf8')),
    ].join('\r\n');
  const parts: string[] = [];
  if (message.text !== undefined) parts.push(part('text/plain', message.text));
  if (message.html !== undefined) parts.push(part('text/html', message.html));
  const multipart = (subtype: string, children: string[]) => {
    const boundary = `ff-${randomUUID()}`;
    return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\n${children
      .map((child) => `--${boundary}\r\n${child}\r\n`)
      .join('')}--${boundary}--`;
  };
  let content = parts.length === 1 ? (parts[0] ?? '') : multipart('alternative', parts);
  const attachments = message.attachments ?? [];
  if (attachments.length > 0) {
    const files = attachments.map((file) => {
      const name = encodeWord(file.name.replace(/["\r\n\\]/g, '_'));
      return [
        `Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}; name="${name}"`,
        `Content-Disposition: attachment; filename="${name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(file.content),
      ].join('\r\n');
    });
    content = multipart('mixed', [content, ...files]);
  }
  return `${headers.join('\r\n')}\r\n${content}\r\n`;
}

function base64Lines(content: Uint8Array): string {
  return (
    Buffer.from(content)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}

const encodeAddress = formatMailbox;
