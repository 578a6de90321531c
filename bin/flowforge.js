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
  // Chunks have content hashes in their names, so writing them never disturbs a running CLI; the
  // entry is renamed into place last, and the metafile before it.
  const suffix = `.${process.pid}.tmp`;
  mkdirSync(outdir, { recursive: true });
  for (const file of result.outputFiles) {
    if (file.path !== bundle) writeFileSync(file.path, file.contents);
  }
  const entry = result.outputFiles.find((file) => file.path === bundle);
  writeFileSync(meta + suffix, JSON.stringify(Object.keys(result.metafile.inputs)));
  writeFileSync(bundle + suffix, entry.contents);
  renameSync(meta + suffix, meta);
  renameSync(bundle + suffix, bundle);
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
