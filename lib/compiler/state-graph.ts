import { CompileError } from './types.ts';

/** One ASL state as a plain JSON object. */
export type AslState = Record<string, unknown>;

/**
 * Collects the states of one machine. State names are unique across the whole machine (Parallel
 * branches included, as Step Functions requires), so every scope shares one registry of names;
 * each scope (the top level or one Parallel branch) keeps its own `States` map in insertion order.
 * Adding a name twice throws a CompileError that names both owners.
 */
export class StateGraph {
  private readonly owners = new Map<string, string>();
  private count = 0;

  /** Opens a scope (the machine's top level or one branch) whose states go into `states`. */
  scope(): StateScope {
    return new StateScope(this);
  }

  /** Number of states added so far, nested branches included. */
  get size(): number {
    return this.count;
  }

  /** @internal Registers a name; throws when it is taken. */
  claim(name: string, owner: string): void {
    const previous = this.owners.get(name);
    if (previous !== undefined) {
      throw new CompileError(
        `state name "${name}" is used twice: by ${previous} and by ${owner}`,
        'INVALID_DEFINITION',
      );
    }
    if (name.length > 80) {
      throw new CompileError(
        `state name "${name}" (${owner}) is longer than 80 characters`,
        'INVALID_DEFINITION',
      );
    }
    this.owners.set(name, owner);
    this.count++;
  }
}

/** The states of one scope (top level or a Parallel branch). */
export class StateScope {
  readonly states: Record<string, AslState> = {};
  constructor(private readonly graph: StateGraph) {}

  /** Adds a state; `owner` describes who added it, for the duplicate-name message. */
  add(name: string, state: AslState, owner: string): void {
    this.graph.claim(name, owner);
    this.states[name] = state;
  }

  /** Opens a nested scope (a Parallel branch) sharing the name registry. */
  branch(): StateScope {
    return this.graph.scope();
  }
}
