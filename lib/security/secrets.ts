import { SecurityError } from './security-error.ts';

/** A secret reference found in a string: `{{ secret:ssm:/path }}` or `{{ secret:sm:name }}`. */
export interface SecretReference {
  store: 'ssm' | 'sm';
  name: string;
}

/** Resolves one reference to its plaintext value. */
export type SecretResolver = (reference: SecretReference) => Promise<string>;

/** A secret could not be resolved (missing, no access, store unreachable). Never carries the value. */
export class SecretUnavailableError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretUnavailable';
  }
}

// Same grammar as lib/workflow/template.ts, which leaves these references in place for run time.
const REFERENCE_SOURCE = String.raw`\{\{\s*secret:(ssm|sm):([A-Za-z0-9/_+=.@-]{1,2048})\s*\}\}`;
const REFERENCE = new RegExp(REFERENCE_SOURCE);

/** True when `value` holds at least one secret reference. */
export function hasSecretReference(value: string): boolean {
  return REFERENCE.test(value);
}

/**
 * Replaces every secret reference in `value` with the resolved plaintext. Returns the new string
 * and the plaintexts used, so callers can keep them out of logs, outputs and errors (see
 * {@link redactSecrets}). A failing resolver becomes {@link SecretUnavailableError} naming the
 * reference, never a value.
 */
export async function resolveSecretReferences(
  value: string,
  resolve: SecretResolver,
): Promise<{ value: string; secrets: string[] }> {
  const matches = [...value.matchAll(new RegExp(REFERENCE_SOURCE, 'g'))];
  if (matches.length === 0) return { value, secrets: [] };
  const secrets: string[] = [];
  let out = '';
  let last = 0;
  for (const match of matches) {
    const store = match[1] as 'ssm' | 'sm';
    const name = match[2] ?? '';
    let plaintext: string;
    try {
      plaintext = await resolve({ store, name });
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'error';
      throw new SecretUnavailableError(`secret ${store}:${name} could not be resolved (${reason})`);
    }
    secrets.push(plaintext);
    out += value.slice(last, match.index) + plaintext;
    last = (match.index ?? 0) + match[0].length;
  }
  return { value: out + value.slice(last), secrets };
}

/** Replaces every occurrence of each secret in `text` by `***` (secrets shorter than 4 characters are left alone). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/**
 * The AWS resolver: SSM parameters through Powertools `getParameter` (decrypted) and Secrets
 * Manager secrets through `getSecret`, both cached for `maxAgeSeconds` (default 300) per warm Lambda.
 * The Powertools modules load on first use, so actions without secrets never pay for them.
 */
export function createAwsSecretResolver(options: { maxAgeSeconds?: number } = {}): SecretResolver {
  const maxAge = options.maxAgeSeconds ?? 300;
  return async ({ store, name }) => {
    let value: unknown;
    if (store === 'ssm') {
      const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
      value = await getParameter(name, { decrypt: true, maxAge });
    } else {
      const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
      value = await getSecret(name, { maxAge });
    }
    if (typeof value !== 'string')
      throw new SecretUnavailableError(`secret ${store}:${name} is not a string`);
    return value;
  };
}
