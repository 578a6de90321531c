import type { paths } from './schema';

/** A problem+json answer of the API (RFC 9457), with the JSON pointer of each invalid field. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

/** A request the API refused; `problem` is its problem+json body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
}

type Method = 'get' | 'post' | 'put' | 'delete';
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body the route answers with its 2xx status. */
export type Answer<P extends keyof paths, M extends Method> = paths[P][M] extends {
  responses: infer R;
}
  ? Json<R[Extract<keyof R, 200 | 201 | 202>]>
  : never;
/** The JSON body the route takes. */
export type Body<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

const KEY = 'flowforge.apiKey';

/** The API key of this tab (sessionStorage only: it goes when the tab closes). */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

let base = '';
let onUnauthorized: () => void = () => {};

/** Where the API is: `config.json` beside the console (CloudFront) or the same origin (npm start). */
export async function configure(unauthorized: () => void): Promise<void> {
  onUnauthorized = unauthorized;
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    if (response.ok) {
      const config = (await response.json()) as { apiUrl?: string };
      if (typeof config.apiUrl === 'string') base = config.apiUrl.replace(/\/+$/, '');
    }
  } catch {
    // no config.json: the API is on this origin
  }
}

/** The absolute URL of an API path (`/api/v1/...`). */
export const apiUrl = (path: string): string => `${base}${path}`;

/** Fills `{name}` placeholders of a route path. */
const fillPath = (path: string, params: Record<string, string | number> = {}): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name] ?? '')));

const prefetched = new Map<string, Promise<Response>>();

/**
 * Starts a GET now (while a page's code is still loading); the page's own `call` of the same URL
 * takes this answer instead of asking again.
 */
export function prefetch(path: keyof paths & string, params: Record<string, string | number>): void {
  const url = apiUrl(fillPath(path, params));
  if (prefetched.has(url)) return;
  const key = session.key();
  prefetched.set(url, fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} }));
}

/**
 * Calls one route of the API with the signed-in key; a 401 signs out and goes to sign-in, any
 * other refusal throws an `ApiError` carrying the problem.
 */
export async function call<P extends keyof paths & string, M extends Method>(
  method: M,
  path: P,
  options: {
    params?: Record<string, string | number>;
    query?: Record<string, string | number | undefined>;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<{ body: Answer<P, M>; headers: Headers }> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const url = `${apiUrl(fillPath(path, options.params))}${query.size > 0 ? `?${query}` : ''}`;
  const headers: Record<string, string> = { ...options.headers };
  const key = session.key();
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const early = method === 'get' ? prefetched.get(url) : undefined;
  if (early) prefetched.delete(url);
  const response =
    (await early) ??
    (await fetch(url, {
      method: method.toUpperCase(),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }));
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    if (response.status === 401) {
      session.signOut();
      onUnauthorized();
    }
    const problem = (parsed ?? { title: response.statusText, status: response.status }) as Problem;
    throw new ApiError(response.status, problem);
  }
  return { body: parsed as Answer<P, M>, headers: response.headers };
}

export type Flow = Answer<'/api/v1/flows/{flowId}', 'get'>;
export type FlowSummary = Answer<'/api/v1/flows', 'get'>['items'][number];
export type Execution = Answer<'/api/v1/executions/{executionId}', 'get'>;
export type NodeRecord = Execution['nodes'][string];
export type VersionDetail = Answer<'/api/v1/flows/{flowId}/versions/{version}', 'get'>;
export type Trigger = Flow['triggers'][number];
export type KeyView = Answer<'/api/v1/keys', 'get'>['items'][number];
export type Validation = Answer<'/api/v1/flows/validate', 'post'>;
