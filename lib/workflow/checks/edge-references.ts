import type { ValidationContext } from './validation-context.ts';

/** Every dependency and connection names existing nodes, and no edge leads from a node to itself. */
export function checkEdgeReferences(ctx: ValidationContext): void {
  // Suggestions scan every id: only offer them for the first few unknown names (stays linear).
  let suggestions = 20;
  for (const d of ctx.declarations) {
    const what = d.kind === 'dependency' ? 'dependency' : 'connection';
    let known = true;
    for (const [end, pointer] of [
      [d.from, d.fromPointer],
      [d.to, d.toPointer],
    ] as const) {
      if (typeof end !== 'string') {
        known = false;
        continue;
      }
      if (!ctx.byId.has(end)) {
        known = false;
        // A dependency's `to` is its own node, which exists; only its `from` can be unknown.
        if (d.kind === 'dependency' && end === d.to) continue;
        const hint = suggestions-- > 0 ? suggest(ctx, end) : '';
        ctx.error(pointer, `${what} names node "${end}", which does not exist${hint}`);
      }
    }
    if (known && d.from === d.to) {
      ctx.error(
        d.kind === 'dependency' ? d.pointer : d.toPointer,
        `node "${String(d.to)}" cannot depend on itself`,
      );
    }
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
