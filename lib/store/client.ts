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

/**
 * A Document client for a local dynalite endpoint (dummy credentials, fixed region). A
 * `requestHandler` replaces the HTTP transport (the local server's MessagePort to its dynalite thread).
 */
export function createLocalDocumentClient(
  endpoint: string,
  requestHandler?: DynamoDBClientConfig['requestHandler'],
): DynamoDBDocumentClient {
  return createDocumentClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    ...(requestHandler === undefined ? {} : { requestHandler }),
  });
}
