/**
 * Headless Chromium for the console's tests: Debian's `chromium` (installed by `npm test`'s
 * provisioning) driven by playwright-core, which brings no browser of its own. Each launch gets a
 * fresh profile; each person in a test gets a fresh context (no shared cookies or storage).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** The system browser; `CHROMIUM` overrides the path. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Quiet, offline flags: no background traffic, and no name but the loopback address resolves, so a
 * page that tried to load anything from elsewhere (a CDN) would fail visibly instead of reaching out.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** A laptop screen. */
export const VIEWPORT = { width: 1366, height: 900 };

export function launchChromium(): Promise<Browser> {
  // playwright makes a fresh --user-data-dir for every launch and passes --headless itself.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

/** A fresh context and page; the page's console errors and failed requests are collected for diagnostics. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/**
 * Where screenshots go: `test-results/console` (not committed), or `CONSOLE_SCREENSHOTS`
 * (`CONSOLE_SCREENSHOTS=docs/console` refreshes the README's pictures).
 */
export function screenshotDir(): string {
  const dir = process.env.CONSOLE_SCREENSHOTS ?? join('test-results', 'console');
  mkdirSync(dir, { recursive: true });
  return dir;
}
