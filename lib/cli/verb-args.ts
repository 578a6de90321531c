import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from './cli-io.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a verb's arguments parse to, or the exit code to return after usage was printed. */
export type VerbArgs<O extends Options> =
  | {
      ok: true;
      values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
      positionals: string[];
    }
  | { ok: false; code: number };

/**
 * Parses a verb's arguments with `node:util.parseArgs` (strict: an unknown option or a missing
 * value is an error). `--help`/`-h` prints `usage` to stdout (exit 0); a parse error prints the
 * error and `usage` to stderr (exit 2).
 */
export function parseVerbArgs<O extends Options>(
  verb: string,
  args: string[],
  options: O,
  usage: string,
  io: CliIo,
): VerbArgs<O> {
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    if ((parsed.values as { help?: boolean }).help) {
      io.stdout(usage);
      return { ok: false, code: 0 };
    }
    return { ok: true, values: parsed.values as never, positionals: parsed.positionals };
  } catch (error) {
    io.stderr(`flowforge ${verb}: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return { ok: false, code: 2 };
  }
}

/** The one FILE positional of a verb, or the exit code after saying what is wrong. */
export function oneFile(verb: string, positionals: string[], usage: string, io: CliIo): string | number {
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) {
    io.stderr(`flowforge ${verb}: ${file === undefined ? 'no FILE given' : 'give one FILE'}\n${usage}`);
    return 2;
  }
  return file;
}
