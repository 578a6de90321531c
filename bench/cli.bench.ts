// CLI start cost: `flowforge run` on a small flow against a bare `node -e 0`, and against the same
// run through tsx (how bin/flowforge.js ran before the prebuilt bundle), alternating the three
// commands so that machine noise hits them alike. Goal (issue 15): run ≤ 8 × bare node.
// `node --import tsx bench/cli.bench.ts [rounds]`
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 7);
const runArgs = ['run', 'examples/hello.json', '--input', '{"name":"Ada"}', '--json'];
const TSX_ENTRY =
  "const { main } = await import('./lib/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";

const commands: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'flowforge run (bundle)': ['bin/flowforge.js', ...runArgs],
  // lib/cli/main.ts through tsx, as bin/flowforge.js ran it before it ran a bundle.
  'flowforge run (tsx)': ['--import', 'tsx', '--input-type=module', '-e', TSX_ENTRY, '--', ...runArgs],
};

function once(args: string[]): number {
  const start = performance.now();
  execFileSync(process.execPath, args, {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  return performance.now() - start;
}

once(commands['flowforge run (bundle)'] as string[]); // builds dist/ if it is stale
const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, args] of Object.entries(commands)) times[name]?.push(once(args));
}
const bare = median(times['node -e 0'] as number[]);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(24)} median ${m.toFixed(0).padStart(5)} ms  ${(m / bare).toFixed(1)}× bare node`,
  );
}
const ratio = median(times['flowforge run (bundle)'] as number[]) / bare;
console.log(`goal: flowforge run ≤ 8× bare node — ${ratio <= 8 ? 'met' : 'NOT met'} (${ratio.toFixed(1)}×)`);
