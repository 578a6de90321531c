import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DeployedMachine } from '../runtime/state-machines.ts';
import { compact, gzipJson, packedSize, packJson, unpackJson } from './codec.ts';
import {
  AlreadyExistsError,
  ItemTooLargeError,
  isConditionalCheckFailed,
  NotFoundError,
  translateSdkError,
  VersionConflictError,
} from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { queryPage } from './query.ts';
import { GSI1_NAME, ID_PATTERN, keys } from './table.ts';
import type {
  Clock,
  FlowStorePort,
  FlowSummary,
  FlowVersion,
  FlowVersionSummary,
  NewFlowVersion,
  Page,
  PageRequest,
  TriggerSummary,
} from './types.ts';

type Item = Record<string, unknown>;

/** A version body (definition + ASL + report, gzip) larger than this is split into part items. */
export const INLINE_BODY_LIMIT_BYTES = 300_000;
/** Size of each part item's chunk. */
export const PART_BYTES = 300_000;
/** Versions above this many parts (~30 MB compressed) are refused. */
const MAX_PARTS = 100;

const SUMMARY_ATTRIBUTES = [
  'tenant',
  'flowId',
  'version',
  'name',
  'createdAt',
  'createdBy',
  'triggers',
  'machineArn',
  'machineVersionArn',
];

/**
 * Flows (a head item per flow) and their immutable versions (one item per version) without
 * transactions. A save is two single-item conditional writes:
 *
 * 1. read the head (consistent): it must be live with `latestVersion = expectedVersion`;
 * 2. put version `n = expectedVersion + 1` with `attribute_not_exists` — of concurrent savers
 *    only one can create it, the others get `VersionConflictError`;
 * 3. move the head to `n`, conditional on `latestVersion = expectedVersion`.
 *
 * A version item above the head's `latestVersion` is invisible to every reader. If a saver dies
 * between 2 and 3, the next saver that finds version `n` taken while the head is still at
 * `n - 1` rolls the head forward to it (the orphan is a complete version) and answers a conflict;
 * the saver whose head move fails because someone rolled forward for it still succeeds. So no
 * acknowledged version is ever lost and no save is acknowledged twice for one number.
 *
 * Version documents are gzip-compressed; a body over `INLINE_BODY_LIMIT_BYTES` compressed goes
 * into part items (`VP#…`) written before the version item and keyed by the writer's id, so a
 * losing writer's parts are never read.
 */
export class FlowStore implements FlowStorePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async createFlow(tenant: string, input: NewFlowVersion & { flowId?: string }): Promise<FlowVersion> {
    const flowId = input.flowId ?? randomUUID();
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId)) {
      throw new NotFoundError('tenant and flowId must match [a-zA-Z0-9_-]{1,128}');
    }
    const now = this.clock().toISOString();
    const writeId = randomUUID();
    try {
      await this.putVersionItem(tenant, flowId, 1, writeId, input, now);
    } catch (error) {
      if (isConditionalCheckFailed(error))
        throw new AlreadyExistsError(`flow ${flowId} already exists`, { cause: error });
      throw translateSdkError(error, 'creating a flow');
    }
    const head: Item = {
      pk: keys.flow(tenant, flowId),
      sk: keys.flowHeadSk,
      type: 'flow',
      tenant,
      flowId,
      name: input.definition.name,
      latestVersion: 1,
      latestWriteId: writeId,
      createdAt: now,
      updatedAt: now,
      deleted: false,
      gsi1pk: keys.flowsIndex(tenant),
      gsi1sk: `${now}#${flowId}`,
    };
    if (!(await putIfAbsent(this.client, this.tableName, head, 'creating a flow'))) {
      throw new AlreadyExistsError(`flow ${flowId} already exists`);
    }
    return this.toVersion(tenant, flowId, 1, now, input);
  }

  async saveVersion(
    tenant: string,
    flowId: string,
    expectedVersion: number,
    input: NewFlowVersion,
  ): Promise<FlowVersion> {
    const head = await this.liveHead(tenant, flowId);
    if (head.latestVersion !== expectedVersion) {
      throw new VersionConflictError(
        `flow ${flowId} is at version ${head.latestVersion}, not ${expectedVersion}`,
      );
    }
    const version = expectedVersion + 1;
    const now = this.clock().toISOString();
    const writeId = randomUUID();
    try {
      await this.putVersionItem(tenant, flowId, version, writeId, input, now);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateSdkError(error, 'saving a version');
      await this.rollForward(tenant, flowId, expectedVersion);
      throw new VersionConflictError(`flow ${flowId} version ${version} was saved concurrently`, {
        cause: error,
      });
    }
    try {
      await this.moveHead(tenant, flowId, expectedVersion, version, writeId, input.definition.name, now);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateSdkError(error, 'saving a version');
      const current = await this.readHead(tenant, flowId);
      if (!current || current.deleted === true)
        throw new NotFoundError(`flow ${flowId} not found`, { cause: error });
      // Someone rolled the head forward onto our (immutable) version item: the save stands.
      if ((current.latestVersion as number) < version) {
        throw new VersionConflictError(`flow ${flowId} moved concurrently`, { cause: error });
      }
    }
    return this.toVersion(tenant, flowId, version, now, input);
  }

  async setMachine(tenant: string, flowId: string, version: number, machine: DeployedMachine): Promise<void> {
    this.checkIds(tenant, flowId, 'flow');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.flow(tenant, flowId), sk: keys.versionSk(version) },
          UpdateExpression: 'SET machineArn = :arn, machineVersionArn = :versionArn',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(machineVersionArn) OR machineVersionArn = :versionArn)',
          ExpressionAttributeValues: { ':arn': machine.stateMachineArn, ':versionArn': machine.versionArn },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateSdkError(error, 'recording a machine');
      const existing = await this.get({ pk: keys.flow(tenant, flowId), sk: keys.versionSk(version) }, true);
      if (!existing) throw new NotFoundError(`flow ${flowId} version ${version} not found`, { cause: error });
      throw new AlreadyExistsError(`flow ${flowId} version ${version} already has a machine`, {
        cause: error,
      });
    }
  }

  async getFlow(tenant: string, flowId: string): Promise<FlowSummary> {
    return toSummary(await this.liveHead(tenant, flowId));
  }

  async getVersion(tenant: string, flowId: string, version?: number): Promise<FlowVersion> {
    this.checkIds(tenant, flowId, 'flow');
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) {
      throw new NotFoundError(`flow ${flowId} has no version ${version}`);
    }
    // Head and version are read in parallel (one round trip): for the latest version, the two
    // newest version items (an unacknowledged orphan can sit one above the head).
    const pk = keys.flow(tenant, flowId);
    const [head, candidates] = await Promise.all([
      this.readHead(tenant, flowId),
      version === undefined
        ? this.newestVersionItems(pk)
        : this.get({ pk, sk: keys.versionSk(version) }, true).then((item) => (item ? [item] : [])),
    ]);
    if (!head || head.deleted === true) throw new NotFoundError(`flow ${flowId} not found`);
    const wanted = version ?? (head.latestVersion as number);
    const item =
      wanted <= (head.latestVersion as number) ? candidates.find((c) => c.version === wanted) : undefined;
    if (!item) throw new NotFoundError(`flow ${flowId} has no version ${wanted}`);
    const body = (await this.readBody(tenant, flowId, item)) as Pick<
      FlowVersion,
      'definition' | 'compiled' | 'report'
    >;
    return {
      ...toVersionSummary(item),
      definition: body.definition,
      compiled: body.compiled,
      report: body.report,
    };
  }

  async listFlows(tenant: string, page?: PageRequest): Promise<Page<FlowSummary>> {
    if (!ID_PATTERN.test(tenant)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        index: GSI1_NAME,
        name: 'flows',
        partition: keys.flowsIndex(tenant),
        pkPrefix: keys.tenantPrefix(tenant),
        newestFirst: true,
        exclude: (item) => item.deleted === true,
        map: toSummary,
        now: this.clock(),
      },
      page,
    );
  }

  async listVersions(tenant: string, flowId: string, page?: PageRequest): Promise<Page<FlowVersionSummary>> {
    const head = await this.liveHead(tenant, flowId);
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        name: 'versions',
        partition: keys.flow(tenant, flowId),
        pkPrefix: keys.flow(tenant, flowId),
        sortCondition: {
          expression: '#k BETWEEN :first AND :latest',
          values: { ':first': keys.versionSk(1), ':latest': keys.versionSk(head.latestVersion as number) },
        },
        newestFirst: true,
        projection: SUMMARY_ATTRIBUTES,
        consistentRead: true,
        map: toVersionSummary,
        now: this.clock(),
      },
      page,
    );
  }

  async deleteFlow(tenant: string, flowId: string): Promise<FlowSummary> {
    this.checkIds(tenant, flowId, 'flow');
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.flow(tenant, flowId), sk: keys.flowHeadSk },
          UpdateExpression: 'SET deleted = :true, deletedAt = :now, updatedAt = :now REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(pk) AND deleted <> :true',
          ExpressionAttributeValues: { ':true': true, ':now': this.clock().toISOString() },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return toSummary(result.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error))
        throw new NotFoundError(`flow ${flowId} not found`, { cause: error });
      throw translateSdkError(error, 'deleting a flow');
    }
  }

  private checkIds(tenant: string, id: string, what: string): void {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(id)) throw new NotFoundError(`${what} ${id} not found`);
  }

  private async get(key: { pk: string; sk: string }, consistent: boolean): Promise<Item | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
      );
      return result.Item;
    } catch (error) {
      throw translateSdkError(error, 'reading a flow');
    }
  }

  private async newestVersionItems(pk: string): Promise<Item[]> {
    try {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'V#' },
          ScanIndexForward: false,
          Limit: 2,
          ConsistentRead: true,
        }),
      );
      return result.Items ?? [];
    } catch (error) {
      throw translateSdkError(error, 'reading a flow version');
    }
  }

  private async readHead(tenant: string, flowId: string): Promise<Item | undefined> {
    return this.get({ pk: keys.flow(tenant, flowId), sk: keys.flowHeadSk }, true);
  }

  private async liveHead(tenant: string, flowId: string): Promise<Item> {
    this.checkIds(tenant, flowId, 'flow');
    const head = await this.readHead(tenant, flowId);
    if (!head || head.deleted === true) throw new NotFoundError(`flow ${flowId} not found`);
    return head;
  }

  private async moveHead(
    tenant: string,
    flowId: string,
    from: number,
    to: number,
    writeId: string,
    name: string,
    now: string,
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: keys.flow(tenant, flowId), sk: keys.flowHeadSk },
        UpdateExpression:
          'SET latestVersion = :to, latestWriteId = :writeId, #name = :name, updatedAt = :now',
        ConditionExpression: 'latestVersion = :from AND deleted <> :true',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':to': to,
          ':from': from,
          ':writeId': writeId,
          ':name': name,
          ':now': now,
          ':true': true,
        },
      }),
    );
  }

  /** Moves a head stuck at `expected` onto an existing version `expected + 1` (see the class doc). */
  private async rollForward(tenant: string, flowId: string, expected: number): Promise<void> {
    const orphan = await this.get({ pk: keys.flow(tenant, flowId), sk: keys.versionSk(expected + 1) }, true);
    if (!orphan) return;
    try {
      await this.moveHead(
        tenant,
        flowId,
        expected,
        expected + 1,
        String(orphan.writeId),
        String(orphan.name),
        String(orphan.createdAt),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateSdkError(error, 'saving a version');
    }
  }

  private async putVersionItem(
    tenant: string,
    flowId: string,
    version: number,
    writeId: string,
    input: NewFlowVersion,
    now: string,
  ): Promise<void> {
    const pk = keys.flow(tenant, flowId);
    const body = gzipJson({ definition: input.definition, compiled: input.compiled, report: input.report });
    const triggers = packJson(input.triggers);
    let parts = 0;
    if (body.byteLength > INLINE_BODY_LIMIT_BYTES || packedSize(triggers) + body.byteLength > 350_000) {
      parts = Math.ceil(body.byteLength / PART_BYTES);
      if (parts > MAX_PARTS)
        throw new ItemTooLargeError(`flow version of ${body.byteLength} compressed bytes is too large`);
      await Promise.all(
        Array.from({ length: parts }, (_, i) =>
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                pk,
                sk: keys.versionPartSk(version, writeId, i),
                type: 'versionPart',
                data: body.subarray(i * PART_BYTES, (i + 1) * PART_BYTES),
              },
            }),
          ),
        ),
      );
    }
    if (packedSize(triggers) > 350_000)
      throw new ItemTooLargeError('the triggers of a version are too large');
    const item = compact({
      pk,
      sk: keys.versionSk(version),
      type: 'version',
      tenant,
      flowId,
      version,
      writeId,
      name: input.definition.name,
      createdAt: now,
      createdBy: input.createdBy,
      triggers,
      body: parts === 0 ? body : undefined,
      parts: parts === 0 ? undefined : parts,
      machineArn: input.machine?.stateMachineArn,
      machineVersionArn: input.machine?.versionArn,
    });
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  private async readBody(tenant: string, flowId: string, item: Item): Promise<unknown> {
    if (item.body !== undefined) return unpackJson(item.body);
    const parts = item.parts as number;
    const prefix = keys.versionPartSk(item.version as number, String(item.writeId), 0).slice(0, -3);
    const chunks: Uint8Array[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const result = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': keys.flow(tenant, flowId), ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const part of result.Items ?? []) chunks.push(part.data as Uint8Array);
        startKey = result.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw translateSdkError(error, 'reading a flow version');
    }
    if (chunks.length !== parts)
      throw new NotFoundError(`flow ${flowId} version ${String(item.version)} is incomplete`);
    return unpackJson(new Uint8Array(Buffer.concat(chunks)));
  }

  private toVersion(
    tenant: string,
    flowId: string,
    version: number,
    now: string,
    input: NewFlowVersion,
  ): FlowVersion {
    return compact({
      tenant,
      flowId,
      version,
      name: input.definition.name,
      createdAt: now,
      createdBy: input.createdBy,
      triggers: input.triggers,
      machine: input.machine,
      definition: input.definition,
      compiled: input.compiled,
      report: input.report,
    });
  }
}

function toSummary(item: Item): FlowSummary {
  return {
    tenant: item.tenant as string,
    flowId: item.flowId as string,
    name: item.name as string,
    latestVersion: item.latestVersion as number,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

function toVersionSummary(item: Item): FlowVersionSummary {
  return compact({
    tenant: item.tenant as string,
    flowId: item.flowId as string,
    version: item.version as number,
    name: item.name as string,
    createdAt: item.createdAt as string,
    createdBy: item.createdBy as string | undefined,
    triggers: (unpackJson(item.triggers) ?? []) as TriggerSummary[],
    machine:
      typeof item.machineVersionArn === 'string'
        ? { stateMachineArn: item.machineArn as string, versionArn: item.machineVersionArn }
        : undefined,
  });
}
