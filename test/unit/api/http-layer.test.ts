import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../functions/shared/http/http-problem.ts';
import { jsonErrorOffset } from '../../../functions/shared/http/json-error-offset.ts';
import { bodyText, MAX_BODY_BYTES, parseJsonBody } from '../../../functions/shared/http/parse.ts';
import { toProblem } from '../../../functions/shared/http/problem.ts';
import { Router } from '../../../functions/shared/http/router.ts';
import { RequestValidationError, TooManyRequestsError } from '../../../lib/service/errors.ts';
import { NotFoundError, VersionConflictError } from '../../../lib/store/errors.ts';

describe('Router', () => {
  const router = new Router([
    { method: 'GET', path: '/api/v1/flows/{flowId}' },
    { method: 'PUT', path: '/api/v1/flows/{flowId}' },
    { method: 'POST', path: '/api/v1/flows/execute' },
    { method: 'POST', path: '/api/v1/flows/{flowId}/execute' },
  ] as const);

  it('matches templates and decodes parameters', () => {
    expect(router.match('GET', '/api/v1/flows/a%20b')).toMatchObject({
      kind: 'found',
      params: { flowId: 'a b' },
    });
    expect(router.match('post', '/api/v1/flows/f1/execute')).toMatchObject({
      kind: 'found',
      params: { flowId: 'f1' },
    });
  });
  it('prefers literal segments over parameters', () => {
    const match = router.match('POST', '/api/v1/flows/execute');
    expect(match.kind === 'found' && match.route.path).toBe('/api/v1/flows/execute');
    expect(router.match('GET', '/api/v1/flows/execute')).toMatchObject({
      kind: 'found',
      params: { flowId: 'execute' },
    });
  });
  it('answers the allowed methods of a known path, and not-found for the rest', () => {
    expect(router.match('DELETE', '/api/v1/flows/x')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['GET', 'PUT', 'HEAD'],
    });
    expect(router.match('GET', '/api/v1/nope')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/api/v1/flows/%E0%A4%A')).toEqual({ kind: 'not-found' });
  });
});

describe('toProblem', () => {
  const context = { requestId: 'req-1', instance: '/api/v1/flows' };
  it('maps service and store errors to statuses with RFC 9457 fields', () => {
    const problem = toProblem(
      new RequestValidationError('bad', [{ path: '/nodes/0/id', message: 'm' }]),
      context,
    );
    expect(problem.status).toBe(400);
    expect(problem.body).toMatchObject({
      status: 400,
      detail: 'bad',
      instance: '/api/v1/flows',
      requestId: 'req-1',
    });
    expect(problem.body.errors).toEqual([{ path: '/nodes/0/id', message: 'm' }]);
    expect(toProblem(new NotFoundError('flow x not found'), context).status).toBe(404);
    expect(toProblem(new VersionConflictError('stale'), context).status).toBe(409);
  });
  it('sets Retry-After for 429', () => {
    const problem = toProblem(new TooManyRequestsError('slow down', 2.2), context);
    expect(problem.status).toBe(429);
    expect(problem.headers['retry-after']).toBe('3');
  });
  it('hides everything of an unexpected error', () => {
    const error = new Error('secret detail at /srv/app/y.ts:1:2');
    const problem = toProblem(error, context);
    expect(problem.status).toBe(500);
    expect(problem.body.detail).toBe('internal error');
    expect(JSON.stringify(problem.body)).not.toContain('secret');
  });
});

describe('request bodies', () => {
  it('refuses bodies over 1 MiB with 413', () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    expect(() => bodyText(big, false)).toThrow(HttpProblem);
    expect(() => bodyText(Buffer.from(big).toString('base64'), true)).toThrow(/larger/);
    expect(bodyText(Buffer.from('{"a":1}').toString('base64'), true)).toBe('{"a":1}');
  });
  it('says where JSON is malformed', () => {
    const error = (() => {
      try {
        parseJsonBody('{\n  "a": tru\n}');
      } catch (e) {
        return e as HttpProblem;
      }
    })();
    expect(error?.status).toBe(400);
    expect(error?.message).toContain('line 2, column 8');
  });
  it('finds the offset of the first syntax error', () => {
    const cases: Array<[string, number]> = [
      ['{"a": }', 6],
      ['[1,]', 3],
      ['{"a":1} x', 8],
      ['{"a" 1}', 5],
      ['{', 1],
      ['[[[[', 4],
    ];
    for (const [text, offset] of cases) expect([text, jsonErrorOffset(text)]).toEqual([text, offset]);
  });
});
