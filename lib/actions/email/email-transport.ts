import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
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
            Content: {
              Simple: {
                Subject: { Data: message.subject, Charset: charset },
                Body: {
                  ...(message.text !== undefined ? { Text: { Data: message.text, Charset: charset } } : {}),
                  ...(message.html !== undefined ? { Html: { Data: message.html, Charset: charset } } : {}),
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

/** The message as MIME text: UTF-8, base64 bodies, multipart/alternative when both bodies are given. */
export function renderEml(message: EmailMessage, messageId: string, date = new Date()): string {
  const headers = [
    `From: ${encodeAddress(message.from)}`,
    `To: ${message.to.map(encodeAddress).join(', ')}`,
    ...(message.cc.length > 0 ? [`Cc: ${message.cc.map(encodeAddress).join(', ')}`] : []),
    ...(message.bcc.length > 0 ? [`Bcc: ${message.bcc.map(encodeAddress).join(', ')}`] : []),
    ...(message.replyTo.length > 0 ? [`Reply-To: ${message.replyTo.map(encodeAddress).join(', ')}`] : []),
    `Subject: ${encodeWord(message.subject)}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
  ];
  const part = (type: string, body: string) =>
    [`Content-Type: ${type}; charset=UTF-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)].join(
      '\r\n',
    );
  const parts: string[] = [];
  if (message.text !== undefined) parts.push(part('text/plain', message.text));
  if (message.html !== undefined) parts.push(part('text/html', message.html));
  if (parts.length === 1) return `${headers.join('\r\n')}\r\n${parts[0]}\r\n`;
  const boundary = `ff-${randomUUID()}`;
  return `${[...headers, `Content-Type: multipart/alternative; boundary="${boundary}"`].join('\r\n')}\r\n\r\n${parts
    .map((p) => `--${boundary}\r\n${p}\r\n`)
    .join('')}--${boundary}--\r\n`;
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function encodeAddress(address: string): string {
  const match = /^(.*)<([^>]+)>$/.exec(address.trim());
  if (!match) return address.trim();
  const name = (match[1] ?? '').trim().replace(/^"|"$/g, '');
  return name ? `${encodeWord(name)} <${match[2]}>` : `<${match[2]}>`;
}
