import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../lib/local/server.ts';
import {
  api,
  axeViolations,
  ensureConsoleBuilt,
  launchBrowser,
  screenshot,
  setTextarea,
  startServer,
} from './support.ts';

const greeter = {
  name: 'greeter',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'hello',
      type: 'action',
      action: 'log',
      config: { message: 'hello {{ input.who }}' },
      dependencies: ['start'],
    },
    { id: 'bye', type: 'action', action: 'log', config: { message: 'bye' }, dependencies: ['hello'] },
  ],
};
const slow = {
  name: 'slow',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'nap',
      type: 'operation',
      operation: 'delay',
      config: { seconds: 600_000 },
      dependencies: ['start'],
    },
    { id: 'after', type: 'action', action: 'log', config: { message: 'woke' }, dependencies: ['nap'] },
  ],
};

const approval = {
  name: 'approval',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'approve',
      type: 'operation',
      operation: 'waitForCallback',
      config: { timeoutSeconds: 31_536_000 },
      dependencies: ['start'],
    },
    {
      id: 'ship',
      type: 'action',
      action: 'log',
      config: { message: 'approved: {{ nodes.approve.output.approved }}' },
      dependencies: ['approve'],
    },
  ],
};

/** A node that fails every attempt (3, 1 s apart, scaled), then its error edge. */
const flaky = {
  name: 'flaky',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'flaky',
      type: 'action',
      action: 'code',
      config: { source: "throw new Error('still down')" },
      dependencies: ['start'],
      retry: { strategy: 'fixed', maxAttempts: 3, delaySeconds: 1, retryOn: ['CodeError'] },
    },
    { id: 'alert', type: 'action', action: 'log', config: { message: 'gave up' } },
  ],
  connections: [{ from: 'flaky', to: 'alert', on: 'error' }],
};

describe('the web console in headless Chromium', () => {
  let stopServer: () => Promise<void>;
  let server: LocalServer;
  let key: string;
  let closeBrowser: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  let greeterId: string;
  let runId: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    ({ server, key, stop: stopServer } = await startServer());
    greeterId = (await api<{ flowId: string }>(server, key, 'POST', '/flows', greeter)).flowId;
    runId = (
      await api<{ executionId: string }>(server, key, 'POST', `/flows/${greeterId}/execute`, {
        input: { who: 'Ada' },
      })
    ).executionId;
    for (let i = 0; i < 200; i++) {
      const run = await api<{ status: string }>(server, key, 'GET', `/executions/${runId}`);
      if (run.status !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await browser.newPage();
    // axe-core is injected as an inline script, which the console's CSP (rightly) refuses.
    await page.setBypassCSP(true);
  });
  afterAll(async () => {
    await closeBrowser?.();
    await stopServer?.();
  });

  it('serves the console at / and signs in with a pasted key, kept in sessionStorage only', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('input[name="api-key"]');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.type('input[name="api-key"]', key);
    await page.click('button[type="submit"]');
    await page.waitForSelector(`tr[data-flow-id="${greeterId}"]`);
    const storage = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.keys(localStorage).length,
    }));
    expect(storage.session).toContain(key);
    expect(storage.local).toBe(0);
    expect(await page.$eval(`tr[data-flow-id="${greeterId}"]`, (row) => row.textContent)).toContain(
      'SUCCEEDED',
    );
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'flows');
  });

  it('opens a flow and draws every node of its graph', async () => {
    await page.click(`tr[data-flow-id="${greeterId}"] a`);
    await page.waitForSelector('[data-node-id="bye"]');
    const ids = await page.$$eval('[data-node-id]', (nodes) =>
      nodes.map((n) => n.getAttribute('data-node-id')),
    );
    expect(ids.sort()).toEqual(['bye', 'hello', 'start']);
    expect(await page.$eval('main', (m) => m.textContent)).toContain('Machine type');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'flow');
  });

  it('places the API’s validation error on the field and on the node while editing', async () => {
    const [editTab] = await page.$$('xpath/.//button[@role="tab"][text()="edit"]');
    await editTab?.click();
    await page.waitForSelector('textarea[name="definition"]');
    const broken = structuredClone(greeter);
    (broken.nodes[2] as { dependencies: string[] }).dependencies = ['ghost'];
    await setTextarea(page, 'textarea[name="definition"]', JSON.stringify(broken, null, 2));
    await page.waitForSelector('[data-error-path="/nodes/2/dependencies/0"]');
    await page.waitForSelector('[data-node-id="bye"][data-invalid="true"]');
    const line = await page.$eval('[data-error-path="/nodes/2/dependencies/0"]', (li) =>
      li.getAttribute('data-line'),
    );
    const text = JSON.stringify(broken, null, 2).split('\n');
    expect(text[Number(line) - 1]).toContain('"ghost"');
    expect(await page.$('[data-node-id="hello"][data-invalid="true"]')).toBeNull();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'flow-editor-error');
  });

  it('opens a run: nodes coloured by status and one timeline bar per node attempt', async () => {
    await page.goto(`${server.url}/#/runs/${runId}`);
    await page.waitForSelector('[data-node-id="bye"][data-status="succeeded"]');
    const bars = await page.$$eval('[data-timeline-node]', (nodes) =>
      nodes.map((n) => n.getAttribute('data-timeline-node')),
    );
    expect(bars.sort()).toEqual(['bye', 'hello', 'start']);
    await page.click('[data-timeline-node="hello"]');
    await page.waitForFunction(() => document.body.textContent?.includes('hello Ada'));
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run');
  });

  it('shows a retried node as one timeline bar per attempt, each failed one with its error', async () => {
    const flowId = (await api<{ flowId: string }>(server, key, 'POST', '/flows', flaky)).flowId;
    const started = await api<{ executionId: string }>(server, key, 'POST', `/flows/${flowId}/execute`, {});
    let record: { status: string; nodes: Record<string, { attempts?: unknown[] }> } | undefined;
    for (let i = 0; i < 400 && record?.status !== 'SUCCEEDED'; i++) {
      record = await api(server, key, 'GET', `/executions/${started.executionId}`);
      if (record?.status === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.nodes.flaky?.attempts).toHaveLength(3);
    await page.goto(`${server.url}/#/runs/${started.executionId}`);
    await page.waitForSelector('[data-node-id="alert"][data-status="succeeded"]');
    const bars = await page.$$eval('[data-timeline-node="flaky"]', (nodes) =>
      nodes.map((n) => `${n.getAttribute('data-attempt')}:${n.getAttribute('data-status')}`),
    );
    expect(bars).toEqual(['1:failed', '2:failed', '3:failed']);
    expect(await page.$eval('[data-timeline-node="flaky"][data-attempt="2"]', (n) => n.title)).toMatch(
      /^flaky \(attempt 2\): failed \(CodeError\)/,
    );
    expect(await page.$$('[data-timeline-node="alert"]')).toHaveLength(1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-retried');
  });

  it('follows a running run live and stops it', async () => {
    const slowId = (await api<{ flowId: string }>(server, key, 'POST', '/flows', slow)).flowId;
    const started = await api<{ executionId: string }>(server, key, 'POST', `/flows/${slowId}/execute`, {});
    await page.goto(`${server.url}/#/runs/${started.executionId}`);
    await page.waitForSelector('[data-node-id="start"][data-status="succeeded"]');
    await page.waitForSelector('[data-run-status="RUNNING"]');
    const [stop] = await page.$$('xpath/.//button[text()="Stop"]');
    await stop?.click();
    await page.waitForSelector('[data-run-status="ABORTED"]');
    const stored = await api<{ status: string }>(server, key, 'GET', `/executions/${started.executionId}`);
    expect(stored.status).toBe('ABORTED');
    await screenshot(page, 'run-stopped');
  });

  it('approves a node waiting for a callback, and the run goes on', async () => {
    const flowId = (await api<{ flowId: string }>(server, key, 'POST', '/flows', approval)).flowId;
    const started = await api<{ executionId: string }>(server, key, 'POST', `/flows/${flowId}/execute`, {});
    await page.goto(`${server.url}/#/runs/${started.executionId}`);
    await page.waitForSelector('[data-node-id="approve"][data-status="waiting"]');
    await page.waitForSelector('[data-waiting-node="approve"]');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-waiting');
    const [approve] = await page.$$('xpath/.//div[@data-waiting-node="approve"]//button[text()="Approve"]');
    await approve?.click();
    await page.waitForSelector('[data-run-status="SUCCEEDED"]', { timeout: 15_000 });
    await page.waitForSelector('[data-node-id="ship"][data-status="succeeded"]');
    const stored = await api<{ nodes: Record<string, { output?: unknown }> }>(
      server,
      key,
      'GET',
      `/executions/${started.executionId}`,
    );
    expect(stored.nodes.approve?.output).toEqual({ approved: true });
  });

  it('lists runs with filters, and keys without the key itself', async () => {
    await page.goto(`${server.url}/#/runs`);
    await page.waitForSelector(`tr[data-execution-id="${runId}"]`);
    await page.select('select', 'ABORTED');
    await page.waitForFunction((id) => !document.querySelector(`tr[data-execution-id="${id}"]`), {}, runId);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'runs');
    await page.goto(`${server.url}/#/keys`);
    await page.waitForSelector('tr[data-key-id]');
    expect(await page.$eval('main', (m) => m.textContent)).not.toContain(key);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'keys');
  });

  it('sends a 401 back to sign-in', async () => {
    await page.evaluate(() => sessionStorage.setItem('flowforge.apiKey', 'ffk_not_a_real_key_000000'));
    await page.goto(`${server.url}/#/flows`);
    await page.reload();
    await page.waitForSelector('input[name="api-key"]');
  });
});
