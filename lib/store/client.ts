import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A Document client configured the way the stores expect (undefined values dropped). Pass
 * `endpoint` (and any region/credentials) for dynalite; in AWS the defaults come from the Lambda.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

type Signer = Extract<NonNullable<DynamoDBClientConfig['signer']>, { sign: unknown }>;

/**
 * What a local (dynalite) endpoint is sent instead of a SigV4 signature. dynalite checks that the
 * `Authorization` header has SigV4's shape and that `X-Amz-Date` is there, never the signature
 * itself (there is no secret to check it against), and computing a real one is about a third of
 * the client's own CPU per call. Only local clients use it.
 */
export const localDynamoDbSigner: Signer = {
  sign: async (request) => {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    request.headers['x-amz-date'] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=local`;
    return request;
  },
};

/** A Document client for a local dynalite endpoint (dummy credentials, fixed region, no signing). */
export function createLocalDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return createDocumentClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    signer: localDynamoDbSigner,
  });
}
