import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  createPayloadStore,
  PayloadNotFoundError,
  type PayloadObjects,
  type PayloadStore,
  PayloadStoreUnavailableError,
} from './payload-store.ts';

/**
 * The AWS adapter: one S3 object per payload in `bucket` under its key (PutObject / GetObject, no
 * other call). Encryption, public-access block and expiry are the bucket's (infra/stateful-stack.ts).
 * `NoSuchKey` becomes {@link PayloadNotFoundError}; every other SDK error {@link PayloadStoreUnavailableError}.
 */
export function createS3PayloadStore(options: { client: S3Client; bucket: string }): PayloadStore {
  const { client, bucket } = options;
  const objects: PayloadObjects = {
    async write(key, body, contentType) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        );
      } catch (error) {
        throw new PayloadStoreUnavailableError(`Cannot write payload ${key}: ${(error as Error).name}`, {
          cause: error,
        });
      }
    },
    async read(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!response.Body) throw new PayloadNotFoundError(`No payload ${key}`);
        return await response.Body.transformToByteArray();
      } catch (error) {
        if (error instanceof PayloadNotFoundError) throw error;
        const name = (error as Error).name;
        if (name === 'NoSuchKey' || name === 'NotFound')
          throw new PayloadNotFoundError(`No payload ${key}`, { cause: error });
        throw new PayloadStoreUnavailableError(`Cannot read payload ${key}: ${name}`, { cause: error });
      }
    },
  };
  return createPayloadStore(objects);
}
