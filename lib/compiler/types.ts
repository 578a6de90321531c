import type { WorkflowDefinition } from '../workflow/definition-schema.ts';

/** What the compiler needs from outside: the Lambda ARN of each action kind (DESIGN.md §1). */
export interface CompileContext {
  /** Action kind → ARN of its Lambda (`arn:aws:lambda:…:function:flowforge-action-http`). */
  actionArns: Readonly<Record<string, string>>;
  /**
   * ARN of the wait function that waitForCallback / waitForEvent Tasks invoke with a task token
   * (`…:function:flowforge-waits`); needed only by definitions that wait.
   */
  waitArn?: string;
  /**
   * ARN of the subflow function that subflow Tasks invoke (`…:function:flowforge-action-subflow`);
   * needed only by definitions with a subflow.
   */
  subflowArn?: string;
  /**
   * The payload bucket (S3): a top-level forEach of a Standard machine compiles to a Distributed Map
   * that reads its items from it (ItemReader) and writes its results to it (ResultWriter). Without
   * one, every forEach compiles to an Inline Map (see `for-each-states.ts`).
   */
  payloadBucket?: string;
  /**
   * Measured durations (node id → p50 in milliseconds, from the flow's recent successful runs).
   * Optional: they only choose which ordering edges to add where the DAG is not series-parallel
   * (the cut that gives the shortest critical path under these durations); a series-parallel
   * DAG compiles to the same bytes with or without them (lib/compiler/node-weights.ts).
   */
  durationHints?: Readonly<Record<string, number>>;
}

/** An Amazon States Language document (JSONPath dialect). */
export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  TimeoutSeconds?: number;
  QueryLanguage?: 'JSONPath';
}

/** The compile report (DESIGN.md §3 `flowforge compile --report`). */
export interface CompileReport {
  stateMachineType: 'STANDARD' | 'EXPRESS';
  definitionBytes: number;
  states: number;
  estimatedTransitions: number;
  /** Ordering edges added to make the DAG series-parallel, as `{ from, to }`. */
  addedEdges: Array<{ from: string; to: string }>;
  warnings: string[];
}

export interface CompileResult {
  asl: AslDefinition;
  report: CompileReport;
}

/** The compiler signature: pure, deterministic, no AWS, no clock, no environment. */
export type Compile = (definition: WorkflowDefinition, context: CompileContext) => CompileResult;

/** A definition the compiler refuses (too large, too many transitions, unknown action ARN, …). */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'DEFINITION_TOO_LARGE'
      | 'TOO_MANY_TRANSITIONS'
      | 'MISSING_ACTION_ARN'
      | 'INVALID_DEFINITION',
  ) {
    super(message);
    this.name = 'CompileError';
  }
}
