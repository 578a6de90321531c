import * as z from 'zod';
import { type RouteDef, routes } from './routes.ts';
import { problemSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema (draft 2020-12, what OpenAPI 3.1 uses), without its `$schema` key. */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const pathParameters = (path: string) =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));

const queryParameters = (route: RouteDef) => {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
};

const STANDARD_ERRORS: Record<number, string> = {
  400: 'malformed JSON or an invalid request (problem+json with `errors` at JSON pointers)',
  401: 'no API key, or one that is not valid',
  403: 'the key lacks the scope this operation needs',
  404: 'no such resource for this tenant',
  413: 'the body is larger than 1 MiB',
  429: 'rate limit exceeded (see Retry-After)',
};

const operation = (route: RouteDef) => {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = response.schema
      ? {
          description: response.description,
          content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } },
        }
      : Number(status) >= 400
        ? {
            description: response.description,
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          }
        : { description: response.description };
  }
  for (const [status, description] of Object.entries(STANDARD_ERRORS)) {
    if (route.scope === null && (status === '401' || status === '403' || status === '429')) continue;
    responses[status] ??= {
      description,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    parameters: [
      ...pathParameters(route.path),
      ...queryParameters(route),
      ...(route.headers ?? []).map((header) => ({
        name: header.name,
        in: 'header',
        required: header.required,
        description: header.description,
        schema: { type: 'string' },
      })),
    ],
    responses,
    security: route.scope === null ? [] : [{ apiKey: [route.scope] }],
  };
  if (route.body?.mode === 'zod' || route.body?.mode === 'json') {
    const schema = route.body.mode === 'zod' ? route.body.schema : route.body.doc;
    op.requestBody = {
      required: route.body.mode === 'json',
      content: { 'application/json': { schema: jsonSchema(schema, 'input') } },
    };
  } else if (route.body?.mode === 'raw') {
    op.requestBody = { required: true, content: { 'application/json': { schema: {} } } };
  }
  if (route.scope !== null) op['x-required-scope'] = route.scope;
  return op;
};

let cached: Record<string, unknown> | undefined;

/**
 * The OpenAPI 3.1 document of the API, built from the route table and the same zod schemas the
 * handlers parse with (`z.toJSONSchema`), so it lists exactly the routes the router serves.
 */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    const byMethod = paths[route.path] as Record<string, unknown>;
    byMethod[route.method.toLowerCase()] = operation(route);
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'FlowForge API',
      version: '1.0.0',
      description:
        'Workflow definitions stored with versions, compiled to Step Functions and run by API calls, signed webhooks, schedules and queues. Errors are application/problem+json (RFC 9457).',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
      },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
    },
  };
  return cached;
}
