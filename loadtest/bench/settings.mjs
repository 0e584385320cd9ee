// The bench's settings, from the environment, shared by its modules.
import { fileURLToPath } from 'node:url';

export const here = fileURLToPath(new URL('.', import.meta.url));
export const root = fileURLToPath(new URL('../..', import.meta.url));
export const RUNS = Number(process.env.RUNS ?? 3);
export const SUBS = Number(process.env.SUBS ?? 1000);
export const PUBS = Number(process.env.PUBS ?? 4);
export const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 5);
export const FIXED_RATE = Number(process.env.FIXED_RATE ?? 20); // messages/s for the fixed-rate latency row
export const IDLE = Number(process.env.IDLE ?? 10_000);
/** With IDLE_ROOMS > 0 the idle connections of chorus each join one of that many rooms (the joined figure). */
export const IDLE_ROOMS = Number(process.env.IDLE_ROOMS ?? 0);
/**
 * RSS is read 1.5 s after the storm (its garbage still held) and again IDLE_SETTLE_S later, when V8's memory
 * reducer has returned the heap the storm grew (it runs once allocation has been low for a while): the
 * settled figure is what an idle connection costs.
 */
export const IDLE_SETTLE_S = Number(process.env.IDLE_SETTLE_S ?? 40);
/** What the idle connections are, for the tables. */
export const IDLE_KIND = IDLE_ROOMS > 0 ? `chorus: each joined to one of ${IDLE_ROOMS} rooms` : 'not joined';
// raw-padded: raw uWS with bodies padded to chorus's v1 frame size (equal bytes); chorus-compact: the SDK's default
// A target `<name>@before` runs chorus from BEFORE_ROOT, another built checkout (a git worktree of an earlier
// commit), beside this one in the same run: before/after figures of a change. `<name>@KEY=value` runs chorus
// with that setting (`chorus@HEAP_MODE=lean`), except `@COUNTER=epoll`, which is the generator's (`raw@COUNTER=epoll`
// reads the counting subscribers with gen/counting.go). DOCS=0 leaves docs/ alone; PHASES=ceilings runs only the
// capacity search (see below).
export const TARGETS = (process.env.TARGETS ?? 'raw,raw-padded,chorus,chorus-compact,socketio').split(',');
export const BEFORE_ROOT = process.env.BEFORE_ROOT;
export const WRITE_DOCS = process.env.DOCS !== '0';
/** What the generator speaks to a target (`chorus-compact@before` is spoken to as `chorus-compact`). */
export const wire = (target) => target.split('@')[0];
/** A step whose generator used this much of its core measured the generator: it is not a ceiling. */
export const GENERATOR_LIMIT = 85;
export const SERVER_CORE = process.env.SERVER_CORE ?? '0';
export const GENERATOR_CORE = process.env.GENERATOR_CORE ?? '1';
export const P99_LIMIT = 250;
export const LOSS_LIMIT = 0.1;
