// Connection storm: ramp to N connections as fast as the generator can, each joins a room and holds.
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { URLS, num, open, seconds } from '../lib/chorus.js';

const N = num('N', 2000);
const RAMP = seconds(__ENV.RAMP || '10s');
const HOLD = seconds(__ENV.HOLD || '10s');
const welcomeMs = new Trend('chorus_welcome_ms', true);
const joined = new Counter('chorus_joined');

export const options = {
  scenarios: {
    storm: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      // Every opened connection holds its VU for HOLD: a little slack so the N-th still finds one free.
      preAllocatedVUs: N + 100,
      maxVUs: N + 100,
      // A linear ramp to 2N/RAMP per second opens about N; the short plateau covers the rounding.
      // Iterations past the N-th return at once (see below).
      stages: [
        { target: Math.ceil((2 * N) / RAMP), duration: `${RAMP}s` },
        { target: Math.ceil((2 * N) / RAMP), duration: '2s' },
      ],
      gracefulStop: `${HOLD + 30}s`,
    },
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
  if (exec.scenario.iterationInTest >= N) return;
  const i = exec.scenario.iterationInTest;
  const started = Date.now();
  const client = open(URLS[i % URLS.length], `storm${i}`, {
    welcome: (frame, c) => {
      welcomeMs.add(Date.now() - started);
      check(frame, { welcome: (f) => f.type === 'welcome' });
      c.request({ type: 'join', room: `storm-${i % 100}` }, (ack) => {
        if (check(ack, { joined: (a) => a.type === 'ack' })) joined.add(1);
      });
    },
  });
  setTimeout(() => client.close(), HOLD * 1000);
}
