// The test page in headless Chromium: two users on two nodes exchange room messages and a dm through the SDK.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { startCluster } from './support/cluster.js';
import { ARTIFACTS, launchBrowser } from './support/browser.js';

const openAs = async (page: Page, base: string, user: string) => {
  await page.goto(base);
  await page.fill('#user', user);
  await page.click('#connect');
  await page.waitForFunction(
    (u) => document.querySelector('#status')?.textContent?.includes(`connected as ${u}`),
    user,
  );
  await page.fill('#room', 'lobby');
  await page.click('#join');
  await page.waitForFunction(() => document.querySelector('#rooms')?.textContent?.includes('lobby'));
};

it('two users on two nodes chat in a room and by dm from the test page', async () => {
  await using cluster = await startCluster({ bus: 'redis', nodes: 2 });
  await using browser = await launchBrowser();
  const alice = await browser.newPage();
  const bob = await browser.newPage();
  const pageErrors: string[] = [];
  for (const page of [alice, bob]) page.on('pageerror', (err) => pageErrors.push(err.message));
  await openAs(alice, cluster.http(0), 'alice');
  await openAs(bob, cluster.http(1), 'bob');
  // bob's arrival is announced to alice, and the member list follows
  await alice.waitForFunction(() => document.querySelector('#members')?.textContent?.includes('bob'));

  await alice.fill('#body', '"hello from alice"');
  await alice.click('#send');
  await bob.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('"body":"hello from alice"'));

  await bob.fill('#to', 'alice');
  await bob.fill('#body', '{"text":"psst"}');
  await bob.click('#dm');
  await alice.waitForFunction(() =>
    /"type":"dm".*"from":"bob".*"psst"/.test(document.querySelector('#log')?.textContent ?? ''),
  );
  await bob.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('dm delivered live'));
  // the SDK confirms the dm for the app
  await alice.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('"type":"received"'));

  await alice.screenshot({ path: `${ARTIFACTS}test-page-alice.png`, fullPage: true });
  expect(await alice.textContent('#status')).toMatch(/connected as alice on node n1/);
  expect(await bob.textContent('#status')).toMatch(/connected as bob on node n2/);
  expect(pageErrors).toEqual([]);
}, 60_000);
