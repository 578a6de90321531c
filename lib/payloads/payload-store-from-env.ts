import { createLocalPayloadStore, payloadDirOf } from './local-payload-store.ts';
import type { PayloadStore } from './payload-store.ts';

/**
 * The payload store the environment configures: the S3 bucket `FLOWFORGE_PAYLOAD_BUCKET` (the
 * deployed Lambdas and API), else — outside Lambda — the folder
 * `${FLOWFORGE_DATA_DIR:-.flowforge}/payloads` (`flowforge run`, tests). A Lambda without a bucket
 * has no store (outputs over the limit are then refused, as before). The S3 client is loaded on
 * the first call, so a run that never offloads never imports it.
 */
export function payloadStoreFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadStore | undefined {
  const bucket = env.FLOWFORGE_PAYLOAD_BUCKET;
  if (bucket) {
    return lazyPayloadStore(async () => {
      const [{ S3Client }, { createS3PayloadStore }] = await Promise.all([
        import('@aws-sdk/client-s3'),
        import('./s3-payload-store.ts'),
      ]);
      return createS3PayloadStore({ client: new S3Client({}), bucket });
    });
  }
  if (env.AWS_LAMBDA_FUNCTION_NAME) return undefined;
  return createLocalPayloadStore(payloadDirOf(env.FLOWFORGE_DATA_DIR || '.flowforge'));
}

/** A store that creates the real one on its first call (once). */
export function lazyPayloadStore(load: () => Promise<PayloadStore>): PayloadStore {
  let loaded: Promise<PayloadStore> | undefined;
  const store = () => {
    loaded ??= load();
    return loaded;
  };
  return {
    putJson: async (scope, value) => (await store()).putJson(scope, value),
    getJson: async (key) => (await store()).getJson(key),
    putBytes: async (scope, body, options) => (await store()).putBytes(scope, body, options),
    getBytes: async (key) => (await store()).getBytes(key),
  };
}
