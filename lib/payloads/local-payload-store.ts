import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  createPayloadStore,
  PayloadNotFoundError,
  type PayloadObjects,
  type PayloadStore,
  PayloadStoreUnavailableError,
} from './payload-store.ts';

/** The folder of local mode's payloads: `<dataDir>/payloads`. */
export const payloadDirOf = (dataDir: string): string => join(dataDir, 'payloads');

/**
 * The local adapter: one file per payload at `<root>/<key>` (keys are checked by the store, so a
 * key never leaves the folder). Writes go to a temporary file renamed into place, so a reader never
 * sees half a payload. Nothing expires (the S3 bucket's lifecycle rule has no local counterpart).
 */
export function createLocalPayloadStore(root: string): PayloadStore {
  const base = resolve(root);
  const objects: PayloadObjects = {
    async write(key, body) {
      const path = join(base, key);
      try {
        await mkdir(dirname(path), { recursive: true });
        const temporary = `${path}.${process.pid}.tmp`;
        await writeFile(temporary, body);
        await rename(temporary, path);
      } catch (error) {
        throw new PayloadStoreUnavailableError(`Cannot write payload ${key}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async read(key) {
      try {
        return await readFile(join(base, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          throw new PayloadNotFoundError(`No payload ${key}`, { cause: error });
        throw new PayloadStoreUnavailableError(`Cannot read payload ${key}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
  };
  return createPayloadStore(objects);
}
