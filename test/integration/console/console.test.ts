/**
 * The ops console in headless Chromium against a real worker on real Kafka, the reference model server
 * and the in-test OpenID Provider: an operator finds the connector whose model rejects a marker, opens
 * the dead letters of that code, dry-runs and replays them and watches the job finish while the worker
 * enriches them; a viewer is offered no mutating control and a forged mutation from its session is
 * refused; an expired session leads back to sign-in with the form in progress intact. Screenshots of
 * the three views are saved on the way (see `screenshotDir`).
 */
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import type { TestClient } from '../../services/admin/oidc-provider.ts';
import { CONNECTOR, MARKER, keysOf, testEvent } from '../replay/replay-env.ts';
import type { ReplayEnv } from '../replay/replay-env.ts';
import { startControlPlane } from '../admin/control-plane.ts';
import type { ControlPlane } from '../admin/control-plane.ts';
import { launchChromium, openPage, screenshotDir } from './browser.ts';

const N = 24;
/** Every fourth event carries the marker the model rejects; event 7 is not even JSON. */
const kindOf = (i: number): 'ok' | 'marker' | 'malformed' => (i % 4 === 0 ? 'marker' : i === 7 ? 'malformed' : 'ok');
const keys = (kind: string): string[] => Array.from({ length: N }, (_, i) => i).filter((i) => kindOf(i) === kind).map((i) => `k-${i}`);
const rejected = keys('marker');

let plane: ControlPlane;
let browser: Browser;
/** The replay environment and the API's URL, used throughout. */
let env: ReplayEnv;
let base: string;

beforeAll(async () => {
  plane = await startControlPlane({ console: true, historySampleMs: 1000 });
  ({ env, base } = plane);
  const { model, worker } = plane;
  browser = await launchChromium();

  // The model rejects the marker; the malformed event goes first so that the last error is a rejection.
  model.faults.set('sentiment', { rejectMarker: MARKER, rejectStatus: 400 });
  await worker.start();
  await env.produce([testEvent(7, 'malformed')]);
  await waitFor(async () => (await env.deadLetters()).length === 1, { timeoutMs: 60_000, intervalMs: 500, what: 'the malformed event dead-lettered' });
  await env.produce(Array.from({ length: N }, (_, i) => i).filter((i) => i !== 7).map((i) => testEvent(i, kindOf(i))));
  await waitFor(async () => env.enriched.messages.length >= keys('ok').length && (await env.deadLetters()).length === rejected.length + 1, {
    timeoutMs: 60_000,
    intervalMs: 500,
    what: 'enriched events and dead letters',
  });
});

afterAll(async () => {
  await browser?.close();
  await plane?.close();
});

/** Through the issuer's login form and back to the console. */
async function signIn(page: Page, user: TestClient): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill('any password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Connectors', level: 1 }).waitFor();
}

/** Waits for what a locator shows (vitest's `expect.poll`; playwright-core has no assertions of its own). */
const poll = <T>(read: () => Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 200 });
const textOf = (locator: Locator) => async (): Promise<string> => (await locator.innerText()).trim();

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });

describe('ops console in Chromium', () => {
  it('an operator finds the rejected events, dry-runs and replays them, and watches the job finish; the worker enriches them', async () => {
    const { context, page, errors } = await openPage(browser);
    try {
      await signIn(page, 'operator');
      await poll(textOf(page.locator('header .role'))).toBe('operator');
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: CONNECTOR }) });
      await row.getByRole('button', { name: `Pause ${CONNECTOR}` }).waitFor();
      const lastError = row.getByRole('link', { name: 'INFERENCE_REJECTED' });
      await lastError.waitFor();
      await shot(page, 'connectors');

      // The dead letters of that code: counted by code, listed, one opened with its origin.
      await lastError.click();
      await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
      await poll(textOf(page.locator('td[data-code="INFERENCE_REJECTED"]'))).toBe(String(rejected.length));
      await poll(textOf(page.locator('td[data-code="MALFORMED_PAYLOAD"]'))).toBe('1');
      const listed = page.locator('table.dead-letters tbody tr');
      await poll(() => listed.count()).toBe(rejected.length);
      await listed.first().getByRole('button', { name: /^Details of/ }).click();
      const detail = page.getByRole('region', { name: /^Dead letter / });
      await detail.getByRole('heading', { name: 'Origin' }).waitFor();
      await poll(textOf(detail.locator('.facts').nth(1))).toContain(env.config.source.kind === 'kafka' ? env.config.source.topic : '');
      await poll(textOf(detail.locator('pre.value').first())).toContain(`"text": "please ${MARKER} this"`);
      await shot(page, 'dead-letters');

      // The model is fixed; the replay form comes filled with the code, and an API error shows as its problem.
      plane.model.faults.clear();
      await page.getByRole('link', { name: 'Replay these…' }).click();
      await page.getByRole('heading', { name: 'Replay', level: 1 }).waitFor();
      await poll(() => page.getByRole('checkbox', { name: /INFERENCE_REJECTED/ }).isChecked()).toBe(true);
      await page.getByLabel(/JSONata predicate/).fill('$$$(');
      await page.getByRole('button', { name: 'Dry run' }).click();
      await poll(textOf(page.getByRole('alert'))).toContain('Bad Request');
      await page.getByLabel(/JSONata predicate/).fill('');
      await page.getByLabel(/^Rate/).fill('20');
      await page.getByRole('button', { name: 'Dry run' }).click();
      await poll(textOf(page.getByTestId('dry-run-matched'))).toBe(String(rejected.length));

      await page.getByRole('button', { name: 'Start replay' }).click();
      const job = page.locator('table.jobs tbody tr').first();
      await poll(textOf(job.locator('.badge')), 60_000).toBe('succeeded');
      await poll(textOf(job)).toContain(`${rejected.length} moved of ${rejected.length} matched`);
      await shot(page, 'replay');

      await waitFor(() => rejected.every((key) => keysOf(env.enriched.messages).includes(key)), { timeoutMs: 60_000, what: 'replayed events enriched' });
      expect(errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a viewer is offered no mutating control, and a forged mutation from its session gets 403', async () => {
    const { context, page, errors } = await openPage(browser);
    try {
      await signIn(page, 'viewer');
      await poll(textOf(page.locator('header .role'))).toBe('viewer');
      await page.getByRole('rowheader', { name: CONNECTOR }).waitFor();
      await poll(() => page.getByRole('button', { name: /^(Pause|Resume)/ }).count()).toBe(0);
      await poll(() => page.getByRole('link', { name: 'Audit trail' }).count()).toBe(0);

      await page.getByRole('link', { name: 'Dead letters' }).click();
      await poll(textOf(page.locator('td[data-code="INFERENCE_REJECTED"]'))).toBe(String(rejected.length));
      await poll(() => page.getByRole('link', { name: 'Replay these…' }).count()).toBe(0);

      await page.getByRole('link', { name: 'Replay', exact: true }).click();
      await page.getByRole('heading', { name: 'Replay jobs' }).waitFor();
      await poll(() => page.locator('table.jobs tbody tr').count()).toBe(1);
      await poll(() => page.getByRole('button', { name: /^(Dry run|Start replay|Cancel)/ }).count()).toBe(0);

      // The page's own session (the module holding the token in memory) sends what the page does not offer.
      // (A string, so that the test runner does not rewrite its dynamic import.)
      const forged = (await page.evaluate(`(async () => {
        const { accessToken } = await import('/console/app/session.js');
        const authorization = 'Bearer ' + accessToken();
        const pause = await fetch('/v1/connectors/${CONNECTOR}/pause', { method: 'PUT', headers: { authorization } });
        const replay = await fetch('/v1/replays', { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ from: { connector: '${CONNECTOR}' } }) });
        return [
          { status: pause.status, type: pause.headers.get('content-type'), body: await pause.json() },
          { status: replay.status, body: await replay.json() },
        ];
      })()`)) as unknown[];
      expect(forged[0]).toMatchObject({ status: 403, type: expect.stringMatching(/^application\/problem\+json/), body: { title: 'Forbidden', detail: 'this operation requires the operator role' } });
      expect(forged[1]).toMatchObject({ status: 403, body: { title: 'Forbidden' } });
      expect(plane.worker.connector(CONNECTOR)!.status().paused).not.toContain('operator');
      expect(env.service.list()).toHaveLength(1);
      expect(errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an expired session leads back to sign-in, and the replay form in progress comes back intact', async () => {
    const { context, page } = await openPage(browser);
    try {
      plane.issuer.shortenNextToken('operator', 12);
      await signIn(page, 'operator');
      await page.getByRole('link', { name: 'Replay', exact: true }).click();
      await page.getByRole('heading', { name: 'Replay', level: 1 }).waitFor();
      await page.getByRole('checkbox', { name: 'infer', exact: true }).check();
      await page.getByLabel('Key equals').fill('k-4');
      await page.getByLabel(/^Rate/).fill('5');
      await page.getByLabel(/^At most/).fill('3');

      // The access token runs out: the console says so and offers sign-in, the form's state is in the address.
      await page.getByText('Your session has expired').waitFor({ timeout: 60_000 });
      expect(page.url()).toContain('key=k-4');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The issuer's session is still alive, so it sends the browser straight back (no login form).
      await page.getByRole('heading', { name: 'Replay', level: 1 }).waitFor();
      await poll(() => page.getByRole('checkbox', { name: 'infer', exact: true }).isChecked()).toBe(true);
      await poll(() => page.getByLabel('Key equals').inputValue()).toBe('k-4');
      await poll(() => page.getByLabel(/^Rate/).inputValue()).toBe('5');
      await poll(() => page.getByLabel(/^At most/).inputValue()).toBe('3');
      await poll(textOf(page.locator('header .role'))).toBe('operator');
      expect(env.service.list()).toHaveLength(1);
    } finally {
      await context.close();
    }
  });
});
