// Fan-out: S subscribers spread over every node in one room, P publishers at R messages/s each.
// Loss = messages a subscriber should have seen (latest seq − seq at join) − messages it saw.
import exec from 'k6/execution';
import { URLS, body, num, open, published, roomTracker, seconds } from '../lib/chorus.js';

const S = num('S', 100);
const P = num('P', 2);
const R = num('R', 10);
const DURATION = seconds(__ENV.DURATION || '10s');
const WARMUP = seconds(__ENV.WARMUP || '3s');
const DRAIN = seconds(__ENV.DRAIN || '3s');
const ROOM = __ENV.ROOM || 'fanout';

export const options = {
  scenarios: {
    subscribers: {
      executor: 'per-vu-iterations',
      exec: 'subscriber',
      vus: S,
      iterations: 1,
      maxDuration: `${WARMUP + DURATION + DRAIN + 30}s`,
    },
    publishers: {
      executor: 'per-vu-iterations',
      exec: 'publisher',
      vus: P,
      iterations: 1,
      startTime: `${WARMUP}s`,
      maxDuration: `${DURATION + DRAIN + 30}s`,
    },
  },
  thresholds: {
    chorus_lost: ['count==0'],
    chorus_disordered: ['count==0'],
    chorus_latency_ms: ['p(99)<250'],
    chorus_published: ['count>0'],
    chorus_errors: ['count==0'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

export function subscriber() {
  const vu = exec.vu.idInTest;
  const room = roomTracker(ROOM);
  const client = open(URLS[vu % URLS.length], `sub${vu}`, {
    welcome: (_, c) => c.request({ type: 'join', room: ROOM }, (ack) => room.joined(ack)),
    message: (frame) => room.message(frame),
  });
  setTimeout(
    () => client.request({ type: 'history', room: ROOM, limit: 1 }, (h) => (room.finish(h), client.close())),
    (WARMUP + DURATION + DRAIN) * 1000,
  );
}

export function publisher() {
  const vu = exec.vu.idInTest;
  let n = 0;
  const client = open(URLS[vu % URLS.length], `pub${vu}`, {
    welcome: (_, c) =>
      c.request({ type: 'join', room: ROOM }, () => {
        const timer = setInterval(() => {
          c.request({ type: 'send', room: ROOM, body: body(`p${vu}`, n++) }, (ack) => {
            if (ack.type === 'ack') published.add(1);
          });
        }, 1000 / R);
        setTimeout(() => clearInterval(timer), DURATION * 1000);
      }),
  });
  setTimeout(() => client.close(), (DURATION + DRAIN) * 1000);
}
