import type { CliIo } from '../../lib/cli/cli-io.ts';

/** A CLI io that collects what a command prints: `out.stdout`, `out.stderr`. */
export function captureIo(): { out: { stdout: string; stderr: string }; io: CliIo } {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}
