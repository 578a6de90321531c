import * as z from 'zod/mini';

const ADDRESS = /^(?:[^\s@<>]+@[^\s@<>]+|[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>)$/;
const address = z.string().check(z.maxLength(320), z.regex(ADDRESS, 'not an email address'));
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
    subject: z
      .string()
      .check(z.minLength(1), z.maxLength(998), z.regex(/^[^\r\n]*$/, 'a subject is one line')),
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
