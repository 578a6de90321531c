import { describe, expect, it } from 'vitest';
import { StateGraph } from '../../../lib/compiler/state-graph.ts';
import { CompileError } from '../../../lib/compiler/types.ts';

describe('StateGraph', () => {
  it('counts states across scopes and rejects a duplicate name naming both owners', () => {
    const graph = new StateGraph();
    const top = graph.scope();
    top.add('a', { Type: 'Pass', End: true }, 'node "a"');
    const branch = top.branch();
    branch.add('b', { Type: 'Pass', End: true }, 'node "b"');
    expect(graph.size).toBe(2);
    expect(Object.keys(top.states)).toEqual(['a']);
    expect(() => branch.add('a', { Type: 'Pass', End: true }, 'Parallel parallel:1')).toThrow(
      new CompileError(
        'state name "a" is used twice: by node "a" and by Parallel parallel:1',
        'INVALID_DEFINITION',
      ),
    );
  });
});
