import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, translateSdkError } from './errors.ts';

/**
 * Writes `item` only where no live item has its key: one conditional put, the store's way of
 * creating anything without transactions. With `expiredBefore` (epoch seconds) an item whose
 * `expiresAt` has passed counts as absent too (dynalite has no TTL). Returns `true` when written,
 * `false` when a live item was there; any other SDK error is translated (`what` names the operation).
 */
export async function putIfAbsent(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  what: string,
  options: { expiredBefore?: number } = {},
): Promise<boolean> {
  const expiring = options.expiredBefore !== undefined;
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: expiring
          ? 'attribute_not_exists(pk) OR expiresAt <= :now'
          : 'attribute_not_exists(pk)',
        ...(expiring ? { ExpressionAttributeValues: { ':now': options.expiredBefore } } : {}),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw translateSdkError(error, what);
  }
}
