import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { silentLog } from '../../lib/local/local-log.ts';
import { type LocalServer, startLocalServer } from '../../lib/local/server.ts';
import { CHROMIUM_ARGS } from './chromium-args.ts';

/** Where screenshots go (gitignored). */
export const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** Builds the console when a source is newer than its build (fast when it is current). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/ensure-built.mjs', import.meta.url))], {
    stdio: 'inherit',
  });
}

/** One Chromium per test file, with a fresh profile. */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'flowforge-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    defaultViewport: { width: 1400, height: 1000 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** npm start's server on free ports with a fresh data dir. */
export async function startServer(): Promise<{ server: LocalServer; key: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flowforge-console-'));
  const server = await startLocalServer({ port: 0, sqsPort: 0, dataDir, timeScale: 0.001, log: silentLog });
  if (!server.adminKey) throw new Error('a fresh data dir prints an admin key');
  return {
    server,
    key: server.adminKey,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A JSON API call with the admin key. */
export async function api<T = Record<string, unknown>>(
  server: LocalServer,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The serious and critical axe-core violations of the page as it is now. */
export async function axeViolations(
  page: Page,
): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const outcome = await run(document, { resultTypes: ['violations'] });
    return outcome.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a screenshot under test-results/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${name}.png`) as `${string}.png`, fullPage: true });
}

/** Sets a React-controlled textarea's value as typing would. */
export async function setTextarea(page: Page, selector: string, text: string): Promise<void> {
  await page.evaluate(
    (sel, value) => {
      const element = document.querySelector(sel) as HTMLTextAreaElement;
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      setter?.call(element, value);
      element.dispatchEvent(new Event('input', { bubbles: true }));
    },
    selector,
    text,
  );
}
