import * as z from 'zod/mini';
import { HEADER_BREAK, parseMailbox } from './addresses.ts';

const address = z.string().check(
  z.maxLength(320),
  z.refine((value) => !HEADER_BREAK.test(value), 'must not contain CR, LF, NUL or U+2028/U+2029'),
  z.refine(
    (value) => HEADER_BREAK.test(value) || parseMailbox(value) !== undefined,
    'not one email address (RFC 5322: addr@domain or "Name" <addr@domain>; lists go in an array)',
  ),
);
const addresses = z.union([address, z.array(address).check(z.minLength(1), z.maxLength(50))]);

const fileValueSchema = z.strictObject({
  file: z.looseObject({
    name: z.string().check(z.minLength(1), z.maxLength(255)),
    contentType: z.string().check(z.minLength(1), z.maxLength(255)),
    bytes: z.int().check(z.gte(0)),
    sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
    ref: z.string().check(z.minLength(1), z.maxLength(1024)),
  }),
});

/**
 * Config of the `email` action: recipients (`to` required; `cc`, `bcc`), `subject`, a `text` and/or
 * `html` body, and an optional `from` that must belong to the configured identity
 * (`FLOWFORGE_EMAIL_FROM`: an address, or a domain every sender of which is allowed).
 */
export const emailConfigSchema = z
  .strictObject({
    to: addresses,
    cc: z.optional(addresses),
    bcc: z.optional(addresses),
    subject: z.string().check(
      z.minLength(1),
      z.maxLength(998),
      z.refine((value) => !HEADER_BREAK.test(value), 'a subject is one line (no CR, LF, NUL, U+2028/U+2029)'),
    ),
    text: z.optional(z.string().check(z.maxLength(256 * 1024))),
    html: z.optional(z.string().check(z.maxLength(256 * 1024))),
    from: z.optional(address),
    replyTo: z.optional(addresses),
    /** File values (`{ file: {…} }`, DESIGN.md §2.2), sent as attachments; at most 10. */
    attachments: z.optional(z.array(fileValueSchema).check(z.maxLength(10))),
  })
  .check(
    z.refine((config) => config.text !== undefined || config.html !== undefined, {
      message: 'give a text or an html body',
      path: ['text'],
    }),
  );

/** The parsed `email` config. */
export type EmailConfig = z.output<typeof emailConfigSchema>;

/** Output of the `email` action. */
export interface EmailOutput {
  messageId: string;
}
