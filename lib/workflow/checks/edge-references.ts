import type { ValidationContext } from './validation-context.ts';

/** Every dependency and connection names existing nodes, and no edge leads from a node to itself. */
export function checkEdgeReferences(ctx: ValidationContext): void {
  // Suggestions scan every id: only offer them for the first few unknown names (stays linear).
  let suggestions = 20;
  const unknown = (pointer: string, what: string, id: string): void => {
    const hint = suggestions-- > 0 ? suggest(ctx, id) : '';
    ctx.error(pointer, `${what} names node "${id}", which does not exist${hint}`);
  };
  for (const node of ctx.nodes) {
    const dependencies = node.raw.dependencies;
    if (!node.first || !Array.isArray(dependencies)) continue;
    for (let i = 0; i < dependencies.length; i++) {
      const from: unknown = dependencies[i];
      if (typeof from !== 'string') continue;
      if (from === node.id)
        ctx.error(`${node.pointer}/dependencies/${i}`, `node "${from}" cannot depend on itself`);
      else if (!ctx.byId.has(from)) unknown(`${node.pointer}/dependencies/${i}`, 'dependency', from);
    }
  }
  for (const d of ctx.declarations) {
    let known = true;
    for (const [end, pointer] of [
      [d.from, d.fromPointer],
      [d.to, d.toPointer],
    ] as const) {
      if (typeof end !== 'string') known = false;
      else if (!ctx.byId.has(end)) {
        known = false;
        unknown(pointer, 'connection', end);
      }
    }
    if (known && d.from === d.to) ctx.error(d.toPointer, `node "${String(d.to)}" cannot depend on itself`);
  }
}

/** ` (did you mean "fetchOrder"?)` when an existing id differs only in case or by one character. */
function suggest(ctx: ValidationContext, id: string): string {
  const lower = id.toLowerCase();
  for (const candidate of ctx.byId.keys()) {
    if (candidate.toLowerCase() === lower || closeEnough(candidate, id))
      return ` (did you mean "${candidate}"?)`;
  }
  return '';
}

function closeEnough(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a.length < 3) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  let ja = a.length - 1;
  let jb = b.length - 1;
  while (ja >= i && jb >= i && a[ja] === b[jb]) {
    ja--;
    jb--;
  }
  return ja - i < 1 && jb - i < 1;
}
