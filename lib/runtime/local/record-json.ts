import type { ExecutionRecord } from '../execution-record.ts';

/** A record without its nodes: what most readers of a finished run look at. */
export type RecordHead = Omit<ExecutionRecord, 'nodes'>;

/** A record as it crosses from the interpreter thread: plain data, made there. */
export interface RecordMessage {
  /** The whole record's JSON text. */
  text: string;
  head: RecordHead;
  /** How many nodes the record holds. */
  nodeCount: number;
  /** The nodes encoded as the execution store keeps them (lib/store/codec.ts `packJson`), when asked for. */
  packedNodes?: string | Uint8Array;
}

/**
 * One execution record, held as an object or as its JSON text, whichever it was made as, and
 * turned into the other only when someone needs it. The interpreter thread sends the records of
 * its runs as text ({@link recordMessage}): a 5,000-node record is ~600 KB of JSON, and as objects
 * its copy into the main thread, a clone per reader and the serialisation for the journal and the
 * store cost the API's event loop tens of milliseconds per run. As text it crosses as one string,
 * the journal splices it into its entry, the store takes the nodes already packed, and a reader
 * parses its own copy.
 *
 * Immutable: neither form changes once made (`peek`'s object must not be changed either).
 */
export class RecordJson {
  private json?: string;
  private value?: ExecutionRecord;

  private constructor(
    readonly head: RecordHead,
    /** How many nodes the record holds. */
    readonly nodeCount: number,
    value: ExecutionRecord | undefined,
    json: string | undefined,
    /** The nodes as the execution store keeps them, when the maker packed them. */
    readonly packedNodes?: string | Uint8Array,
  ) {
    this.value = value;
    this.json = json;
  }

  /** Holds `record` itself: whoever made it must not change it afterwards. */
  static of(record: ExecutionRecord): RecordJson {
    const { nodes: _nodes, ...head } = record;
    return new RecordJson(head, Object.keys(record.nodes ?? {}).length, record, undefined);
  }

  /** The record a {@link recordMessage} carried. */
  static fromMessage(message: RecordMessage): RecordJson {
    return new RecordJson(message.head, message.nodeCount, undefined, message.text, message.packedNodes);
  }

  get status(): ExecutionRecord['status'] {
    return this.head.status;
  }

  /** The record's JSON text (made once). */
  get text(): string {
    this.json ??= JSON.stringify(this.value);
    return this.json;
  }

  /** A copy of the record that the caller owns. */
  read(): ExecutionRecord {
    return this.value ? structuredClone(this.value) : (JSON.parse(this.text) as ExecutionRecord);
  }

  /** The record itself, parsed once and kept: to read, never to change. */
  peek(): ExecutionRecord {
    this.value ??= JSON.parse(this.text) as ExecutionRecord;
    return this.value;
  }
}

/**
 * The message form of `record`, made in the thread that built it (all the O(nodes) work of a
 * crossing happens there). With `pack`, the nodes' JSON text is also encoded for the store.
 */
export function recordMessage(
  record: ExecutionRecord,
  pack?: (nodesText: string) => string | Uint8Array,
): RecordMessage {
  const { nodes, ...head } = record;
  const nodesText = JSON.stringify(nodes ?? {});
  // The nodes' text once, spliced after the head's (a record always has a status, so the head's
  // JSON is a non-empty object).
  const text = `${JSON.stringify(head).slice(0, -1)},"nodes":${nodesText}}`;
  return {
    text,
    head,
    nodeCount: Object.keys(nodes ?? {}).length,
    ...(pack ? { packedNodes: pack(nodesText) } : {}),
  };
}
