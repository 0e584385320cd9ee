// Shared k6 helpers for chorus scenarios: node urls, a frame-level client, and the loss/order metrics.
import { WebSocket } from 'k6/websockets';
import { Counter, Trend } from 'k6/metrics';

export const URLS = (__ENV.URLS || 'ws://127.0.0.1:8080/ws').split(',');
export const seconds = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text));
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] || 's'];
};
export const num = (name, fallback) => Number(__ENV[name] || fallback);

export const deliveries = new Counter('chorus_deliveries');
export const lost = new Counter('chorus_lost');
export const disordered = new Counter('chorus_disordered');
export const published = new Counter('chorus_published');
export const errors = new Counter('chorus_errors');
export const latency = new Trend('chorus_latency_ms', true);

/** ~100-byte message bodies: a send timestamp for latency, an origin, padding. */
export const body = (origin, n) => ({ t: Date.now(), o: origin, n, pad: 'x'.repeat(40) });

/**
 * One connection speaking chorus frames. `on` maps frame types to handlers; `request` sends a frame
 * with an id and calls back with the reply.
 */
export const open = (url, user, on) => {
  const ws = new WebSocket(`${url}?user=${encodeURIComponent(user)}`);
  const replies = new Map();
  let next = 1;
  const client = {
    ws,
    send: (frame) => ws.send(JSON.stringify(frame)),
    request(frame, reply) {
      const id = `r${next++}`;
      replies.set(id, reply);
      ws.send(JSON.stringify({ ...frame, id }));
    },
    close: () => ws.close(),
  };
  ws.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.id !== undefined && replies.has(frame.id)) {
      const reply = replies.get(frame.id);
      replies.delete(frame.id);
      if (frame.type === 'error') errors.add(1, { code: frame.code });
      reply(frame);
      return;
    }
    if (frame.type === 'error') errors.add(1, { code: frame.code });
    const handler = on[frame.type];
    if (handler) handler(frame, client);
  };
  ws.onerror = () => errors.add(1, { code: 'socket' });
  return client;
};

/**
 * Follows one room as a member: counts each seq once, flags any out-of-order or repeated seq, and at
 * `finish` compares what arrived with the room's latest seq (from history) to count what was lost.
 */
export const roomTracker = (room) => {
  const state = { room, joinedAt: undefined, last: undefined, received: 0 };
  return {
    state,
    joined(ack) {
      state.joinedAt = ack.seq;
      state.last = ack.seq;
    },
    message(frame) {
      if (state.last === undefined) return;
      if (frame.seq !== state.last + 1) disordered.add(1);
      if (frame.seq <= state.last) return;
      state.last = frame.seq;
      state.received++;
      deliveries.add(1);
      if (frame.body && typeof frame.body.t === 'number') latency.add(Date.now() - frame.body.t);
    },
    finish(history) {
      if (state.joinedAt === undefined) return lost.add(1);
      const latest = history.messages.length > 0 ? history.messages[history.messages.length - 1].seq : state.joinedAt;
      lost.add(Math.max(0, latest - state.joinedAt - state.received));
    },
  };
};
