import { apiUrl, session } from './api/client';

/** One server-sent event of `GET /executions/{id}/events`. */
export interface LiveEvent {
  event: 'node' | 'status';
  data: { executionId: string; nodeId?: string; status: string };
}

/** Splits a `text/event-stream` text into complete events and the rest (an incomplete event). */
export function parseEvents(buffer: string): { events: LiveEvent[]; rest: string } {
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: LiveEvent[] = [];
  for (const block of blocks) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if ((event === 'node' || event === 'status') && data) events.push({ event, data: JSON.parse(data) });
  }
  return { events, rest };
}

/**
 * Follows a run through its event stream (fetch, so the API key goes in a header, which
 * EventSource cannot send). Resolves true once the final status arrived, false when the stream
 * ended before (API Gateway answers the events so far and closes): the caller then polls.
 */
export async function followEvents(
  executionId: string,
  onEvent: (event: LiveEvent) => void,
  signal: AbortSignal,
): Promise<boolean> {
  const key = session.key();
  const response = await fetch(apiUrl(`/api/v1/executions/${encodeURIComponent(executionId)}/events`), {
    headers: { accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    signal,
  });
  if (!response.ok || !response.body) return false;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let final = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parsed = parseEvents(buffer + value);
    buffer = parsed.rest;
    for (const event of parsed.events) {
      onEvent(event);
      if (event.event === 'status') final = true;
    }
  }
  return final;
}
