import { createRequire } from 'node:module';

/** Characters that end or fold a header line in some reader: never in any header value. */
export const HEADER_BREAK = /[\r\n\0\u0085\u2028\u2029]/;

interface ParsedMailbox {
  type: string;
  address: string;
  name: string | null;
}
type ParseOne = (options: { input: string; rejectTLD: boolean }) => ParsedMailbox | null;
let parseOne: ParseOne | undefined;

/**
 * One RFC 5322 mailbox (`addr@domain` or `Display Name <addr@domain>`), parsed by `email-addresses`;
 * `undefined` for anything else: a list (`a@x.com, b@y.com`), a group, a name that smuggles another
 * address, or a value holding a line break (CR, LF, NUL, NEL, U+2028/U+2029). Loaded on first use through
 * `require` (the API validates configs and keeps its bundle small; functions ship the package).
 */
export function parseMailbox(value: string): { address: string; name?: string } | undefined {
  if (HEADER_BREAK.test(value)) return undefined;
  parseOne ??= (createRequire(import.meta.url)('email-addresses') as { parseOneAddress: ParseOne })
    .parseOneAddress;
  const parsed = parseOne({ input: value, rejectTLD: false });
  if (parsed?.type !== 'mailbox' || typeof parsed.address !== 'string') return undefined;
  const name = parsed.name?.trim();
  return name ? { address: parsed.address, name } : { address: parsed.address };
}

/** Encodes a header text as an RFC 2047 word when it is not plain printable ASCII. */
export const encodeWord = (text: string): string =>
  /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

/**
 * A mailbox as one header item: parsed (RFC 5322), the display name quoted (or an encoded word when
 * not ASCII), so a name's comma or quote can never split it into a second recipient.
 */
export function formatMailbox(value: string): string {
  const mailbox = parseMailbox(value);
  if (!mailbox) throw new TypeError('not one email address');
  if (mailbox.name === undefined) return mailbox.address;
  // Atoms and spaces stand as they are; RFC 5322 specials (`,` `"` `<` `@` …) are quoted.
  const name = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/.test(mailbox.name)
    ? mailbox.name
    : /^[\x20-\x7e]*$/.test(mailbox.name)
      ? `"${mailbox.name.replace(/["\\]/g, '\\$&')}"`
      : encodeWord(mailbox.name);
  return `${name} <${mailbox.address}>`;
}
