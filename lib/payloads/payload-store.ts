import { randomBytes } from 'node:crypto';

/**
 * The payload store (DESIGN.md §2.1 "Large data", §2.2 "Files"): values too large for a Step
 * Functions state live here and the state carries a {@link PayloadRef}. Two adapters keep the
 * objects: S3 in AWS (`s3-payload-store.ts`) and a folder under the data dir locally
 * (`local-payload-store.ts`); {@link createPayloadStore} puts the JSON/bytes API and the key
 * rules on top of either.
 */

/** A value kept in the payload store: `{ "$ffref": "<opaque key>", "bytes": <size of its JSON> }`. */
export interface PayloadRef {
  $ffref: string;
  bytes: number;
}

/**
 * Who a payload belongs to. The key starts `<tenant>/<flowId>/<executionId>/<nodeId>/`, so every
 * reader checks that a reference belongs to its own tenant (the action core against the Task's
 * `execution.tenant`, the API against the caller's), and ends with 128 random bits, so a key cannot
 * be guessed from anything a tenant can see. Without a tenant (`flowforge run`) the segment is `~`,
 * which no tenant id can be.
 */
export interface PayloadScope {
  tenant?: string;
  flowId: string;
  executionId: string;
  nodeId: string;
}

/** The port: JSON and bytes in and out under keys it makes itself. */
export interface PayloadStore {
  /** Keeps `value` as JSON; answers its reference. */
  putJson(scope: PayloadScope, value: unknown): Promise<PayloadRef>;
  /** The JSON value under `key` (`PayloadNotFound` when there is none, `InvalidPayloadKey` for a bad key). */
  getJson(key: string): Promise<unknown>;
  /** Keeps raw bytes (files); answers the key and the size. */
  putBytes(
    scope: PayloadScope,
    body: Uint8Array,
    options?: { contentType?: string },
  ): Promise<{ key: string; bytes: number }>;
  /** The bytes under `key`. */
  getBytes(key: string): Promise<Uint8Array>;
}

/** What an adapter does: keep and return objects under keys already checked by {@link createPayloadStore}. */
export interface PayloadObjects {
  write(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Rejects with {@link PayloadNotFoundError} when there is no object under `key`. */
  read(key: string): Promise<Uint8Array>;
}

/** Base of the payload store's errors. */
export class PayloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadError';
  }
}

/** No payload under that key (expired by the lifecycle rule, or never written). */
export class PayloadNotFoundError extends PayloadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadNotFound';
  }
}

/** A key that is not of the form this store makes (e.g. `../`), refused before any read. */
export class InvalidPayloadKeyError extends PayloadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidPayloadKey';
  }
}

/** The store could not be reached or refused the call (S3 errors, disk errors). */
export class PayloadStoreUnavailableError extends PayloadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadStoreUnavailable';
  }
}

const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;
const LEAF = /^[A-Za-z0-9_-]{22}\.(json|bin)$/;
/** The tenant segment of payloads written without a tenant (not a valid tenant id). */
const NO_TENANT = '~';

/** One key segment from a scope value: characters outside `[A-Za-z0-9_-]` become `_` (at most 128). */
export function keySegment(value: string): string {
  const segment = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
  return segment.length > 0 ? segment : '_';
}

/** `<tenant>/`: every key of one tenant starts so (`~/` without a tenant). */
export function tenantKeyPrefix(tenant: string | undefined): string {
  return `${tenant === undefined ? NO_TENANT : keySegment(tenant)}/`;
}

/** `<tenant>/<flowId>/`: every key of one flow starts so. */
export function flowKeyPrefix(flowId: string, tenant?: string): string {
  return `${tenantKeyPrefix(tenant)}${keySegment(flowId)}/`;
}

/** `<tenant>/<flowId>/<executionId>/`: every key of one execution starts so. */
export function executionKeyPrefix(scope: Pick<PayloadScope, 'tenant' | 'flowId' | 'executionId'>): string {
  return `${tenantKeyPrefix(scope.tenant)}${keySegment(scope.flowId)}/${keySegment(scope.executionId)}/`;
}

/** A fresh key `<tenant>/<flowId>/<executionId>/<nodeId>/<128 random bits, base64url>.<json|bin>`. */
export function newPayloadKey(scope: PayloadScope, extension: 'json' | 'bin'): string {
  return `${executionKeyPrefix(scope)}${keySegment(scope.nodeId)}/${randomBytes(16).toString('base64url')}.${extension}`;
}

/**
 * A fresh folder `<tenant>/<flowId>/<executionId>/<nodeId>/<128 random bits, base64url>` for a
 * Distributed Map's ResultWriter: Step Functions writes `<folder>/<map run id>/manifest.json` and
 * `…/SUCCEEDED_<n>.json` (FAILED_, PENDING_) under it, which {@link checkPayloadKey} accepts too.
 */
export function newResultsPrefix(scope: PayloadScope): string {
  return `${executionKeyPrefix(scope)}${keySegment(scope.nodeId)}/${randomBytes(16).toString('base64url')}`;
}

const RESULTS_FOLDER = /^[A-Za-z0-9_-]{22}$/;
const RESULTS_LEAF = /^(manifest|(SUCCEEDED|FAILED|PENDING)_\d{1,9})\.json$/;

/**
 * Throws {@link InvalidPayloadKeyError} unless `key` has exactly the shape {@link newPayloadKey}
 * makes, or is a ResultWriter file under a {@link newResultsPrefix} folder.
 */
export function checkPayloadKey(key: unknown): string {
  const parts = typeof key === 'string' ? key.split('/') : [];
  const [tenant = '', flowId = '', executionId = '', nodeId = '', leaf = '', run = '', file = ''] = parts;
  const scoped =
    (tenant === NO_TENANT || SEGMENT.test(tenant)) &&
    [flowId, executionId, nodeId].every((part) => SEGMENT.test(part));
  const valid =
    scoped &&
    ((parts.length === 5 && LEAF.test(leaf)) ||
      (parts.length === 7 && RESULTS_FOLDER.test(leaf) && SEGMENT.test(run) && RESULTS_LEAF.test(file)));
  if (!valid) throw new InvalidPayloadKeyError(`Not a payload key: ${JSON.stringify(key)}`);
  return key as string;
}

/** The JSON/bytes store over one adapter's objects (the port's only implementation). */
export function createPayloadStore(objects: PayloadObjects): PayloadStore {
  return {
    async putJson(scope, value) {
      const body = Buffer.from(JSON.stringify(value ?? null));
      const key = newPayloadKey(scope, 'json');
      await objects.write(key, body, 'application/json');
      return { $ffref: key, bytes: body.byteLength };
    },
    async getJson(key) {
      const body = await objects.read(checkPayloadKey(key));
      return JSON.parse(Buffer.from(body).toString('utf8'));
    },
    async putBytes(scope, body, options) {
      const key = newPayloadKey(scope, 'bin');
      await objects.write(key, body, options?.contentType ?? 'application/octet-stream');
      return { key, bytes: body.byteLength };
    },
    async getBytes(key) {
      return objects.read(checkPayloadKey(key));
    },
  };
}
