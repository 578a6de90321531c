import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Issue 11 (Build 4): the real JSON Schema validator may not blow up the API bundle (< 600 KB). */
const LIMIT_BYTES = 600 * 1024;

/**
 * Bundles the API handler as infra/constructs/flowforge-function.ts does (esbuild, minified ESM for
 * node22), but with the AWS SDK left out: the deployed bundle carries the SDK clients on purpose
 * (a faster cold start, bench/cold-start.bench.ts), and their size is AWS's, not a consequence of
 * FlowForge's own dependencies. What this guards is everything else: zod, the validator, luxon, lib/.
 */
describe('the API bundle', () => {
  it('stays under 600 KB without the AWS SDK', { timeout: 60_000 }, async () => {
    const result = await build({
      entryPoints: ['functions/api/http-api.ts'],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*', '@smithy/*'],
      legalComments: 'none',
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    const [output] = Object.values(result.metafile.outputs);
    const inputs = Object.keys(output?.inputs ?? {});
    // The validator of issue 11 is in it (not left out by accident).
    expect(inputs.some((file) => file.includes('@cfworker/json-schema'))).toBe(true);
    expect(output?.bytes ?? Number.POSITIVE_INFINITY).toBeLessThan(LIMIT_BYTES);
  });
});
