// Fault 4: a client that stops reading while a room is busy is closed with 1013 at the backpressure limit and
// recovers with `since`; the other members' p99 stays within 1.5× of the same run without it.
import { expect, it } from 'vitest';
import { TestClient, sleep, startNode, type Frame } from '@chorus/test-kit';
import { percentile, record, scale } from './support.js';

const MEMBERS = scale(20, 100);
const SECONDS = scale(3, 10);

const run = async (withSlow: boolean) => {
  await using node = await startNode({ MAX_BACKPRESSURE_BYTES: '262144', RATE_PER_SEC: '100000' });
  const room = 'busy';
  const members = await Promise.all(
    Array.from({ length: MEMBERS }, (_, i) => TestClient.connect(node.url, { user: `m${i}` })),
  );
  // delivery latency as the members see it: receipt time − the sender's stamp in the body
  const latencies: number[] = [];
  for (const m of members) {
    m.ws.on('message', (data) => {
      const text = String(data);
      if (!text.startsWith('{"type":"message"')) return;
      const t = Number(/"t":(\d+)/.exec(text)?.[1]);
      if (t) latencies.push(Date.now() - t);
    });
  }
  const sender = await TestClient.connect(node.url, { user: 'sender' });
  const slow = withSlow ? await TestClient.connect(node.url, { user: 'slow' }) : undefined;
  try {
    for (const c of [...members, sender, ...(slow ? [slow] : [])]) await c.ok({ type: 'join', room });
    slow?.ws.pause();
    const body = { t: 0, pad: 'z'.repeat(1500) };
    const until = Date.now() + SECONDS * 1000;
    let resumed = false;
    // The kernel's socket buffers on loopback hold megabytes before uWS has to buffer anything, so on a slow
    // run SECONDS of traffic may not reach the limit: then keep the load on until the slow consumer is closed.
    const busy = () => Date.now() < until || (slow !== undefined && !resumed && Date.now() < until + 30_000);
    for (let tick = 0; busy(); tick++) {
      for (let i = 0; i < 10; i++)
        sender.sendRaw(JSON.stringify({ type: 'send', room, body: { ...body, t: Date.now() } }));
      await sleep(10);
      // A real slow client reads again eventually: once the server has closed it, read what it queued
      // (the 1013 close frame is behind it). Left unread for too long, the socket is cut instead (1006).
      if (slow && !resumed && tick % 10 === 0) {
        const metrics = await (await fetch(`${node.http}/metrics`)).text();
        if (/^chorus_slow_consumer_closes_total [1-9]/m.test(metrics)) {
          slow.ws.resume();
          resumed = true;
        }
      }
    }
    await sleep(500);
    const received = members.map((m) => m.messages(room).length);
    let slowClose: number | undefined;
    let recovered = false;
    if (slow) {
      expect(resumed, 'the slow consumer was never closed').toBe(true);
      slowClose = (await slow.closed).code;
      const got = slow.messages(room).map((f) => f.seq as number);
      expect(got).toEqual(got.map((_, i) => i + 1)); // a prefix, never a gap
      await using back = await TestClient.connect(node.url, { user: 'slow' });
      const ack = await back.ok({ type: 'join', room, since: got.length });
      const missed = (ack.seq as number) - got.length;
      await back.collect((f: Frame) => f.type === 'message', Math.min(missed, 200), 10_000); // retained ones replayed
      recovered = true;
    }
    return { p99: percentile(latencies, 0.99), received, slowClose, recovered };
  } finally {
    for (const c of [...members, sender]) c.close();
    slow?.close();
  }
};

// A latency comparison on a shared 2-core machine: one retry when the noise lands on the wrong side of the
// bound (CI once saw 13 ms against 10 while another process built the tree); the close, the recovery and
// every member's messages are checked on every attempt.
it(
  'a slow consumer is closed with 1013 and recovers; the others keep their latency',
  { retry: 1, timeout: 90_000 },
  async () => {
    const baseline = await run(false);
    const withSlow = await run(true);
    expect(withSlow.slowClose).toBe(1013);
    expect(withSlow.recovered).toBe(true);
    expect(Math.min(...withSlow.received)).toBe(Math.max(...withSlow.received)); // every member got everything
    // p99s of a few ms are noise-dominated on a shared machine: allow 1.5× or 5 ms, whichever is larger
    expect(withSlow.p99).toBeLessThanOrEqual(Math.max(baseline.p99 * 1.5, baseline.p99 + 5));
    record('slow-consumer', {
      members: MEMBERS,
      seconds: SECONDS,
      baselineP99Ms: baseline.p99,
      withSlowP99Ms: withSlow.p99,
      closeCode: withSlow.slowClose,
    });
  },
);
