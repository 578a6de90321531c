import { memo, useMemo } from 'react';
import type { NodeRecord } from '../api/client';

export interface TimelineProps {
  nodes: Record<string, NodeRecord>;
  startedAt: string;
  finishedAt?: string;
  /** "now" for a running execution (its open bars end here). */
  now?: number;
  onSelect?: (nodeId: string) => void;
}

interface Bar {
  nodeId: string;
  attempt: number;
  start: number;
  end: number;
  status: string;
  error?: string;
}

/**
 * One bar per node attempt: a retried node's `attempts` (every attempt before the last failed,
 * the last has the node's status), else the node's own start and finish. An open bar (a running
 * attempt, or one a stop cut off) ends at `openEnd`: now, or the end of a finished run.
 */
export function barsOf(nodes: Record<string, NodeRecord>, openEnd: number): Bar[] {
  const bars: Bar[] = [];
  for (const [nodeId, node] of Object.entries(nodes)) {
    const attempts: Array<{ startedAt?: string; finishedAt?: string; error?: { error: string } }> = node
      .attempts?.length
      ? node.attempts
      : [{ startedAt: node.startedAt, finishedAt: node.finishedAt, error: node.error }];
    attempts.forEach((attempt, index) => {
      if (!attempt.startedAt) return;
      const start = Date.parse(attempt.startedAt);
      const end = attempt.finishedAt ? Date.parse(attempt.finishedAt) : openEnd;
      const last = index === attempts.length - 1;
      bars.push({
        nodeId,
        attempt: index + 1,
        start,
        end: Math.max(end, start),
        status: last ? node.status : 'failed',
        ...(attempt.error ? { error: attempt.error.error } : {}),
      });
    });
  }
  return bars.sort((a, b) => a.start - b.start || a.nodeId.localeCompare(b.nodeId) || a.attempt - b.attempt);
}

const ms = (value: number): string => (value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(2)} s`);

/**
 * The run as a Gantt chart: one row per node attempt, placed on the run's time axis. Each bar is
 * an element with `data-timeline-node="<id>"`, `data-attempt` and `data-status`; a failed
 * attempt names its error. Rows redraw only when the record or the time axis changes.
 */
export const Timeline = memo(function Timeline({
  nodes,
  startedAt,
  finishedAt,
  now = Date.now(),
  onSelect,
}: TimelineProps) {
  const origin = Date.parse(startedAt);
  const openEnd = finishedAt ? Date.parse(finishedAt) : now;
  const bars = useMemo(() => barsOf(nodes, openEnd), [nodes, openEnd]);
  if (bars.length === 0) return <p className="muted">No node has started yet.</p>;
  const end = Math.max(openEnd, ...bars.map((b) => b.end), origin + 1);
  const span = end - origin;
  return (
    <ol className="ff-timeline" aria-label="timeline">
      {bars.map((bar) => {
        const left = ((bar.start - origin) / span) * 100;
        const width = Math.max(((bar.end - bar.start) / span) * 100, 0.5);
        const label = `${bar.nodeId}${bar.attempt > 1 ? ` (attempt ${bar.attempt})` : ''}: ${bar.status}${bar.error ? ` (${bar.error})` : ''}, ${ms(bar.end - bar.start)}`;
        return (
          <li key={`${bar.nodeId}#${bar.attempt}`} className="ff-timeline-row">
            <span className="ff-timeline-label">
              {bar.nodeId}
              {bar.attempt > 1 ? ` #${bar.attempt}` : ''}
            </span>
            <span className="ff-timeline-track">
              <button
                type="button"
                className={`ff-timeline-bar status-${bar.status}`}
                data-timeline-node={bar.nodeId}
                data-status={bar.status}
                data-attempt={bar.attempt}
                style={{ left: `${left}%`, width: `${width}%` }}
                title={label}
                aria-label={label}
                onClick={() => onSelect?.(bar.nodeId)}
              />
            </span>
            <span className="ff-timeline-duration">{ms(bar.end - bar.start)}</span>
          </li>
        );
      })}
    </ol>
  );
});
