import { type DiagramDefinition, toDot, toMermaid } from '../../workflow/diagram.ts';
import { validateDefinition } from '../../workflow/validate-definition.ts';
import type { CliIo } from '../cli-io.ts';
import { readDefinitionFile } from '../read-definition-file.ts';
import { oneFile, parseVerbArgs } from '../verb-args.ts';

const USAGE = 'Usage: flowforge graph FILE [--format mermaid|dot]\n';

/**
 * `flowforge graph FILE [--format mermaid|dot]` (DESIGN.md §3): prints the flow as a diagram, a
 * Mermaid flowchart by default or a Graphviz digraph. Exit 0 printed; 1 unreadable or invalid
 * definition (`ERROR <pointer>: <message>` lines on stderr); 2 bad usage.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseVerbArgs('graph', args, { format: { type: 'string', default: 'mermaid' } }, USAGE, io);
  if (!parsed.ok) return parsed.code;
  const format = parsed.values.format;
  if (format !== 'mermaid' && format !== 'dot') {
    io.stderr(`flowforge graph: --format must be mermaid or dot, not "${format}"\n${USAGE}`);
    return 2;
  }
  const file = oneFile('graph', parsed.positionals, USAGE, io);
  if (typeof file === 'number') return file;
  const read = await readDefinitionFile(file);
  if (!read.ok) {
    io.stderr(`ERROR ${read.message}\n`);
    return 1;
  }
  const result = validateDefinition(read.raw);
  if (!result.valid || !result.definition) {
    io.stderr(result.errors.map((e) => `ERROR ${e.path || '(root)'}: ${e.message}\n`).join(''));
    return 1;
  }
  const definition = result.definition as unknown as DiagramDefinition;
  io.stdout(format === 'dot' ? toDot(definition) : toMermaid(definition));
  return 0;
}
