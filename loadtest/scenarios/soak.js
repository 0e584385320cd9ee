// Soak: steady mixed traffic for a long time (DURATION, default 30m): one busy fan-out room plus many small
// rooms, all checked for loss and order. Run with `pnpm loadtest soak`; not part of CI.
import { options as fanout } from './fanout.js';
import { options as rooms } from './rooms.js';

export { subscriber, publisher } from './fanout.js';
export { default as member } from './rooms.js';

export const options = {
  scenarios: {
    subscribers: fanout.scenarios.subscribers,
    publishers: fanout.scenarios.publishers,
    members: { ...rooms.scenarios.members, exec: 'member' },
  },
  thresholds: { ...rooms.thresholds, ...fanout.thresholds },
  summaryTrendStats: fanout.summaryTrendStats,
};
