import { build } from 'esbuild';

const banner =
  "import { createRequire as __ffCreateRequire } from 'node:module'; const require = __ffCreateRequire(import.meta.url);";

/**
 * Bundles one handler the way infra/constructs/flowforge-function.ts deploys it (esbuild: bundle,
 * minify, platform node, target node22, ESM with a createRequire banner, main fields module-first),
 * optionally with the AWS SDK left to the runtime (`sdkExternal`).
 */
export async function bundleLikeLambda(
  entry: string,
  outfile: string,
  options: { sdkExternal?: boolean } = {},
) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: { js: banner },
    external: options.sdkExternal ? ['@aws-sdk/*'] : [],
    logLevel: 'error',
    legalComments: 'none',
    mainFields: ['module', 'main'],
  });
}
