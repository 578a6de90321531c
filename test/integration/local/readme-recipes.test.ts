import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../api/local-api.ts';

const exec = promisify(execFile);

/** The shell block after `<!-- recipe:<name> -->` in the README, its indentation removed. */
async function recipe(name: string): Promise<string> {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const match = new RegExp(`<!-- recipe:${name} -->\\n\\s*\`\`\`sh\\n([\\s\\S]*?)\\n\\s*\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README has no recipe:${name}`);
  return match[1].replace(/^ {2}/gm, '');
}

/** Replaces each placeholder, failing when the README no longer has it (so the test follows the README). */
const fill = (text: string, values: Record<string, string>): string =>
  Object.entries(values).reduce((filled, [placeholder, value]) => {
    if (!filled.includes(placeholder)) throw new Error(`the recipe lost its placeholder ${placeholder}`);
    return filled.replaceAll(placeholder, value);
  }, text);

const hasAws = await exec('aws', ['--version']).then(
  () => true,
  () => false,
);

describe('README trigger recipes, pasted into bash', () => {
  let api: TestApi;
  let flowId: string;
  let webhook: { url: string; secret: string };

  beforeAll(async () => {
    api = await startTestApi();
    const created = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'recipes',
        nodes: [
          { id: 'hook', type: 'trigger', trigger: 'webhook' },
          { id: 'queue', type: 'trigger', trigger: 'queue' },
          {
            id: 'say',
            type: 'action',
            action: 'log',
            config: { message: 'hi' },
            dependencies: ['hook', 'queue'],
            join: 'any',
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    flowId = created.body.flowId;
    webhook = created.body.triggers.find((t: { id: string }) => t.id === 'hook');
  });
  afterAll(async () => {
    await api?.stop();
  });

  const runsBy = async (type: string, count: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listed = await api.request('GET', `/api/v1/executions?flowId=${flowId}&trigger=${type}`);
      if (listed.body.items.length >= count || Date.now() > deadline) return listed.body.items;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('signs and sends a webhook with the key decoded from after whsec_', async () => {
    const script = fill(await recipe('webhook'), {
      'whsec_...': webhook.secret,
      'http://127.0.0.1:3000/api/v1/hooks/<flowId>/<triggerId>': webhook.url,
    });
    const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', script]);
    expect(JSON.parse(stdout)).toMatchObject({ executionId: expect.any(String) });
    expect(await runsBy('webhook', 1)).toHaveLength(1);
  });

  it('sends the queue message (curl, and the AWS CLI where it is installed) to the URL the banner prints', async () => {
    expect(api.server.queueUrl).toBe(`${api.server.sqsEndpoint}/000000000000/flowforge-triggers`);
    let script = fill(await recipe('queue'), {
      'http://127.0.0.1:9324': api.server.sqsEndpoint,
      '<flowId>': flowId,
    });
    // Without an AWS CLI, the curl form alone (it says so in the README).
    if (!hasAws) script = script.slice(script.indexOf('# the same without the AWS CLI'));
    const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', script]);
    expect(stdout).toContain('MessageId');
    expect(await runsBy('queue', hasAws ? 2 : 1)).toHaveLength(hasAws ? 2 : 1);
  });

  it('saves the example child and parent and runs the parent with its child (subflow recipe)', async () => {
    // In a scratch folder that has the examples (the recipe writes onboard.json where it runs).
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-recipe-'));
    await symlink(fileURLToPath(new URL('../../../examples', import.meta.url)), join(dir, 'examples'));
    try {
      const script = fill(await recipe('subflow'), {
        'http://127.0.0.1:3000/api/v1': `${api.server.url}/api/v1`,
      });
      const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir,
        env: { ...process.env, KEY: api.adminKey },
      }).catch((error: unknown) => {
        throw new Error(`the recipe failed: ${String(error)}`);
      });
      const started = JSON.parse(stdout) as { executionId: string };
      const parent = await api.waitForExecution(started.executionId, api.adminKey);
      expect(parent.status).toBe('SUCCEEDED');
      expect(parent.nodes.greet.output.message).toBe('welcome Ada: tier gold, score 78');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
