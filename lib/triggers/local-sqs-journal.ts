import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What makes a local queue survive `kill -9` (fauxqs 1.x keeps messages in memory only; 2.x
 * persists but needs Node 22): a JSON-lines journal under the data dir, one per queue (the trigger
 * queue and its DLQ).
 *
 * - A send to the queue (or, for the DLQ, a move into it) is journaled (`sent`: id, body, attributes, delay, time) before the
 *   sender gets its answer, so an acknowledged message is never lost.
 * - A delete (the poller's, after the message started its run) is journaled (`deleted`).
 * - At start, every message sent and not deleted is sent again with what is left of its delay,
 *   remembering the id it had first (`origin`): the trigger's idempotency key stays `sqs:<first id>`,
 *   so a message whose run had started before the crash does not start a second one.
 * The journal is rewritten at start with only those messages.
 */
export interface JournaledMessage {
  id: string;
  /** The message's first id (absent: this is the first). */
  origin?: string;
  body: string;
  attributes?: unknown;
  delaySeconds?: number;
  /** Epoch ms of the first send. */
  at: number;
}

type Line = ({ op: 'sent' } & JournaledMessage) | { op: 'deleted'; id: string };

/** The longest delay SQS accepts (15 minutes). */
const MAX_DELAY_SECONDS = 900;

export class LocalSqsJournal {
  private readonly origins = new Map<string, string>();
  /** Ids journaled as sent and not deleted by this process (after `reset`). */
  private readonly held = new Set<string>();

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** The messages sent and not deleted, oldest first (a torn last line is ignored). */
  pending(): JournaledMessage[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const sent = new Map<string, JournaledMessage>();
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue;
      }
      if (line.op === 'sent') {
        const { op: _op, ...message } = line;
        sent.set(line.id, message);
      } else sent.delete(line.id);
    }
    return [...sent.values()];
  }

  /** Seconds of a pending message's delay still to wait now (0 when it is due). */
  static remainingDelay(message: JournaledMessage, now: number): number {
    const due = message.at + (message.delaySeconds ?? 0) * 1000;
    return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((due - now) / 1000)));
  }

  /** Starts a fresh journal holding exactly `messages` (the ones sent again, under their new ids). */
  reset(messages: JournaledMessage[]): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, messages.map((m) => `${JSON.stringify({ op: 'sent', ...m })}\n`).join(''));
    renameSync(temporary, this.file);
    for (const message of messages) {
      this.held.add(message.id);
      if (message.origin) this.origins.set(message.id, message.origin);
    }
  }

  sent(message: JournaledMessage): void {
    appendFileSync(this.file, `${JSON.stringify({ op: 'sent', ...message })}\n`);
    this.held.add(message.id);
    if (message.origin) this.origins.set(message.id, message.origin);
  }

  deleted(id: string): void {
    appendFileSync(this.file, `${JSON.stringify({ op: 'deleted', id })}\n`);
    this.origins.delete(id);
    this.held.delete(id);
  }

  /** Whether `id` is journaled as sent and not deleted (since `reset`). */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  /** The id a message was first sent with (its own id unless it was sent again after a restart). */
  originOf(id: string): string {
    return this.origins.get(id) ?? id;
  }
}
