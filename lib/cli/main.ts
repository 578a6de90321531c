import { type CliIo, processIo } from './cli-io.ts';

/** The verbs of `flowforge`; each is a module `./commands/<verb>.ts` exporting `run(args, io)`. */
const VERBS = {
  validate: 'validate FILE [--json]               check a workflow definition; exit 0 valid, 1 invalid',
  compile: 'compile FILE [--report]              print the Step Functions ASL of a definition',
  run: 'run FILE [--input JSON] [--flow ID=FILE] [--json]  run a workflow on this machine (--flow: a subflow child); exit 0 iff it succeeded',
  graph: 'graph FILE [--format mermaid|dot]    print the flow as a diagram',
  keys: 'keys create --name N --scopes S       write an API key into FLOWFORGE_TABLE_NAME (the first admin key)',
} as const;

/** The usage text (ends with a newline). */
export function usage(): string {
  const lines = Object.values(VERBS).map((line) => `  flowforge ${line}`);
  return `Usage:\n${lines.join('\n')}\n  flowforge --version\n\n\`flowforge <command> --help\` explains one command.\n`;
}

/** The package's version (package.json sits two folders up from lib/cli and from dist/cli alike). */
async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** The signature every verb module exports. */
export type VerbRun = (args: string[], io: CliIo) => Promise<number>;

/**
 * Entry point of the `flowforge` CLI (bin/flowforge.js passes `process.argv.slice(2)` and exits with
 * the result). Dispatches to `./commands/<verb>.ts`. `--help` (or `help`) prints the usage and
 * `--version` the version, both on stdout with exit 0; no verb or an unknown verb print the usage on
 * stderr and return 2. Never throws: an unexpected error is one line on stderr and exit 1.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [verb, ...args] = argv;
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (verb === '--version' || verb === '-V' || verb === 'version') {
    io.stdout(`flowforge ${await version()}\n`);
    return 0;
  }
  if (verb === undefined) {
    io.stderr(usage());
    return 2;
  }
  if (!Object.hasOwn(VERBS, verb)) {
    io.stderr(`flowforge: unknown command "${verb}"\n${usage()}`);
    return 2;
  }
  let run: VerbRun;
  try {
    const module = (await import(`./commands/${verb}.ts`)) as { run: VerbRun };
    run = module.run;
  } catch (error) {
    io.stderr(`flowforge: the "${verb}" command is not available (${describe(error)})\n`);
    return 1;
  }
  try {
    return await run(args, io);
  } catch (error) {
    io.stderr(`flowforge ${verb}: ${describe(error)}\n`);
    return 1;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
