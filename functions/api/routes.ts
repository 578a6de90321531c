import type * as z from 'zod';
import type { ExecutionStatus } from '../../lib/runtime/execution-record.ts';
import { listAudit } from '../../lib/service/audit.ts';
import type { Caller } from '../../lib/service/caller.ts';
import type { Deps } from '../../lib/service/deps.ts';
import { RequestValidationError } from '../../lib/service/errors.ts';
import { openExecutionEvents } from '../../lib/service/execution-events.ts';
import type { ExecutionListRequest } from '../../lib/service/executions.ts';
import * as executions from '../../lib/service/executions.ts';
import { getExecutionFile } from '../../lib/service/files.ts';
import * as flows from '../../lib/service/flows.ts';
import * as keys from '../../lib/service/keys.ts';
import * as secrets from '../../lib/service/secrets.ts';
import * as waits from '../../lib/service/waits.ts';
import { receiveWebhook, type WebhookAnswer } from '../../lib/service/webhooks.ts';
import type { ApiScope, ExecutionTrigger } from '../../lib/store/types.ts';
import type { WaitAnswer } from '../../lib/store/wait-store.ts';
import type { HttpMethod, Routable } from '../shared/http/router.ts';
import {
  auditEntrySchema,
  callbackAcceptedSchema,
  callbackBodySchema,
  createdKeySchema,
  createKeyBodySchema,
  definitionBodySchema,
  eventAcceptedSchema,
  eventBodySchema,
  executeBodySchema,
  executeByIdBodySchema,
  executionAcceptedSchema,
  executionsQuerySchema,
  executionViewSchema,
  flowExecutionsQuerySchema,
  flowSummarySchema,
  flowViewSchema,
  healthSchema,
  hookAcceptedSchema,
  keyViewSchema,
  listOf,
  listQuerySchema,
  putSecretBodySchema,
  secretSummarySchema,
  triggerViewSchema,
  validationResultSchema,
  versionDetailSchema,
  versionViewSchema,
} from './schemas.ts';

/** What a route handler receives: parsed body and query, path parameters, the caller. */
export interface RouteRequest<Body = unknown, Query = unknown> {
  deps: Deps;
  params: Record<string, string>;
  query: Query;
  body: Body;
  /** The body as sent (webhooks verify it byte for byte). */
  rawBody: string;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  /** Null only on routes without a scope (health, openapi, hooks). */
  caller: Caller | null;
  requestId: string;
  sourceIp: string;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A body sent as it is produced (server-sent events), instead of `body`. Where the server
   * cannot stream (API Gateway), the dispatcher collects it into one body.
   */
  stream?: AsyncIterable<string>;
  /** A binary body (a file download), sent as it is (base64 through API Gateway). */
  binary?: Uint8Array;
}

/** How a route's body is read: validated by a zod schema, or parsed JSON handed to the use case as is. */
export type BodySpec =
  | { mode: 'zod'; schema: z.ZodType }
  | { mode: 'json'; doc: z.ZodType }
  | { mode: 'raw' };

/** One route: what the router matches, what the OpenAPI document shows, and its handler. */
export interface RouteDef extends Routable {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The scope a key needs; `null` for routes open without a key. */
  scope: ApiScope | null;
  body?: BodySpec;
  query?: z.ZodObject;
  /** False for routes that answer without any dependency (health, the OpenAPI document). */
  usesDeps?: false;
  /** Request headers the route reads (documented as parameters). */
  headers?: Array<{ name: string; required: boolean; description: string }>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(request: RouteRequest): Promise<RouteResponse>;
}

/** Declares a route with its body and query typed from their schemas. */
const route = <B extends BodySpec | undefined, Q extends z.ZodObject | undefined>(
  def: Omit<RouteDef, 'handle' | 'body' | 'query'> & {
    body?: B;
    query?: Q;
    handle(
      request: RouteRequest<
        B extends { mode: 'zod'; schema: infer S extends z.ZodType } ? z.output<S> : unknown,
        Q extends z.ZodObject ? z.output<Q> : undefined
      >,
    ): Promise<RouteResponse>;
  },
): RouteDef => def as unknown as RouteDef;

/** The caller of a route that has a scope (the dispatcher guarantees it is set). */
const who = (request: RouteRequest): Caller => {
  if (request.caller === null) throw new Error('route with a scope reached without a caller');
  return request.caller;
};

const BASE = '/api/v1';
/** A webhook's answer (DESIGN.md §2.2) as the HTTP response: 202, respond's own, 200 output, 500 problem. */
function webhookAnswerResponse(answer: WebhookAnswer): RouteResponse {
  switch (answer.kind) {
    case 'accepted':
      return { status: 202, body: { executionId: answer.executionId, status: answer.status } };
    case 'output':
      return { status: 200, body: answer.output ?? null };
    case 'failed':
      return {
        status: 500,
        headers: { 'content-type': 'application/problem+json' },
        stream: once(
          JSON.stringify({
            type: 'about:blank',
            title: 'The run failed',
            status: 500,
            detail: answer.error
              ? `${answer.error.error}${answer.error.cause ? `: ${answer.error.cause}` : ''}`
              : `the run ended with status ${answer.status}`,
            executionId: answer.executionId,
            ...(answer.error ? { error: answer.error } : {}),
          }),
        ),
      };
    case 'respond': {
      if (answer.body === undefined) return { status: answer.status, headers: answer.headers };
      const text = typeof answer.body === 'string';
      return {
        status: answer.status,
        headers: {
          'content-type': text ? 'text/plain; charset=utf-8' : 'application/json',
          ...answer.headers,
        },
        stream: once(text ? (answer.body as string) : JSON.stringify(answer.body)),
      };
    }
  }
}

async function* once(text: string): AsyncIterable<string> {
  yield text;
}

const ok = (body: unknown, headers?: Record<string, string>): RouteResponse =>
  headers ? { status: 200, body, headers } : { status: 200, body };

const flowIdHeaderDoc = {
  name: 'Idempotency-Key',
  required: false,
  description: 'the same key starts the same execution only once; with another body it answers 422',
};

/** The client's `Idempotency-Key`; an empty (or blank) header is no key at all. */
const idempotencyKeyOf = (request: RouteRequest): string | undefined => {
  const key = request.headers['idempotency-key']?.trim();
  return key === undefined || key === '' ? undefined : key;
};

const executeResponses = {
  202: { description: 'the execution started', schema: executionAcceptedSchema },
  400: { description: 'the body has an unknown key, or the input does not match the input schema' },
  415: { description: 'the body is not application/json' },
  422: { description: 'the Idempotency-Key already started an execution with another body' },
};

/** Every route of the API (DESIGN.md §3). */
export const routes: readonly RouteDef[] = [
  route({
    method: 'GET',
    path: `${BASE}/health`,
    operationId: 'health',
    summary: 'Liveness check (no key needed)',
    tag: 'meta',
    scope: null,
    usesDeps: false,
    responses: { 200: { description: 'the service answers', schema: healthSchema } },
    handle: async () => ok({ status: 'ok' }),
  }),
  route({
    method: 'GET',
    path: `${BASE}/openapi.json`,
    operationId: 'openapi',
    summary: 'This OpenAPI 3.1 document (no key needed)',
    tag: 'meta',
    scope: null,
    usesDeps: false,
    responses: { 200: { description: 'the OpenAPI document' } },
    handle: async () => {
      const { openApiDocument } = await import('./openapi.ts');
      return ok(openApiDocument());
    },
  }),
  route({
    method: 'POST',
    path: `${BASE}/flows`,
    operationId: 'createFlow',
    summary: 'Create a flow from a workflow definition (version 1)',
    tag: 'flows',
    scope: 'flows:write',
    body: { mode: 'json', doc: definitionBodySchema },
    responses: {
      201: {
        description: 'the stored flow; a webhook trigger shows its secret only here',
        schema: flowViewSchema,
      },
      400: { description: 'the definition is invalid (each error at its JSON pointer)' },
      422: { description: 'the definition cannot be compiled' },
    },
    handle: async (request) => {
      const flow = await flows.createFlow(request.deps, who(request), request.body);
      return {
        status: 201,
        body: flow,
        headers: { etag: `"${flow.version}"`, location: `${BASE}/flows/${flow.flowId}` },
      };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows`,
    operationId: 'listFlows',
    summary: "The tenant's flows, newest first",
    tag: 'flows',
    scope: 'flows:read',
    query: listQuerySchema,
    responses: { 200: { description: 'a page of flows', schema: listOf(flowSummarySchema) } },
    handle: async (request) => ok(await flows.listFlows(request.deps, who(request), request.query)),
  }),
  route({
    method: 'POST',
    path: `${BASE}/flows/validate`,
    operationId: 'validateFlow',
    summary:
      'Check a definition without saving it: errors and warnings at JSON pointers, and the compile report when it compiles',
    tag: 'flows',
    scope: 'flows:read',
    body: { mode: 'json', doc: definitionBodySchema },
    responses: {
      200: { description: 'the outcome (200 even when invalid)', schema: validationResultSchema },
    },
    handle: async (request) => ok(flows.checkDefinition(request.deps, request.body)),
  }),
  route({
    method: 'POST',
    path: `${BASE}/flows/execute`,
    operationId: 'executeFlowById',
    summary: 'Start a flow named in the body',
    tag: 'executions',
    scope: 'executions:start',
    body: { mode: 'zod', schema: executeByIdBodySchema },
    headers: [flowIdHeaderDoc],
    responses: executeResponses,
    handle: async (request) => {
      const { flowId, input, version } = request.body;
      const key = idempotencyKeyOf(request);
      const started = await executions.executeFlow(request.deps, who(request), {
        flowId,
        input,
        ...(version === undefined ? {} : { version }),
        ...(key === undefined ? {} : { idempotencyKey: key }),
      });
      return { status: 202, body: { executionId: started.executionId, status: started.status } };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows/{flowId}`,
    operationId: 'getFlow',
    summary: 'The latest version of a flow (ETag: its version)',
    tag: 'flows',
    scope: 'flows:read',
    responses: { 200: { description: 'the flow', schema: flowViewSchema } },
    handle: async (request) => {
      const flow = await flows.getFlow(request.deps, who(request), param(request, 'flowId'));
      return ok(flow, { etag: `"${flow.version}"` });
    },
  }),
  route({
    method: 'PUT',
    path: `${BASE}/flows/{flowId}`,
    operationId: 'updateFlow',
    summary: 'Save a new version of a flow; If-Match names the version it is based on',
    tag: 'flows',
    scope: 'flows:write',
    body: { mode: 'json', doc: definitionBodySchema },
    headers: [
      { name: 'If-Match', required: true, description: 'the version read (ETag), e.g. "3"; * matches any' },
    ],
    responses: {
      200: { description: 'the stored flow at its new version', schema: flowViewSchema },
      412: { description: 'If-Match is stale: another update won' },
      428: { description: 'If-Match is missing' },
    },
    handle: async (request) => {
      const flow = await flows.updateFlow(
        request.deps,
        who(request),
        param(request, 'flowId'),
        request.headers['if-match'],
        request.body,
      );
      return ok(flow, { etag: `"${flow.version}"` });
    },
  }),
  route({
    method: 'DELETE',
    path: `${BASE}/flows/{flowId}`,
    operationId: 'deleteFlow',
    summary: 'Delete a flow and unregister its triggers (its executions stay readable)',
    tag: 'flows',
    scope: 'flows:write',
    responses: { 204: { description: 'deleted' } },
    handle: async (request) => {
      await flows.deleteFlow(request.deps, who(request), param(request, 'flowId'));
      return { status: 204 };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows/{flowId}/versions`,
    operationId: 'listFlowVersions',
    summary: "A flow's versions, newest first",
    tag: 'flows',
    scope: 'flows:read',
    query: listQuerySchema,
    responses: { 200: { description: 'a page of versions', schema: listOf(versionViewSchema) } },
    handle: async (request) =>
      ok(await flows.listVersions(request.deps, who(request), param(request, 'flowId'), request.query)),
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows/{flowId}/versions/{version}`,
    operationId: 'getFlowVersion',
    summary: 'One version of a flow: its stored definition and compile report',
    tag: 'flows',
    scope: 'flows:read',
    responses: { 200: { description: 'the version', schema: versionDetailSchema } },
    handle: async (request) => {
      const text = param(request, 'version');
      const version = /^[1-9]\d{0,8}$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isNaN(version)) {
        throw new RequestValidationError('the version must be a positive integer', [
          { path: '/params/version', message: `"${text}" is not a version number` },
        ]);
      }
      return ok(await flows.getVersion(request.deps, who(request), param(request, 'flowId'), version), {
        etag: `"${version}"`,
      });
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows/{flowId}/triggers`,
    operationId: 'listFlowTriggers',
    summary: "A flow's triggers: webhook URLs, the next five fire times of schedules",
    tag: 'flows',
    scope: 'flows:read',
    responses: { 200: { description: 'the triggers', schema: listOf(triggerViewSchema) } },
    handle: async (request) =>
      ok(await flows.listTriggers(request.deps, who(request), param(request, 'flowId'))),
  }),
  route({
    method: 'POST',
    path: `${BASE}/flows/{flowId}/execute`,
    operationId: 'executeFlow',
    summary: 'Start a flow',
    tag: 'executions',
    scope: 'executions:start',
    body: { mode: 'zod', schema: executeBodySchema },
    headers: [flowIdHeaderDoc],
    responses: executeResponses,
    handle: async (request) => {
      const { input, version } = request.body ?? {};
      const key = idempotencyKeyOf(request);
      const started = await executions.executeFlow(request.deps, who(request), {
        flowId: param(request, 'flowId'),
        input,
        ...(version === undefined ? {} : { version }),
        ...(key === undefined ? {} : { idempotencyKey: key }),
      });
      return { status: 202, body: { executionId: started.executionId, status: started.status } };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/flows/{flowId}/executions`,
    operationId: 'listFlowExecutions',
    summary: "A flow's executions, newest first; ?status= and ?trigger= narrow the list",
    tag: 'executions',
    scope: 'executions:read',
    query: flowExecutionsQuerySchema,
    responses: { 200: { description: 'a page of executions', schema: listOf(executionViewSchema) } },
    handle: async (request) =>
      ok(
        await executions.listExecutions(
          request.deps,
          who(request),
          param(request, 'flowId'),
          listRequestOf(request.query),
        ),
      ),
  }),
  route({
    method: 'GET',
    path: `${BASE}/executions`,
    operationId: 'listExecutions',
    summary:
      "The tenant's executions of every flow, newest first, each with the trigger that started it; ?status=, ?trigger= and ?flowId= narrow the list",
    tag: 'executions',
    scope: 'executions:read',
    query: executionsQuerySchema,
    responses: { 200: { description: 'a page of executions', schema: listOf(executionViewSchema) } },
    handle: async (request) =>
      ok(
        await executions.listTenantExecutions(request.deps, who(request), {
          ...listRequestOf(request.query),
          ...(request.query.flowId === undefined ? {} : { flowId: request.query.flowId }),
        }),
      ),
  }),
  route({
    method: 'GET',
    path: `${BASE}/executions/{executionId}/files/{ref}`,
    operationId: 'getExecutionFile',
    summary:
      "Download a file of the execution: `ref` is the file value's `ref`, URL-encoded (it holds slashes)",
    tag: 'executions',
    scope: 'executions:read',
    responses: { 200: { description: "the file's bytes, with its content type and name" } },
    handle: async (request) => {
      const file = await getExecutionFile(
        request.deps,
        who(request),
        param(request, 'executionId'),
        param(request, 'ref'),
      );
      return {
        status: 200,
        headers: {
          'content-type': file.info.contentType.replace(/[\r\n]/g, ''),
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.info.name)}`,
          'x-content-type-options': 'nosniff',
          'x-file-sha256': file.info.sha256,
        },
        binary: file.content,
      };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/executions/{executionId}/events`,
    operationId: 'executionEvents',
    summary:
      'Server-sent events: one `node` event per node status change, then one `status` event with the final status. npm start streams until the end; API Gateway answers the events so far with `retry:` and closes (EventSource asks again)',
    tag: 'executions',
    scope: 'executions:read',
    responses: { 200: { description: 'text/event-stream' } },
    handle: async (request) => ({
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      },
      stream: await openExecutionEvents(request.deps, who(request), param(request, 'executionId'), {
        follow: request.deps.responseStreaming === true,
      }),
    }),
  }),
  route({
    method: 'GET',
    path: `${BASE}/executions/{executionId}`,
    operationId: 'getExecution',
    summary: 'An execution with per-node status, output, error and timing',
    tag: 'executions',
    scope: 'executions:read',
    responses: { 200: { description: 'the execution', schema: executionViewSchema } },
    handle: async (request) =>
      ok(await executions.getExecution(request.deps, who(request), param(request, 'executionId'))),
  }),
  route({
    method: 'POST',
    path: `${BASE}/executions/{executionId}/stop`,
    operationId: 'stopExecution',
    summary: 'Stop a running execution',
    tag: 'executions',
    scope: 'executions:start',
    responses: {
      200: { description: 'the stopped execution', schema: executionViewSchema },
      409: { description: 'the execution is not running' },
    },
    handle: async (request) =>
      ok(await executions.stopExecution(request.deps, who(request), param(request, 'executionId'))),
  }),
  route({
    method: 'POST',
    path: `${BASE}/executions/{executionId}/redrive`,
    operationId: 'redriveExecution',
    summary: 'Restart a failed, timed out, aborted or interrupted execution from where it stopped',
    tag: 'executions',
    scope: 'executions:start',
    responses: {
      202: { description: 'the execution runs again', schema: executionAcceptedSchema },
      409: { description: 'the execution cannot be redriven in its status' },
    },
    handle: async (request) => ({
      status: 202,
      body: await executions.redriveExecution(request.deps, who(request), param(request, 'executionId')),
    }),
  }),
  route({
    method: 'POST',
    path: `${BASE}/executions/{executionId}/nodes/{nodeId}/callback`,
    operationId: 'answerNodeCallback',
    summary: 'Complete ({ output }) or fail ({ error, cause? }) a waitForCallback node that waits',
    tag: 'executions',
    scope: 'executions:start',
    body: { mode: 'zod', schema: callbackBodySchema },
    responses: {
      202: { description: 'the node was answered', schema: callbackAcceptedSchema },
      404: { description: 'no such execution, or the node does not wait for a callback' },
      409: { description: 'the node was already answered' },
    },
    handle: async (request) => ({
      status: 202,
      body: await waits.answerNodeCallback(
        request.deps,
        who(request),
        param(request, 'executionId'),
        param(request, 'nodeId'),
        request.body as WaitAnswer,
      ),
    }),
  }),
  route({
    method: 'POST',
    path: `${BASE}/callbacks/{callbackId}`,
    operationId: 'answerCallback',
    summary: 'Answer a callback (no API key: the id is the single-use credential); rate-limited',
    tag: 'executions',
    scope: null,
    body: { mode: 'zod', schema: callbackBodySchema },
    responses: {
      202: { description: 'the waiting node was answered', schema: callbackAcceptedSchema },
      404: { description: 'unknown or expired callback' },
      409: { description: 'the callback was already used' },
      429: { description: 'too many attempts from this address' },
    },
    handle: async (request) => ({
      status: 202,
      body: await waits.answerCallback(request.deps, {
        callbackId: param(request, 'callbackId'),
        answer: request.body as WaitAnswer,
        sourceIp: request.sourceIp,
      }),
    }),
  }),
  route({
    method: 'POST',
    path: `${BASE}/events`,
    operationId: 'sendEvent',
    summary: 'Send an event: completes every node of the tenant waiting for its name and key',
    tag: 'executions',
    scope: 'events:send',
    body: { mode: 'zod', schema: eventBodySchema },
    responses: { 202: { description: 'the event was kept', schema: eventAcceptedSchema } },
    handle: async (request) => ({
      status: 202,
      body: await waits.sendEvent(request.deps, who(request), request.body),
    }),
  }),
  route({
    method: 'POST',
    path: `${BASE}/hooks/{flowId}/{triggerId}`,
    operationId: 'receiveWebhook',
    summary: 'A signed webhook (Standard Webhooks headers); no API key',
    tag: 'triggers',
    scope: null,
    body: { mode: 'raw' },
    headers: [
      { name: 'webhook-id', required: true, description: "the sender's message id" },
      { name: 'webhook-timestamp', required: true, description: 'Unix seconds' },
      {
        name: 'webhook-signature',
        required: true,
        description: 'v1,<base64 HMAC-SHA256 of id.timestamp.body>',
      },
    ],
    responses: {
      202: { description: 'the execution started', schema: hookAcceptedSchema },
      200: {
        description:
          'response: "sync" — the run ended within timeoutSeconds: its output (or a respond node answered with its own status, headers and body)',
      },
      401: { description: 'the signature does not verify; the problem says why' },
      500: { description: 'response: "sync" — the run failed: problem+json with its error' },
    },
    handle: async (request) =>
      webhookAnswerResponse(
        await receiveWebhook(request.deps, {
          flowId: param(request, 'flowId'),
          triggerId: param(request, 'triggerId'),
          rawBody: request.rawBody,
          headers: request.headers,
        }),
      ),
  }),
  route({
    method: 'POST',
    path: `${BASE}/keys`,
    operationId: 'createKey',
    summary: 'Create an API key (the key is shown only in this answer)',
    tag: 'admin',
    scope: 'admin',
    body: { mode: 'zod', schema: createKeyBodySchema },
    responses: { 201: { description: 'the new key', schema: createdKeySchema } },
    handle: async (request) => {
      const { name, scopes, tenant } = request.body;
      const created = await keys.createKey(request.deps, who(request), {
        name,
        scopes,
        ...(tenant === undefined ? {} : { tenant }),
      });
      return { status: 201, body: created };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/keys`,
    operationId: 'listKeys',
    summary: "The tenant's API keys: ids, names, scopes, created, last used, revoked — never the key",
    tag: 'admin',
    scope: 'admin',
    query: listQuerySchema,
    responses: { 200: { description: 'a page of keys', schema: listOf(keyViewSchema) } },
    handle: async (request) => ok(await keys.listKeys(request.deps, who(request), request.query)),
  }),
  route({
    method: 'DELETE',
    path: `${BASE}/keys/{keyId}`,
    operationId: 'revokeKey',
    summary: 'Revoke an API key',
    tag: 'admin',
    scope: 'admin',
    responses: { 204: { description: 'revoked' } },
    handle: async (request) => {
      await keys.revokeKey(request.deps, who(request), param(request, 'keyId'));
      return { status: 204 };
    },
  }),
  route({
    method: 'PUT',
    path: `${BASE}/secrets/{name}`,
    operationId: 'putSecret',
    summary: 'Create or replace a tenant secret, read by flows as {{ secret:<name> }} (write-only)',
    tag: 'admin',
    scope: 'admin',
    body: { mode: 'zod', schema: putSecretBodySchema },
    responses: {
      200: { description: 'replaced (the value is never answered)', schema: secretSummarySchema },
      201: { description: 'created (the value is never answered)', schema: secretSummarySchema },
      400: { description: 'the name or the value is invalid (the problem names /name or /value)' },
    },
    handle: async (request) => {
      const { summary, created } = await secrets.putSecret(
        request.deps,
        who(request),
        param(request, 'name'),
        request.body.value,
      );
      return { status: created ? 201 : 200, body: summary };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/secrets`,
    operationId: 'listSecrets',
    summary: "The tenant's secrets by name: names and update times, never values",
    tag: 'admin',
    scope: 'admin',
    query: listQuerySchema,
    responses: { 200: { description: 'a page of secrets', schema: listOf(secretSummarySchema) } },
    handle: async (request) => ok(await secrets.listSecrets(request.deps, who(request), request.query)),
  }),
  route({
    method: 'DELETE',
    path: `${BASE}/secrets/{name}`,
    operationId: 'deleteSecret',
    summary: 'Delete a tenant secret (runs that reference it then fail with SecretUnavailable)',
    tag: 'admin',
    scope: 'admin',
    responses: { 204: { description: 'deleted' }, 404: { description: 'no secret of that name' } },
    handle: async (request) => {
      await secrets.deleteSecret(request.deps, who(request), param(request, 'name'));
      return { status: 204 };
    },
  }),
  route({
    method: 'GET',
    path: `${BASE}/audit`,
    operationId: 'listAudit',
    summary: "The tenant's audit log, newest first",
    tag: 'admin',
    scope: 'admin',
    query: listQuerySchema,
    responses: { 200: { description: 'a page of audit entries', schema: listOf(auditEntrySchema) } },
    handle: async (request) => ok(await listAudit(request.deps, who(request), request.query)),
  }),
];

/** The parsed `?status=&trigger=&limit=&cursor=` as the use cases take them. */
const listRequestOf = (query: {
  status?: ExecutionStatus[] | undefined;
  trigger?: ExecutionTrigger['type'] | 'subflow' | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}): ExecutionListRequest => ({
  ...(query.limit === undefined ? {} : { limit: query.limit }),
  ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  ...(query.status === undefined ? {} : { status: query.status }),
  ...(query.trigger === undefined ? {} : { triggerType: query.trigger as ExecutionTrigger['type'] }),
});

/** A path parameter the router matched (present by construction of the route's path). */
function param(request: RouteRequest, name: string): string {
  return request.params[name] ?? '';
}
