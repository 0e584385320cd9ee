// Direct messages: PAIRS sender→receiver pairs on different nodes. Half the receivers are online the whole
// time; the other half connect only after their sender finished and must get everything from the inbox.
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { URLS, body, deliveries, latency, lost, num, open, published, seconds } from '../lib/chorus.js';

const PAIRS = num('PAIRS', 50);
const R = num('R', 5);
const DURATION = seconds(__ENV.DURATION || '10s');
const TOTAL = Math.floor(R * DURATION); // dms each sender sends
const duplicates = new Counter('chorus_duplicates');
/** Acks whose `online` contradicts the test's own arrangement of who is connected. */
const onlineMismatch = new Counter('chorus_online_mismatch');

export const options = {
  scenarios: {
    senders: {
      executor: 'per-vu-iterations',
      exec: 'sender',
      vus: PAIRS,
      iterations: 1,
      startTime: '2s',
      maxDuration: `${DURATION + 60}s`,
    },
    online: {
      executor: 'per-vu-iterations',
      exec: 'receiver',
      vus: Math.ceil(PAIRS / 2),
      iterations: 1,
      maxDuration: `${DURATION + 60}s`,
    },
    offline: {
      executor: 'per-vu-iterations',
      exec: 'receiver',
      vus: Math.floor(PAIRS / 2),
      iterations: 1,
      startTime: `${DURATION + 6}s`,
      maxDuration: '60s',
    },
  },
  thresholds: {
    chorus_lost: ['count==0'],
    chorus_published: [`count==${PAIRS * TOTAL}`],
    chorus_errors: ['count==0'],
    chorus_duplicates: ['count==0'],
    chorus_online_mismatch: ['count==0'],
    chorus_latency_ms: ['p(99)<250'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

export function sender() {
  const i = exec.scenario.iterationInTest;
  let n = 0;
  const client = open(URLS[i % URLS.length], `dm-s${i}`, {
    welcome: (_, c) => {
      const timer = setInterval(() => {
        if (n >= TOTAL) return clearInterval(timer);
        c.request({ type: 'dm', to: `dm-r${i}`, body: body(`s${i}`, n++) }, (ack) => {
          if (ack.type !== 'ack') return;
          published.add(1);
          if (ack.online !== i < Math.ceil(PAIRS / 2)) onlineMismatch.add(1);
        });
      }, 1000 / R);
    },
  });
  setTimeout(() => client.close(), (DURATION + 2) * 1000);
}

export function receiver() {
  const online = exec.scenario.name === 'online';
  const i = online ? exec.scenario.iterationInTest : Math.ceil(PAIRS / 2) + exec.scenario.iterationInTest;
  const seen = new Set();
  const client = open(URLS[(i + 1) % URLS.length], `dm-r${i}`, {
    dm: (frame, c) => {
      if (seen.has(frame.body.n)) duplicates.add(1);
      seen.add(frame.body.n);
      deliveries.add(1);
      if (online) latency.add(Date.now() - frame.body.t);
      c.send({ type: 'received', upTo: frame.seq });
    },
  });
  const waitS = online ? DURATION + 8 : 4;
  setTimeout(() => {
    lost.add(TOTAL - seen.size);
    client.close();
  }, waitS * 1000);
}
