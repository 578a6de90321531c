/**
 * An error that already knows its HTTP status: raised by the HTTP layer itself (bad JSON, body too
 * large, unknown route, wrong method) before any use case runs.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extras: {
      headers?: Record<string, string>;
      errors?: Array<{ path: string; message: string }>;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'HttpProblem';
  }
}
