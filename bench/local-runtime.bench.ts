// Local runtime overhead: what aws-local-stepfunctions plus the FlowForge runner (routing, record
// building) cost per state transition and per action node, with actions that do nothing.
// `node --import tsx bench/local-runtime.bench.ts`
import '../lib/runtime/polyfills.ts';

const importStart = performance.now();
const { runLocally, validateLocalMachine } = await import('../lib/runtime/local/run-locally.ts');
const { LocalStateMachines } = await import('../lib/runtime/local/local-state-machines.ts');
const { localActionArn } = await import('../lib/runtime/local/local-action-arns.ts');
const { ExecutionLimits } = await import('../lib/runtime/local/execution-limits.ts');
const importMs = performance.now() - importStart;

import type { AslDefinition } from '../lib/compiler/types.ts';
import type { MachineInput } from '../lib/runtime/state-machines.ts';

const machineInput: MachineInput = {
  input: {},
  execution: { id: 'bench', startedAt: new Date().toISOString(), flowId: 'bench', version: 1 },
};

function task(id: string, next?: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: localActionArn('log'),
      Payload: {
        nodeId: id,
        action: 'log',
        config: { message: id },
        'execution.$': '$.execution',
        attempt: 1,
      },
    },
    ResultSelector: { status: 'succeeded', 'output.$': '$.Payload' },
    ResultPath: `$.nodes.${id}`,
    ...(next ? { Next: next } : { End: true }),
  };
}

function init(next: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Parameters: { 'input.$': '$.input', 'execution.$': '$.execution', nodes: {} },
    Next: next,
  };
}

function chain(n: number): AslDefinition {
  const states: Record<string, Record<string, unknown>> = { ':init': init('n0') };
  for (let i = 0; i < n; i++) states[`n${i}`] = task(`n${i}`, i + 1 < n ? `n${i + 1}` : undefined);
  return { StartAt: ':init', States: states };
}

function passChain(n: number): AslDefinition {
  const states: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < n; i++) {
    states[`p${i}`] = { Type: 'Pass', ...(i + 1 < n ? { Next: `p${i + 1}` } : { End: true }) };
  }
  return { StartAt: 'p0', States: states };
}

function fan(branches: number): AslDefinition {
  let merged = '$[0].nodes';
  for (let i = 1; i < branches; i++) merged = `States.JsonMerge(${merged}, $[${i}].nodes, false)`;
  return {
    StartAt: ':init',
    States: {
      ':init': init(':fan'),
      ':fan': {
        Type: 'Parallel',
        Branches: Array.from({ length: branches }, (_, i) => ({
          StartAt: `b${i}`,
          States: { [`b${i}`]: task(`b${i}`) },
        })),
        ResultSelector: { 'nodes.$': merged },
        End: true,
      },
    },
  };
}

const noop = async (): Promise<unknown> => ({ ok: true });

async function measure(label: string, asl: AslDefinition, runs: number, nodes: number): Promise<void> {
  await runLocally(asl, machineInput, { validate: 'none', invokeAction: noop }).promise; // warm-up
  const times: number[] = [];
  let transitions = 0;
  let events: ReturnType<ReturnType<typeof runLocally>['events']> = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = runLocally(asl, machineInput, { validate: 'none', invokeAction: noop });
    const record = await run.promise;
    times.push(performance.now() - started);
    if (record.status !== 'SUCCEEDED') throw new Error(`${label}: ${record.status}`);
    events = run.events();
    transitions = events.filter((event) => event.type === 'StateEntered').length;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  // The strict runtime's share of a run: the same events through a fresh ExecutionLimits (state
  // sizes and history count), as the runner checks them, timed in this run.
  const limitTimes: number[] = [];
  for (let i = 0; i < Math.max(runs, 5); i++) {
    const started = performance.now();
    const limits = ExecutionLimits.forMachine(asl, true);
    for (const event of events) limits.observe(event);
    limitTimes.push(performance.now() - started);
  }
  limitTimes.sort((a, b) => a - b);
  const limitsMedian = limitTimes[Math.floor(limitTimes.length / 2)] ?? Number.NaN;
  const perTransition = (median * 1000) / transitions;
  const perNode = nodes > 0 ? ` | ${((median * 1000) / nodes).toFixed(0)} µs per action node` : '';
  console.log(
    `${label.padEnd(34)} median ${median.toFixed(1).padStart(7)} ms | ${transitions} transitions | ${perTransition.toFixed(0)} µs per transition${perNode}` +
      ` | limits ${((limitsMedian * 1000) / transitions).toFixed(1)} µs per transition (${((100 * limitsMedian) / median).toFixed(1)}% of the run)`,
  );
}

console.log(
  `import of the runner (aws-local-stepfunctions, AWS SDK Lambda client, asl-validator): ${importMs.toFixed(0)} ms`,
);
for (const label of ['first', 'second', 'third']) {
  const asl: AslDefinition = { ...chain(20), Comment: label };
  const started = performance.now();
  validateLocalMachine(asl);
  console.log(
    `asl-validator on a 21-state machine (${label} call, new document): ${(performance.now() - started).toFixed(0)} ms`,
  );
}

await measure('Pass chain, 1,000 states', passChain(1000), 5, 0);
await measure('action chain, 50 nodes', chain(50), 10, 50);
await measure('action chain, 500 nodes', chain(500), 3, 500);
await measure('Parallel fan-out, 20 branches', fan(20), 10, 20);

const machines = await LocalStateMachines.open({ invokeAction: noop });
const deployed = await machines.deploy({
  tenantId: 't',
  flowId: 'f',
  version: 1,
  asl: chain(5),
  type: 'EXPRESS',
});
const latencies: number[] = [];
for (let i = 0; i < 50; i++) {
  const started = performance.now();
  const { executionArn } = await machines.start({ machine: deployed, name: `e${i}`, input: machineInput });
  for (;;) {
    const record = await machines.describe(executionArn);
    if (record.status !== 'RUNNING') {
      if (record.status !== 'SUCCEEDED') throw new Error(`LocalStateMachines run: ${JSON.stringify(record)}`);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  latencies.push(performance.now() - started);
}
latencies.sort((a, b) => a - b);
console.log(
  `LocalStateMachines start → SUCCEEDED, 5-node chain: p50 ${latencies[25]?.toFixed(1)} ms, p95 ${latencies[47]?.toFixed(1)} ms`,
);
await machines.close();
