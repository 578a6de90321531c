// Benchmark of validateDefinition on generated layered DAGs (issue 2): 1,000 nodes should take
// under 50 ms median and 5,000 nodes under 5x that. Run: node --import tsx bench/validate.bench.ts
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { validateDefinition } from '../lib/workflow/validate-definition.ts';
import { mulberry32 as random } from '../test/support/mulberry32.ts';

/**
 * A layered random DAG of `size` nodes: one webhook trigger, then log actions in layers of 10–40;
 * each node depends on 1–3 nodes of the previous three layers. About a third of the configs read an
 * ancestor through a template, every tenth edge is a connection with a condition on its source.
 */
export function generateDefinition(size: number, seed = 1): Record<string, unknown> {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const nodes: Array<Record<string, unknown>> = [{ id: 'hook', type: 'trigger', trigger: 'webhook' }];
  const connections: Array<Record<string, unknown>> = [];
  const layers: string[][] = [['hook']];
  const parentsOf = new Map<string, string[]>();
  let count = 1;
  while (count < size) {
    const width = Math.min(size - count, 10 + Math.floor(rnd() * 31));
    const layer: string[] = [];
    for (let i = 0; i < width; i++, count++) {
      const id = `n${count}`;
      const pool = layers.slice(-3).flat();
      const parents = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(pool)))];
      parentsOf.set(id, parents);
      const dependencies: string[] = [];
      for (const parent of parents) {
        if (rnd() < 0.1 && parent !== 'hook') {
          connections.push({
            from: parent,
            to: id,
            condition: `nodes.${parent}.output.message != "skip" && exists(input.orderId)`,
          });
        } else dependencies.push(parent);
      }
      let message = `node ${id} for {{ input.orderId }}`;
      if (rnd() < 0.33) {
        // Read a parent or a grandparent: an ancestor, so the definition stays valid.
        const parent = pick(parents);
        const grand = parentsOf.get(parent);
        const target = grand && grand.length > 0 && rnd() < 0.5 ? pick(grand) : parent;
        if (target !== 'hook') message += ` after {{ nodes.${target}.output.message }}`;
      }
      const node: Record<string, unknown> = { id, type: 'action', action: 'log', config: { message } };
      if (dependencies.length > 0) node.dependencies = dependencies;
      if (parents.length > 1) node.join = rnd() < 0.5 ? 'all' : 'any';
      if (rnd() < 0.1)
        node.retry = { strategy: 'exponential', maxAttempts: 3, delaySeconds: 1, maxDelaySeconds: 10 };
      nodes.push(node);
      layer.push(id);
    }
    layers.push(layer);
  }
  return { name: `bench-${size}`, nodes, connections };
}

interface Figures {
  size: number;
  edges: number;
  median: number;
  p95: number;
  /** Median CPU time of the process per run (user + system; includes GC threads). */
  cpuMedian: number;
}

function measure(size: number, runs: number): Figures {
  const definition = generateDefinition(size);
  const result = validateDefinition(definition);
  if (!result.valid) {
    throw new Error(`generated definition is invalid: ${JSON.stringify(result.errors.slice(0, 3))}`);
  }
  for (let i = 0; i < 3; i++) validateDefinition(definition); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    validateDefinition(definition);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  const edges =
    (definition.nodes as Array<{ dependencies?: string[] }>).reduce(
      (n, node) => n + (node.dependencies?.length ?? 0),
      0,
    ) + (definition.connections as unknown[]).length;
  return {
    size,
    edges,
    median: quantile(wall, 0.5),
    p95: quantile(wall, 0.95),
    cpuMedian: quantile(cpu, 0.5),
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 25);
  // 10,000 nodes (the schema's maximum) shows the per-node cost staying flat: no quadratic pass.
  const results = [1_000, 5_000, 10_000].map((size) =>
    measure(size, size > 5_000 ? Math.min(runs, 10) : runs),
  );
  for (const r of results) {
    process.stdout.write(
      `validateDefinition ${String(r.size).padStart(6)} nodes, ${String(r.edges).padStart(6)} edges: ` +
        `median ${r.median.toFixed(1)} ms (${((r.median * 1000) / r.size).toFixed(1)} µs/node), ` +
        `p95 ${r.p95.toFixed(1)} ms, cpu median ${r.cpuMedian.toFixed(1)} ms\n`,
    );
  }
  const [small, large] = results as [Figures, Figures, Figures];
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  process.stdout.write(
    `targets: 1,000 nodes < 50 ms median: ${verdict(small.median < 50)}; ` +
      `5,000 nodes < 5 x 50 ms: ${verdict(large.median < 250)}; ` +
      `5,000 nodes < 5 x the measured 1,000 median: ${verdict(large.median < 5 * small.median)} ` +
      `(ratio ${(large.median / small.median).toFixed(2)} wall, ${(large.cpuMedian / small.cpuMedian).toFixed(2)} cpu)\n` +
      `load average ${(os.loadavg()[0] ?? 0).toFixed(1)} on ${os.availableParallelism()} cores: wall times include waiting for a CPU when the machine is busy\n`,
  );
}

// Importable (for the generator) without running the benchmark.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
