// Many rooms: USERS users, each in K of ROOMS small rooms, each sending to its rooms in turn at R msgs/s.
import exec from 'k6/execution';
import { URLS, body, num, open, published, roomTracker, seconds } from '../lib/chorus.js';

const USERS = num('USERS', 600);
const ROOMS = num('ROOMS', 2000);
const K = num('K', 4);
const R = num('R', 1);
const DURATION = seconds(__ENV.DURATION || '20s');
const WARMUP = seconds(__ENV.WARMUP || '5s');
const DRAIN = seconds(__ENV.DRAIN || '3s');

export const options = {
  scenarios: {
    members: {
      executor: 'per-vu-iterations',
      vus: USERS,
      iterations: 1,
      maxDuration: `${WARMUP + DURATION + DRAIN + 30}s`,
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

export default function () {
  const vu = exec.vu.idInTest;
  const names = Array.from({ length: K }, (_, j) => `room-${(vu * K + j * 7919) % ROOMS}`);
  const trackers = new Map(names.map((name) => [name, roomTracker(name)]));
  let n = 0;
  const client = open(URLS[vu % URLS.length], `member${vu}`, {
    welcome: (_, c) => {
      let joined = 0;
      for (const name of names) {
        c.request({ type: 'join', room: name }, (ack) => {
          trackers.get(name).joined(ack);
          if (++joined < names.length) return;
          // Everyone has had WARMUP to join before anyone sends.
          setTimeout(() => {
            const timer = setInterval(() => {
              const room = names[n % names.length];
              c.request({ type: 'send', room, body: body(`m${vu}`, n++) }, (a) => a.type === 'ack' && published.add(1));
            }, 1000 / R);
            setTimeout(() => clearInterval(timer), DURATION * 1000);
          }, WARMUP * 1000);
        });
      }
    },
    message: (frame) => trackers.get(frame.room)?.message(frame),
  });
  setTimeout(
    () => {
      let pending = names.length;
      for (const name of names) {
        client.request({ type: 'history', room: name, limit: 1 }, (h) => {
          trackers.get(name).finish(h);
          if (--pending === 0) client.close();
        });
      }
    },
    (WARMUP * 2 + DURATION + DRAIN) * 1000,
  );
}
