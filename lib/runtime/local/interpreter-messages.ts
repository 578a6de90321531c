import type { TaskPayload } from '../../actions/action.ts';
import type { AslDefinition } from '../../compiler/types.ts';
import type { NodeError, NodeRecord } from '../execution-record.ts';
import type { MachineInput } from '../state-machines.ts';
import type { RecordMessage } from './record-json.ts';

/** An error thrown on one side, as it crosses to the other (an `Error`'s fields, or a thrown non-error). */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  nonError?: string;
}

/** The options of `runLocally` that cross to the interpreter thread (the functions stay in the main thread). */
export interface ThreadRunOptions {
  timeScale?: number;
  scaleTimeouts?: boolean;
  replay?: Record<string, NodeRecord>;
  machineType?: 'STANDARD' | 'EXPRESS';
  validate?: 'structure' | 'full' | 'none';
}

/** The payload store's methods, which the thread calls in the main thread. */
export type PayloadMethod = 'putJson' | 'getJson' | 'putBytes' | 'getBytes';

/** Main thread → interpreter thread. */
export type FromMain =
  | {
      type: 'start';
      runId: number;
      /** The machine's ASL, by the id the thread keeps it under. */
      aslId: number;
      /** The ASL itself, the first time `aslId` is sent (the thread keeps it until `forget`). */
      asl?: AslDefinition;
      input: MachineInput;
      options: ThreadRunOptions;
      hasWaitHandler: boolean;
      hasPayloads: boolean;
    }
  | { type: 'abort'; runId: number; reason?: NodeError }
  /** The ASL of `aslId` is no longer used by the main thread (its machine was dropped). */
  | { type: 'forget'; aslId: number }
  | { type: 'snapshot'; runId: number; requestId: number }
  | { type: 'answer'; callId: number; value?: unknown; error?: RemoteError }
  /** The wait of call `callId` is registered (its node now reads `waiting`). */
  | { type: 'waiting'; callId: number };

/** Interpreter thread → main thread. */
export type ToMain =
  | { type: 'ready' }
  | ({ type: 'call'; runId: number; callId: number } & (
      | { kind: 'invoke'; payload: TaskPayload; actionKind: string; stateName: string }
      | { kind: 'wait'; payload: unknown }
      | { kind: 'payloads'; method: PayloadMethod; args: unknown[] }
    ))
  | { type: 'cancel'; callId: number; reason: { name: string; message: string } }
  | { type: 'changed'; runId: number }
  | { type: 'wait-entered'; runId: number }
  /** Records cross as JSON text made in the thread (record-json.ts); the final one with its nodes packed. */
  | { type: 'snapshot'; requestId: number; record: RecordMessage | undefined }
  | { type: 'done'; runId: number; record: RecordMessage; compensated: string[] }
  | { type: 'refused'; runId: number; error: RemoteError };
