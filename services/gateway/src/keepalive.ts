// Periodic sweeps over the node's sockets: keepalive pings, silent-socket cuts, the slow-consumer policy,
// and the once-a-second bookkeeping (rates, forgetting per-user budgets that are full again).
import { CLOSE } from '@chorus/protocol';
import type { GatewayNode } from './node.js';

/**
 * Every quarter heartbeat: ping sockets not pinged for a heartbeat, cut sockets silent for two
 * heartbeats (the client sees 1006), and close with 1013 any socket whose unsent data passed
 * MAX_BACKPRESSURE_BYTES — uWS itself cuts at twice that, so a slow consumer is never silently
 * skipped by app.publish: it is closed, and recovers with `since`.
 */
export const startSweeps = (node: GatewayNode): (() => void) => {
  const { heartbeatMs, maxBackpressureBytes } = node.config;
  let lastPing = Date.now();
  const heartbeat = setInterval(
    () => {
      const now = Date.now();
      const ping = now - lastPing >= heartbeatMs;
      if (ping) lastPing = now;
      for (const session of node.sessions.values()) {
        if (now - session.lastSeen > 2 * heartbeatMs) session.conn.cut();
        else if (ping) session.conn.ping();
      }
    },
    Math.max(25, Math.floor(heartbeatMs / 4)),
  );
  const backpressure = setInterval(() => {
    for (const session of node.sessions.values()) {
      if (session.conn.bufferedAmount() > maxBackpressureBytes) {
        session.log.warn({ buffered: session.conn.bufferedAmount() }, 'slow consumer closed');
        node.metrics.slowConsumers.inc();
        session.close(CLOSE.tryAgainLater, 'slow consumer');
      }
    }
  }, 100);
  const rates = setInterval(() => {
    node.counters.tick();
    node.userFrames.sweep();
    node.userConnects.sweep();
    node.policyCloses.sweep();
    node.dmBytes.sweep();
  }, 1000);
  return () => {
    clearInterval(heartbeat);
    clearInterval(backpressure);
    clearInterval(rates);
  };
};
