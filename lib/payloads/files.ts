import { createHash } from 'node:crypto';
import { checkPayloadKey, flowKeyPrefix, type PayloadScope, type PayloadStore } from './payload-store.ts';

/**
 * Files (DESIGN.md §2.2): a value `{ "file": { name, contentType, bytes, sha256, ref } }` whose
 * content lives in the payload store under `ref` (a payload key, `…/<random>.bin`). Only the
 * metadata travels in states, so files count against no state limit; code and transform see the
 * metadata, http uploads and email attachments read the bytes.
 */
export interface FileValue {
  file: FileInfo;
}

/** The metadata of a file. `sha256` is the hex digest of its content. */
export interface FileInfo {
  name: string;
  contentType: string;
  bytes: number;
  sha256: string;
  ref: string;
}

/** Default largest file (`FLOWFORGE_FILE_MAX_BYTES`): 25 MiB. */
export const DEFAULT_FILE_MAX_BYTES = 25 * 1024 * 1024;

/** The deployment's file limits: size, and the content types allowed (empty: any). */
export interface FileLimits {
  maxBytes: number;
  /** Allowed types or `type/*` families (`FLOWFORGE_FILE_CONTENT_TYPES`, comma-separated). */
  contentTypes: readonly string[];
}

/** Base of the file errors (`name` is stable, as for action errors). Not retryable. */
export class FileError extends Error {
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileError';
  }
}

/** A file over the deployment's size limit. */
export class FileTooLargeError extends FileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileTooLarge';
  }
}

/** A content type the deployment does not allow. */
export class FileTypeRefusedError extends FileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileTypeRefused';
  }
}

/** The file's bytes are gone or do not match its `sha256`, or there is no payload store. */
export class FileUnavailableError extends FileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileUnavailable';
  }
}

/** The limits the environment sets (`FLOWFORGE_FILE_MAX_BYTES`, `FLOWFORGE_FILE_CONTENT_TYPES`). */
export function fileLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): FileLimits {
  const max = Number(env.FLOWFORGE_FILE_MAX_BYTES);
  return {
    maxBytes: Number.isInteger(max) && max > 0 ? max : DEFAULT_FILE_MAX_BYTES,
    contentTypes: (env.FLOWFORGE_FILE_CONTENT_TYPES ?? '')
      .split(',')
      .map((type) => type.trim().toLowerCase())
      .filter(Boolean),
  };
}

/** True for a `{ file: { name, contentType, bytes, sha256, ref } }` value. */
export function isFileValue(value: unknown): value is FileValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'file') return false;
  const info = (value as { file: unknown }).file as Partial<FileInfo> | null;
  return (
    typeof info === 'object' &&
    info !== null &&
    typeof info.name === 'string' &&
    typeof info.contentType === 'string' &&
    typeof info.bytes === 'number' &&
    typeof info.sha256 === 'string' &&
    typeof info.ref === 'string'
  );
}

/** The media type without parameters, lower-cased (`text/plain; charset=x` → `text/plain`). */
export const mediaType = (contentType: string): string =>
  (contentType.split(';')[0] ?? '').trim().toLowerCase();

/** Throws {@link FileTypeRefusedError} unless `contentType` is allowed by `limits`. */
export function checkContentType(contentType: string, limits: FileLimits): void {
  if (limits.contentTypes.length === 0) return;
  const type = mediaType(contentType);
  const family = `${type.split('/')[0]}/*`;
  if (!limits.contentTypes.includes(type) && !limits.contentTypes.includes(family))
    throw new FileTypeRefusedError(
      `content type ${type || '(none)'} is not allowed for files (allowed: ${limits.contentTypes.join(', ')})`,
    );
}

/**
 * Keeps `body` in the payload store as a file of `scope`'s node, checking the limits, and answers
 * its file value.
 */
export async function storeFile(
  payloads: PayloadStore | undefined,
  scope: PayloadScope,
  body: Uint8Array,
  meta: { name: string; contentType: string },
  limits: FileLimits = fileLimitsFromEnv(),
): Promise<FileValue> {
  if (!payloads) throw new FileUnavailableError('files need the payload store, and none is configured');
  if (body.byteLength > limits.maxBytes)
    throw new FileTooLargeError(
      `the file is ${body.byteLength} bytes, over the ${limits.maxBytes}-byte limit`,
    );
  checkContentType(meta.contentType, limits);
  const stored = await payloads.putBytes(scope, body, { contentType: meta.contentType });
  return {
    file: {
      name: meta.name,
      contentType: meta.contentType,
      bytes: stored.bytes,
      sha256: createHash('sha256').update(body).digest('hex'),
      ref: stored.key,
    },
  };
}

/**
 * The bytes of a file value, from the payload store, checked against its `sha256` and size. Only
 * files of `flowId` of `tenant` (its keys start `<tenant>/<flowId>/`) are read: a flow cannot read
 * another flow's files, nor another tenant's.
 */
export async function readFile(
  payloads: PayloadStore | undefined,
  value: FileValue,
  flowId: string,
  tenant?: string,
): Promise<Uint8Array> {
  if (!payloads) throw new FileUnavailableError('files need the payload store, and none is configured');
  const { ref, sha256, name } = value.file;
  let key: string;
  try {
    key = checkPayloadKey(ref);
  } catch (error) {
    throw new FileUnavailableError(`file "${name}": its ref is not a file reference`, { cause: error });
  }
  if (!key.endsWith('.bin') || !key.startsWith(flowKeyPrefix(flowId, tenant)))
    throw new FileUnavailableError(`file "${name}" does not belong to this flow`);
  let body: Uint8Array;
  try {
    body = await payloads.getBytes(key);
  } catch (error) {
    throw new FileUnavailableError(`file "${name}" could not be read: ${(error as Error).message}`, {
      cause: (error as Error).name,
    });
  }
  if (createHash('sha256').update(body).digest('hex') !== sha256)
    throw new FileUnavailableError(`file "${name}": its content does not match its sha256`);
  return body;
}
