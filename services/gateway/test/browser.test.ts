// The test page in headless Chromium: two users on two nodes exchange room messages and a dm through the SDK.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { startCluster, TestClient, startDashboard, ARTIFACTS, launchBrowser } from '@chorus/test-kit';

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
  // the page logs the frames as they are on the wire: the SDK's compact encoding sends the message as an array
  await bob.waitForFunction(() => document.querySelector('#log')?.textContent?.includes(',"hello from alice",'));

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

it('typing and calls across nodes from the test page; a ban from the admin view closes the user with 4004', async () => {
  const ADMIN_TOKEN = 'browser-admin-token-0123456789';
  await using cluster = await startCluster({ bus: 'redis', nodes: 2, env: { ADMIN_TOKEN } });
  await using dashboard = await startDashboard({
    REDIS_URL: cluster.redis!.url,
    REDIS_PREFIX: cluster.prefix!,
    ADMIN_TOKEN,
    GATEWAY_URL: cluster.http(0),
    POLL_MS: '250',
  });
  await using browser = await launchBrowser();
  const pageErrors: string[] = [];
  const page = async () => {
    const p = await browser.newPage();
    p.on('pageerror', (err) => pageErrors.push(err.message));
    return p;
  };
  const alice = await page();
  const bob = await page();
  const bobElsewhere = await page();
  await openAs(alice, cluster.http(0), 'alice');
  await openAs(bob, cluster.http(1), 'bob');
  await openAs(bobElsewhere, cluster.http(0), 'bob');
  /** Waits until the element's text contains `wanted` (or matches it); fails naming what it shows instead. */
  const text = async (p: Page, selector: string, wanted: string | RegExp) => {
    const arg = {
      selector,
      source: typeof wanted === 'string' ? wanted : wanted.source,
      regex: wanted instanceof RegExp,
    };
    try {
      await p.waitForFunction(
        ({ selector: sel, source, regex }) => {
          const t = document.querySelector(sel)?.textContent ?? '';
          return regex ? new RegExp(source).test(t) : t.includes(source);
        },
        arg,
        { timeout: 10_000 },
      );
    } catch {
      throw new Error(
        `${selector} never showed ${String(wanted)}; it shows ${JSON.stringify(await p.textContent(selector))}`,
      );
    }
  };

  // typing on node 1 is seen on node 2
  await alice.type('#body', 'hello bob', { delay: 20 });
  await text(bob, '#typing', 'alice is typing…');
  await alice.click('#send');
  await text(bob, '#typing', /^$/);

  // a call from node 1 rings on node 2, which accepts; both see it
  await alice.fill('#to', 'bob');
  await alice.click('#call');
  await text(bob, '#caller', 'alice is calling');
  await text(alice, '#call-status', 'call with bob: ringing');
  await bob.click('#accept');
  await text(alice, '#call-status', 'call with bob: accepted');
  await text(bob, '#call-status', 'call with alice: accepted');
  await alice.click('#hangup');
  await text(bob, '#call-status', 'call with alice: hung up');
  // nobody to ring
  await alice.fill('#to', 'nobody-home');
  await alice.click('#call');
  await text(alice, '#call-status', 'call with nobody-home: not connected');
  await alice.screenshot({ path: `${ARTIFACTS}test-page-call.png`, fullPage: true });

  // the admin view: the token once, then a ban of bob closes both of bob's pages with 4004
  const admin = await page();
  await admin.goto(dashboard.http);
  await admin.fill('#token', ADMIN_TOKEN);
  await admin.click('#login button');
  await text(admin, '#top-rooms', 'lobby');
  await admin.fill('#lookup-user', 'bob');
  await admin.click('#lookup button');
  await text(admin, '#user-status', 'bob: online on 2 node(s)');
  await admin.fill('#ban-seconds', '600');
  await admin.click('#ban-user');
  await text(admin, '#admin-result', 'banned bob for 600 s: 2 connection(s) closed');
  await text(bob, '#status', '(4004)');
  await text(bobElsewhere, '#status', '(4004)');
  await text(admin, '#user-status', /bob: offline, banned until/);
  await admin.screenshot({ path: `${ARTIFACTS}dashboard-admin.png`, fullPage: true });
  const again = await TestClient.connect(cluster.url(1), { user: 'bob' }).then(
    () => 101,
    (e: { status: number }) => e.status,
  );
  expect(again).toBe(403);
  expect(await alice.textContent('#status')).toMatch(/connected as alice/);
  expect(pageErrors).toEqual([]);
}, 90_000);
