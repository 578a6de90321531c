import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, DynamoDBDocumentClientCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/** How the stores' items are marshalled (undefined values dropped, no class instances). */
const TRANSLATE = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
} as const;

/**
 * A Document client configured the way the stores expect (undefined values dropped). Pass
 * `endpoint` (and any region/credentials) for dynalite; in AWS the defaults come from the Lambda.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), TRANSLATE);
}

/**
 * A Document client for a local dynalite endpoint (dummy credentials, fixed region). A
 * `requestHandler` replaces the HTTP transport (the local server's MessagePort to its dynalite
 * thread); the client is then also the cheaper {@link CachedHandlerDocumentClient}.
 */
export function createLocalDocumentClient(
  endpoint: string,
  requestHandler?: DynamoDBClientConfig['requestHandler'],
): DynamoDBDocumentClient {
  const config = localDynamoConfig(endpoint, requestHandler);
  if (requestHandler === undefined) return createDocumentClient(config);
  return new CachedHandlerDocumentClient(new DynamoDBClient(config));
}

/**
 * The DynamoDB client config of a local dynalite endpoint. With a `requestHandler` (dynalite in
 * this process, reached without a network) requests are not SigV4-signed: dynalite checks only that
 * the Authorization header has the shape of a signature (`AWS4-…` with Credential, SignedHeaders and
 * Signature, beside an X-Amz-Date), never the signature itself, and signing was ~6 % of the local
 * server's CPU on a `GET /executions/{id}`. Over HTTP the SDK signs as it does against AWS.
 */
export function localDynamoConfig(
  endpoint: string,
  requestHandler?: DynamoDBClientConfig['requestHandler'],
): DynamoDBClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    ...(requestHandler === undefined ? {} : { requestHandler, signer: UNSIGNED_LOCAL }),
  };
}

/** The SDK signer slot, filled with one that writes a signature of the right shape only. */
const UNSIGNED_LOCAL: NonNullable<DynamoDBClientConfig['signer']> = {
  sign: async (request) => {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    request.headers['x-amz-date'] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned`;
    return request;
  },
};

/** What the marshalling needs of a lib-dynamodb command (protected members there). */
interface DocumentCommandParts {
  input: Record<string, unknown>;
  inputKeyNodes: KeyNodes;
  outputKeyNodes: KeyNodes;
  clientCommand: { constructor: new (input: unknown) => unknown };
}
/** lib-dynamodb's key-node trees: which members hold native values (`null`: this value itself). */
type KeyNodes = { [member: string]: KeyNodes | null } | KeyNodes[] | null;

/**
 * The Document client of the local server's own connection, built per request as cheaply as the
 * SDK allows: each lib-dynamodb command is marshalled here (as its marshalling middleware would)
 * and sent as the plain DynamoDB command through a client with `cacheMiddleware`, so the
 * middleware stack is resolved once per command kind instead of at every send (lib-dynamodb
 * refuses `cacheMiddleware` because its commands close over themselves in the stack). The SDK's
 * serde, retries, signing and error classes stay as they are; the user-agent, recursion-detection
 * (Lambda's trace header) and logger middlewares are dropped (nothing reads them locally). In one
 * process on a dynalite answering at once: ~240 µs of CPU per update with the stock client, ~130 µs here.
 */
export class CachedHandlerDocumentClient extends DynamoDBDocumentClient {
  constructor(client: DynamoDBClient) {
    super(client, TRANSLATE);
    for (const name of ['getUserAgentMiddleware', 'recursionDetectionMiddleware', 'loggerMiddleware'])
      client.middlewareStack.remove(name);
    // After the Document client's constructor, which refuses the option; the commands that reach
    // the smithy client's send below are plain DynamoDB commands, for which caching is supported.
    (this.config as { cacheMiddleware?: boolean }).cacheMiddleware = true;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloads of send are not reproduced here
  override send(command: any, optionsOrCallback?: any, callback?: any): any {
    if (!(command instanceof DynamoDBDocumentClientCommand) || optionsOrCallback !== undefined)
      return super.send(command, optionsOrCallback, callback);
    const parts = command as unknown as DocumentCommandParts;
    const input = translate(parts.input, parts.inputKeyNodes, (value) =>
      marshall(value, { ...TRANSLATE.marshallOptions, convertTopLevelContainer: true }),
    );
    const plain = new parts.clientCommand.constructor(input);
    return (super.send(plain as never) as Promise<Record<string, unknown>>).then((output) =>
      translate(output, parts.outputKeyNodes, (value) =>
        unmarshall(value as never, { convertWithoutMapWrapper: true }),
      ),
    );
  }
}

/**
 * lib-dynamodb's walk over a command's input or output: the members its key nodes name are
 * (un)marshalled, every other member is kept as it is (functions dropped, as there).
 */
// biome-ignore lint/suspicious/noExplicitAny: values of any shape are walked
function translate(obj: any, keyNodes: KeyNodes, convert: (value: any) => unknown): any {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const out: any = Array.isArray(obj) ? obj.filter((item) => typeof item !== 'function') : {};
  if (!Array.isArray(obj))
    for (const [key, value] of Object.entries(obj)) if (typeof value !== 'function') out[key] = value;
  for (const [key, nodes] of Object.entries(keyNodes ?? {})) {
    const value = obj[key];
    if (typeof value === 'function') continue;
    const converted = walk(value, nodes, convert);
    if (converted !== undefined && typeof converted !== 'function') out[key] = converted;
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: values of any shape are walked
function walk(obj: any, keyNodes: KeyNodes, convert: (value: any) => unknown): unknown {
  if (obj === undefined) return undefined;
  if (keyNodes === null) return convert(obj);
  const names = Object.keys(keyNodes);
  if (names.length === 1 && names[0] === '*') {
    // Every member, one level down, by the same nodes.
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const out: any = Array.isArray(obj) ? [] : {};
    for (const [key, value] of Object.entries(obj ?? {}))
      if (typeof value !== 'function')
        out[key] = walk(value, (keyNodes as Record<string, KeyNodes>)['*'] ?? null, convert);
    return out;
  }
  if (names.length >= 1) return translate(obj, keyNodes, convert);
  // No names: every member is a value.
  if (Array.isArray(obj))
    return obj.filter((item) => typeof item !== 'function').map((item) => walk(item, null, convert));
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const out: any = {};
  for (const [key, value] of Object.entries(obj)) {
    if (typeof value === 'function') continue;
    const converted = walk(value, null, convert);
    if (converted !== undefined && typeof converted !== 'function') out[key] = converted;
  }
  return out;
}
