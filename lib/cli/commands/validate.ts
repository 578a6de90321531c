import { validateDefinition } from '../../workflow/validate-definition.ts';
import type { CliIo } from '../cli-io.ts';
import { readDefinitionFile } from '../read-definition-file.ts';
import { oneFile, parseVerbArgs } from '../verb-args.ts';

const USAGE = 'Usage: flowforge validate FILE [--json]\n';

/**
 * `flowforge validate FILE [--json]` (DESIGN.md §3). Exit 0 when valid, 1 when invalid or the file
 * cannot be read, 2 for bad usage. Text output: `ERROR <pointer>: <message>` per error, then
 * `WARN …` per warning, then a summary line. `--json` prints
 * `{ "valid", "errors": [{ "path", "message" }], "warnings": [...] }`.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseVerbArgs('validate', args, { json: { type: 'boolean', default: false } }, USAGE, io);
  if (!parsed.ok) return parsed.code;
  const json = parsed.values.json === true;
  const file = oneFile('validate', parsed.positionals, USAGE, io);
  if (typeof file === 'number') return file;

  const read = await readDefinitionFile(file);
  if (!read.ok) {
    if (json)
      io.stdout(
        `${JSON.stringify({ valid: false, errors: [{ path: '', message: read.message }] }, null, 2)}\n`,
      );
    else io.stderr(`ERROR ${read.message}\n`);
    return 1;
  }
  const result = validateDefinition(read.raw);
  if (json) {
    io.stdout(
      `${JSON.stringify({ valid: result.valid, errors: result.errors, warnings: result.warnings }, null, 2)}\n`,
    );
    return result.valid ? 0 : 1;
  }
  const lines = [
    ...result.errors.map((e) => `ERROR ${e.path || '(root)'}: ${e.message}`),
    ...result.warnings.map((w) => `WARN ${w.path || '(root)'}: ${w.message}`),
  ];
  const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = result.valid
    ? `${file}: valid${result.warnings.length > 0 ? ` (${count(result.warnings.length, 'warning')})` : ''}`
    : `${file}: invalid, ${count(result.errors.length, 'error')}, ${count(result.warnings.length, 'warning')}`;
  io.stdout(`${[...lines, summary].join('\n')}\n`);
  return result.valid ? 0 : 1;
}
