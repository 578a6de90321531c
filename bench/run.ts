// Runs every bench/*.bench.ts in name order, one child process each (`node --import tsx <file>`),
// with the output shown as it comes. Exits non-zero if any benchmark fails. `npm run bench`.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f !== self)
  .sort();

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n== ${file}\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, file)], { stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    failed++;
    process.stdout.write(`!! ${file} exited with ${code}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
