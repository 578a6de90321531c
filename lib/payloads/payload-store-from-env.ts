import { S3Client } from '@aws-sdk/client-s3';
import { createLocalPayloadStore, payloadDirOf } from './local-payload-store.ts';
import type { PayloadStore } from './payload-store.ts';
import { createS3PayloadStore } from './s3-payload-store.ts';

/**
 * The payload store the environment configures: the S3 bucket `FLOWFORGE_PAYLOAD_BUCKET` (the
 * deployed Lambdas and API), else — outside Lambda — the folder
 * `${FLOWFORGE_DATA_DIR:-.flowforge}/payloads` (`flowforge run`, tests). A Lambda without a bucket
 * has no store (outputs over the limit are then refused, as before).
 */
export function payloadStoreFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadStore | undefined {
  const bucket = env.FLOWFORGE_PAYLOAD_BUCKET;
  if (bucket) return createS3PayloadStore({ client: new S3Client({}), bucket });
  if (env.AWS_LAMBDA_FUNCTION_NAME) return undefined;
  return createLocalPayloadStore(payloadDirOf(env.FLOWFORGE_DATA_DIR || '.flowforge'));
}

/** `FLOWFORGE_INLINE_BYTES` when it is a positive integer, else `fallback`. */
export function inlineBytesFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.FLOWFORGE_INLINE_BYTES);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
