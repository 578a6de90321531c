#!/usr/bin/env node
// Entry point of `npx flowforge`. It runs `dist/cli/main.js`, an ESM bundle of lib/cli built by
// esbuild, so a start costs no TypeScript transpiling; code splitting keeps each verb and each
// action (with the SDK client it brings) in a chunk of its own, loaded only when used. The bundle is used only while it is newer than every
// source file it was built from (esbuild's metafile, kept beside it); a stale or missing bundle is
// rebuilt first (~0.3 s, written atomically so parallel starts never see half a file). Without
// esbuild (an install without devDependencies) the TypeScript runs through tsx, as before.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
const bundle = join(outdir, 'main.js');
const meta = join(root, 'dist', 'cli.meta.json');

/** True when the bundle exists and no source it was built from changed since. */
function fresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(meta, 'utf8'));
    return inputs.every((file) => statSync(join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function build() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    splitting: true,
    chunkNames: '[name]-[hash]',
    metafile: true,
    write: false,
    outdir,
    logLevel: 'warning',
  });
  // Every file is written beside its place and renamed into it, so a CLI starting in parallel never
  // reads half a file; chunks first, then the metafile, the entry last.
  const suffix = `.${process.pid}.tmp`;
  const put = (path, contents) => {
    writeFileSync(path + suffix, contents);
    renameSync(path + suffix, path);
  };
  mkdirSync(outdir, { recursive: true });
  for (const file of result.outputFiles) {
    if (file.path !== bundle) put(file.path, file.contents);
  }
  put(meta, JSON.stringify(Object.keys(result.metafile.inputs)));
  put(bundle, result.outputFiles.find((file) => file.path === bundle).contents);
}

let main;
try {
  if (!fresh()) await build();
  ({ main } = await import(pathToFileURL(bundle).href));
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
