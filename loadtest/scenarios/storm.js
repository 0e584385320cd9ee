// Connection storm: open N connections, evenly spread over RAMP (as fast as that asks), each joins one of
// 100 rooms and holds until HOLD after the last one opened. One VU holds PER_VU sockets: k6/websockets runs
// them on one event loop, so the generator is not 10,000 JS runtimes.
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { URLS, num, open, seconds } from '../lib/chorus.js';

const N = num('N', 2000);
const PER_VU = num('PER_VU', 100);
const RAMP = seconds(__ENV.RAMP || '10s');
const HOLD = seconds(__ENV.HOLD || '10s');
const VUS = Math.ceil(N / PER_VU);
const welcomeMs = new Trend('chorus_welcome_ms', true);
const joined = new Counter('chorus_joined');

export const options = {
  scenarios: {
    storm: { executor: 'per-vu-iterations', vus: VUS, iterations: 1, maxDuration: `${RAMP + HOLD + 60}s` },
  },
  thresholds: {
    checks: ['rate==1'],
    chorus_joined: [`count==${N}`],
    chorus_welcome_ms: ['p(95)<1000'],
    chorus_errors: ['count==0'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const vu = exec.vu.idInTest - 1;
  const clients = [];
  for (let j = 0; j < PER_VU; j++) {
    const i = j * VUS + vu; // connection i opens at i/N of the ramp, whichever VU holds it
    if (i >= N) break;
    setTimeout(
      () => {
        const started = Date.now();
        clients.push(
          open(URLS[i % URLS.length], `storm${i}`, {
            welcome: (frame, c) => {
              welcomeMs.add(Date.now() - started);
              check(frame, { welcome: (f) => f.type === 'welcome' });
              c.request({ type: 'join', room: `storm-${i % 100}` }, (ack) => {
                if (check(ack, { joined: (a) => a.type === 'ack' })) joined.add(1);
              });
            },
          }),
        );
      },
      (i / N) * RAMP * 1000,
    );
  }
  setTimeout(() => clients.forEach((c) => c.close()), (RAMP + HOLD) * 1000);
}
