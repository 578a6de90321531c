/**
 * A tiny path router: templates like `/api/v1/flows/{flowId}` matched segment by segment.
 * `match` answers the route and its decoded parameters, or the methods the path allows (→ 405),
 * or nothing (→ 404).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

/** The least a route must carry to be routed. */
export interface Routable {
  method: HttpMethod;
  path: string;
}

export type RouteMatch<R extends Routable> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

interface Compiled<R> {
  route: R;
  segments: Array<{ literal: string } | { param: string }>;
}

const compile = <R extends Routable>(route: R): Compiled<R> => ({
  route,
  segments: route.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s })),
});

const matchSegments = <R>(compiled: Compiled<R>, parts: string[]): Record<string, string> | null => {
  if (compiled.segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = compiled.segments[i];
    const part = parts[i];
    if (segment === undefined || part === undefined) return null;
    if ('literal' in segment) {
      if (segment.literal !== part) return null;
    } else {
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        return null;
      }
      if (decoded === '') return null;
      params[segment.param] = decoded;
    }
  }
  return params;
};

/** A router over a fixed list of routes; literal segments win over parameters (`/flows/execute`). */
export class Router<R extends Routable> {
  private readonly compiled: Compiled<R>[];

  constructor(readonly routes: readonly R[]) {
    // Routes with more literal segments first, so `POST /flows/execute` beats `/flows/{flowId}/…` shapes.
    const literals = (c: Compiled<R>) => c.segments.filter((s) => 'literal' in s).length;
    this.compiled = routes.map(compile).sort((a, b) => literals(b) - literals(a));
  }

  /**
   * Finds the route of `method` + `path` (a raw path: no query string, percent-encoded). A path with
   * an empty segment (`//api/v1/keys/x`, `/api/v1//flows`) or a trailing slash names no route: it
   * is not found, never routed as if it were the clean path. HEAD is answered by the GET route.
   */
  match(method: string, path: string): RouteMatch<R> {
    if (!path.startsWith('/')) return { kind: 'not-found' };
    const parts = path.slice(1).split('/');
    if (parts.some((part) => part === '')) return { kind: 'not-found' };
    const wanted = method.toUpperCase();
    const allowed: HttpMethod[] = [];
    let getRoute: { route: R; params: Record<string, string> } | undefined;
    for (const compiled of this.compiled) {
      const params = matchSegments(compiled, parts);
      if (params === null) continue;
      if (compiled.route.method === wanted) return { kind: 'found', route: compiled.route, params };
      if (compiled.route.method === 'GET') getRoute ??= { route: compiled.route, params };
      if (!allowed.includes(compiled.route.method)) allowed.push(compiled.route.method);
    }
    if (wanted === 'HEAD' && getRoute) return { kind: 'found', ...getRoute };
    if (getRoute && !allowed.includes('HEAD')) allowed.push('HEAD');
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}
