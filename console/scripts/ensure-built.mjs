#!/usr/bin/env node
// Installs and builds the web console when needed; run by the root `prepare` (so `npm ci && npm start`
// is enough) and by `npm run console:build`. The console keeps its own package.json and lock so its
// dependencies never touch the service's lock. Skips `npm ci` while console/node_modules matches the
// lock (a stamp holds the lock's hash) and the build while dist/ is newer than every source.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (...args) => execFileSync(npm, args, { cwd: dir, stdio: 'inherit' });
const force = process.argv.includes('--force');

const lockHash = createHash('sha256')
  .update(readFileSync(join(dir, 'package-lock.json')))
  .digest('hex');
const stamp = join(dir, 'node_modules', '.flowforge-lock-hash');
if (force || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
  console.log('console: npm ci');
  run('ci', '--no-audit', '--no-fund', '--loglevel=error');
  writeFileSync(stamp, lockHash);
}

const newest = (path) => {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
};
const sources = ['src', 'index.html', 'vite.config.ts', 'package-lock.json', 'scripts/write-api-types.ts']
  .map((name) => join(dir, name))
  .concat([join(dir, '..', 'functions', 'api')]);
const built = join(dir, 'dist', 'index.html');
const generated = new Set([join(dir, 'src', 'api', 'openapi.json'), join(dir, 'src', 'api', 'schema.d.ts')]);
const sourceTime = Math.max(
  ...sources.filter(existsSync).map((path) => (generated.has(path) ? 0 : newest(path))),
);
if (force || !existsSync(built) || statSync(built).mtimeMs < sourceTime) {
  console.log('console: build');
  run('run', 'build', '--silent');
}
