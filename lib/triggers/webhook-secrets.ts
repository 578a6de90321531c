import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import {
  DeleteParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { generateWebhookSecret } from '../security/webhook-signature.ts';
import { TriggerConfigurationError, TriggerRegistrationError } from './errors.ts';

/**
 * Where webhook signing secrets live. A trigger registration stores only a `secretRef`:
 * - the secret itself, bare (`whsec_…`, what the local registrar's inline vault stores) or as
 *   `plain:<secret>` — local mode, where the store is on the user's own disk;
 * - `ssm:<parameter name>` — an SSM SecureString parameter (AWS mode, generated secrets);
 * - `secretsmanager:<secret id or ARN>` — a Secrets Manager secret (AWS mode, user-managed).
 * A value holding several whitespace- or comma-separated secrets is a rotation: each is accepted.
 */

const PLAIN = 'plain:';
const SSM = 'ssm:';
const SECRETS_MANAGER = 'secretsmanager:';

function splitSecrets(value: string, secretRef: string): string[] {
  const secrets = value.split(/[\s,]+/).filter(Boolean);
  if (secrets.length === 0)
    throw new TriggerConfigurationError(`webhook secret ${redact(secretRef)} is empty`);
  return secrets;
}

function isReference(secretRef: string): boolean {
  return secretRef.startsWith(SSM) || secretRef.startsWith(SECRETS_MANAGER);
}

/** The reference as it may appear in logs and errors (an inline secret is never shown). */
export function redact(secretRef: string): string {
  return isReference(secretRef) ? secretRef : 'inline secret';
}

/**
 * Local mode: the secrets of an inline reference (`whsec_…`, several for a rotation, optionally
 * prefixed `plain:`). `ssm:`/`secretsmanager:` references need AWS and throw `TriggerConfigurationError`.
 */
export async function resolveLocalWebhookSecrets(secretRef: string): Promise<string[]> {
  if (isReference(secretRef)) {
    throw new TriggerConfigurationError(
      `webhook secret ${secretRef} needs AWS; local mode keeps secrets inline`,
    );
  }
  return splitSecrets(secretRef.startsWith(PLAIN) ? secretRef.slice(PLAIN.length) : secretRef, secretRef);
}

/** How the triggers keep webhook signing secrets (adapters: `createLocalWebhookSecrets`, `createAwsWebhookSecrets`). */
export interface WebhookSecrets {
  /** Creates a new secret for a webhook trigger: the secret (shown once) and the reference to store. */
  create(tenantId: string, flowId: string, triggerId: string): Promise<{ secret: string; secretRef: string }>;
  /** The current secrets of a reference (several during a rotation). */
  resolve(secretRef: string): Promise<string[]>;
  /** Deletes a secret this adapter created; references it did not create are left alone. */
  remove(secretRef: string): Promise<void>;
}

/** Local mode: secrets are generated and kept inline in the registration (`plain:whsec_…`). */
export function createLocalWebhookSecrets(): WebhookSecrets {
  return {
    async create() {
      const secret = generateWebhookSecret();
      return { secret, secretRef: PLAIN + secret };
    },
    resolve: resolveLocalWebhookSecrets,
    async remove() {},
  };
}

export interface AwsWebhookSecretsOptions {
  ssm: SSMClient;
  /** Parameter path under which generated secrets are written, e.g. `/flowforge/prod/webhooks`. */
  parameterPrefix: string;
  /** Customer managed KMS key for the SecureString (default: the account's `alias/aws/ssm`). */
  kmsKeyId?: string;
  /** Seconds a resolved secret is cached in the Lambda (Powertools Parameters); default 60. */
  maxAgeSeconds?: number;
  /** Only for tests: a Secrets Manager provider. */
  secretsProvider?: SecretsProvider;
}

/**
 * AWS mode: generated secrets are SSM SecureString parameters; resolution goes through
 * Powertools Parameters (decrypted, cached for `maxAgeSeconds`), so a rotation written to the
 * parameter (`whsec_new whsec_old`) is picked up within that time.
 */
export function createAwsWebhookSecrets(options: AwsWebhookSecretsOptions): WebhookSecrets {
  const prefix = options.parameterPrefix.replace(/\/+$/, '');
  const maxAge = options.maxAgeSeconds ?? 60;
  const ssmProvider = new SSMProvider({ awsSdkV3Client: options.ssm });
  let secretsProvider = options.secretsProvider;

  return {
    async create(tenantId, flowId, triggerId) {
      const name = `${prefix}/${tenantId}/${flowId}/${triggerId}`;
      const secret = generateWebhookSecret();
      try {
        await options.ssm.send(
          new PutParameterCommand({
            Name: name,
            Value: secret,
            Type: 'SecureString',
            Overwrite: true,
            Description: `FlowForge webhook signing secret of ${tenantId}/${flowId} trigger ${triggerId}`,
            ...(options.kmsKeyId ? { KeyId: options.kmsKeyId } : {}),
          }),
        );
      } catch (error) {
        throw new TriggerRegistrationError(`could not store the webhook secret ${name}`, { cause: error });
      }
      return { secret, secretRef: SSM + name };
    },
    async resolve(secretRef) {
      let value: unknown;
      try {
        if (secretRef.startsWith(SSM)) {
          value = await ssmProvider.get(secretRef.slice(SSM.length), { decrypt: true, maxAge });
        } else if (secretRef.startsWith(SECRETS_MANAGER)) {
          secretsProvider ??= new SecretsProvider();
          value = await secretsProvider.get(secretRef.slice(SECRETS_MANAGER.length), { maxAge });
        } else {
          throw new TriggerConfigurationError(
            `webhook secret reference ${redact(secretRef)} must be ssm:<name> or secretsmanager:<id> in AWS`,
          );
        }
      } catch (error) {
        if (error instanceof TriggerConfigurationError) throw error;
        throw new TriggerConfigurationError(`could not read webhook secret ${secretRef}`, { cause: error });
      }
      if (typeof value !== 'string') {
        throw new TriggerConfigurationError(`webhook secret ${secretRef} is missing or not a string`);
      }
      return splitSecrets(value, secretRef);
    },
    async remove(secretRef) {
      if (!secretRef.startsWith(`${SSM}${prefix}/`)) return;
      try {
        await options.ssm.send(new DeleteParameterCommand({ Name: secretRef.slice(SSM.length) }));
      } catch (error) {
        if (error instanceof ParameterNotFound) return;
        throw new TriggerRegistrationError(`could not delete webhook secret ${secretRef}`, { cause: error });
      }
    },
  };
}
