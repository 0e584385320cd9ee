// The ops dashboard against a real 2-node cluster: the page shows each node's counts and the totals live,
// and a killed node as gone; and against a Sentinel-managed Redis with a password.
import { expect, it } from 'vitest';
import {
  startCluster,
  TestClient,
  startDashboard,
  startNode,
  startSentinelSet,
  ARTIFACTS,
  launchBrowser,
} from '@chorus/test-kit';

const TOKEN = 'dashboard-test-token-0123456789';

interface Snapshot {
  nodes: Array<{ node: string; status: string; connections: number }>;
  totals: { nodes: number; connections: number };
}

it('shows live per-node and total connection counts, and a killed node as gone', async () => {
  await using cluster = await startCluster({ bus: 'redis', nodes: 2 });
  await using dashboard = await startDashboard({
    REDIS_URL: cluster.redis!.url,
    REDIS_PREFIX: cluster.prefix!,
    POLL_MS: '250',
    DASHBOARD_TOKEN: TOKEN,
  });
  const clients = await Promise.all(
    Array.from({ length: 30 }, (_, i) => TestClient.connect(cluster.url(i < 18 ? 0 : 1), { user: `viewer${i % 12}` })),
  );
  try {
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(dashboard.http);
    // The page holds no data until the token is given; it is kept in the tab, not in a cookie or the URL.
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    const cell = (node: string, column: string) => page.textContent(`tr[data-node="${node}"] td.${column}`);
    // Heartbeats are every 2 s: wait for the page to catch up with the 30 sockets.
    await page.waitForFunction(() => document.querySelector('#total-connections')?.textContent === '30', undefined, {
      timeout: 10_000,
    });
    expect(await cell('n1', 'connections')).toBe('18');
    expect(await cell('n2', 'connections')).toBe('12');
    expect(await page.textContent('#total-nodes')).toBe('2');
    expect((await fetch(`${dashboard.http}/api/cluster`)).status).toBe(401);
    const api = (await (
      await fetch(`${dashboard.http}/api/cluster`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as Snapshot;
    expect(api.totals).toMatchObject({ nodes: 2, connections: 30 });
    expect(api.nodes.map((n) => [n.node, n.status, n.connections])).toEqual([
      ['n1', 'live', 18],
      ['n2', 'live', 12],
    ]);

    await cluster.nodes[1]!.kill('SIGKILL');
    await page.waitForFunction(
      () => document.querySelector('tr[data-node="n2"]')?.classList.contains('gone'),
      undefined,
      {
        timeout: 12_000,
      },
    );
    expect(await page.textContent('#total-nodes')).toBe('1');
    expect(await page.textContent('#total-connections')).toBe('18');
    expect(await page.textContent('tr[data-node="n2"] td.status')).toMatch(/^gone/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  } finally {
    for (const c of clients) c.close();
  }
}, 60_000);

// The dashboard reaches Redis with the gateways' own settings and code (@chorus/redis): here a Sentinel-managed
// primary that requires a password, which REDIS_URL carries (its host is unused with Sentinel).
it('reads the cluster through Sentinel with a password, as the gateways do', async () => {
  await using set = await startSentinelSet('chorus', 'sentinel-password-0123');
  const redis = { ...set.env, REDIS_PREFIX: `dash${process.pid}` };
  await using gateway = await startNode({ ...redis, NODE_ID: 'via-sentinel' });
  await using dashboard = await startDashboard({ ...redis, POLL_MS: '250', DASHBOARD_TOKEN: TOKEN });
  await using client = await TestClient.connect(gateway.url, { user: 'watched' });
  let api: Snapshot | undefined;
  for (let i = 0; i < 40 && api?.totals.connections !== 1; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const res = await fetch(`${dashboard.http}/api/cluster`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.ok) api = (await res.json()) as Snapshot;
  }
  expect(api?.nodes.map((n) => [n.node, n.status, n.connections])).toEqual([['via-sentinel', 'live', 1]]);
  expect(client.frames[0]).toMatchObject({ type: 'welcome' });
});
