import { compile } from '../../compiler/compile.ts';
import { CompileError, type CompileResult } from '../../compiler/types.ts';
import { localCompileContext } from '../../runtime/local/local-action-arns.ts';
import type { WorkflowDefinition } from '../../workflow/definition-schema.ts';
import { validateDefinition } from '../../workflow/validate-definition.ts';
import type { CliIo } from '../cli-io.ts';
import { readDefinitionFile } from '../read-definition-file.ts';
import { oneFile, parseVerbArgs } from '../verb-args.ts';

const USAGE = 'Usage: flowforge compile FILE [--report]\n';

/**
 * `flowforge compile FILE [--report]` (DESIGN.md §3): prints the ASL JSON (2-space indent) of the
 * definition compiled for local mode (action ARNs from `localCompileContext()`), or with `--report`
 * `{ "asl", "report": { stateMachineType, definitionBytes, states, estimatedTransitions, addedEdges,
 * warnings } }`. Exit 0 compiled; 1 when the file cannot be read, the definition is invalid
 * (`ERROR <pointer>: <message>` lines on stderr, as `validate` prints them) or the compiler refuses
 * it (its message on stderr); 2 for bad usage. Validation warnings go to stderr as `WARN` lines.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseVerbArgs('compile', args, { report: { type: 'boolean', default: false } }, USAGE, io);
  if (!parsed.ok) return parsed.code;
  const report = parsed.values.report === true;
  const file = oneFile('compile', parsed.positionals, USAGE, io);
  if (typeof file === 'number') return file;
  const compiled = await compileFile(file, io);
  if (!compiled.ok) return 1;
  const { asl, report: full } = compiled.result;
  const output = report
    ? {
        asl,
        report: {
          stateMachineType: full.stateMachineType,
          definitionBytes: full.definitionBytes,
          states: full.states,
          estimatedTransitions: full.estimatedTransitions,
          addedEdges: full.addedEdges,
          warnings: full.warnings,
        },
      }
    : asl;
  io.stdout(`${JSON.stringify(output, null, 2)}\n`);
  return 0;
}

/** What `compileFile` gives: the definition and its compiled machine, or `ok: false` after writing why on stderr. */
export type CompiledFile =
  | { ok: true; definition: WorkflowDefinition; result: CompileResult }
  | { ok: false };

/**
 * Reads, validates and compiles (for local mode) a definition file, the common first half of
 * `compile` and `run`. Problems are written to `io.stderr`: the read failure, each validation error
 * as `ERROR <pointer>: <message>`, or the CompileError's message. Validation warnings are written
 * to stderr as `WARN <pointer>: <message>`. Unexpected errors propagate.
 */
export async function compileFile(file: string, io: CliIo): Promise<CompiledFile> {
  const read = await readDefinitionFile(file);
  if (!read.ok) {
    io.stderr(`ERROR ${read.message}\n`);
    return { ok: false };
  }
  const validation = validateDefinition(read.raw);
  const warnings = validation.warnings.map((w) => `WARN ${w.path || '(root)'}: ${w.message}\n`).join('');
  if (!validation.valid || !validation.definition) {
    const errors = validation.errors.map((e) => `ERROR ${e.path || '(root)'}: ${e.message}\n`).join('');
    const count = validation.errors.length;
    io.stderr(`${errors}${warnings}${file}: invalid, ${count} error${count === 1 ? '' : 's'}\n`);
    return { ok: false };
  }
  if (warnings) io.stderr(warnings);
  try {
    return {
      ok: true,
      definition: validation.definition,
      result: compile(validation.definition, localCompileContext()),
    };
  } catch (error) {
    if (error instanceof CompileError) {
      io.stderr(`ERROR ${file}: ${error.message}\n`);
      return { ok: false };
    }
    throw error;
  }
}
