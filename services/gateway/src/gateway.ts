// Composition root of one node: transport + bus + sessions + HTTP, and its graceful drain.
import { CLOSE } from '@chorus/protocol';
import type { Logger } from 'pino';
import { admit, type Admitted } from './admission.js';
import { createAuthenticator } from './auth.js';
import type { Bus } from './bus/bus.js';
import type { Config } from './config.js';
import { mountRoutes } from './http/routes.js';
import { ANNOUNCE_EVERY_MS, ANNOUNCE_TTL_MS } from '@chorus/redis';
import { startSweeps } from './keepalive.js';
import { GatewayNode } from './node.js';
import * as out from './outbound.js';
import { Session } from './session.js';
import { createUwsTransport } from './transport/uws.js';

export interface Gateway {
  readonly port: number;
  readonly node: GatewayNode;
  /** Stop accepting, send every client `reconnect` + 1012 spread over DRAIN_MS, then close the bus. */
  drain(): Promise<void>;
}

const sessionOf = new WeakMap<object, Session>();

export const startGateway = async (config: Config, bus: Bus, log: Logger): Promise<Gateway> => {
  // eslint-disable-next-line prefer-const -- the transport handlers close over the node built after it
  let node!: GatewayNode;
  const transport = createUwsTransport<Admitted>(
    {
      upgrade: (request) => admit(node, request),
      open: (conn, admitted) => {
        admitted.release();
        const session = new Session(node, conn, admitted.identity);
        sessionOf.set(conn, session);
        node.sessions.set(session.connId, session);
        if (log.isLevelEnabled('debug')) session.log.debug('connected'); // a child logger per socket costs memory
        session.start();
      },
      text: (conn, text) => sessionOf.get(conn)?.receive(text),
      oversize: (conn) => sessionOf.get(conn)?.receiveOversize(),
      binary: (conn) => sessionOf.get(conn)?.receiveBinary(),
      pong: (conn) => {
        const session = sessionOf.get(conn);
        if (session) session.lastSeen = Date.now();
      },
      close: (conn, code) => {
        const session = sessionOf.get(conn);
        if (!session) return;
        if (log.isLevelEnabled('debug')) session.log.debug({ code, rooms: session.rooms.size }, 'disconnected');
        node.sessions.delete(session.connId);
        session.end();
      },
    },
    {
      maxFrameBytes: config.limits.maxFrameBytes,
      // Frames up to 16× the limit still reach JS and get a clean 1009; beyond that uWS cuts.
      hardFrameLimit: Math.max(config.limits.maxFrameBytes * 16, 1 << 20),
      // The 100 ms sweep closes with 1013 at MAX_BACKPRESSURE_BYTES; this headroom lets the close
      // frame be queued unless a socket gains megabytes within one sweep, when uWS cuts it instead.
      hardBackpressureLimit: config.maxBackpressureBytes * 2 + (4 << 20),
      compression: config.compression,
    },
  );
  node = new GatewayNode(config, bus, createAuthenticator(config.auth), log, transport);
  await bus.start(node.feeds);
  mountRoutes(transport, node);
  const port = await transport.listen(config.host, config.port);
  const stopSweeps = startSweeps(node);
  const announce = () =>
    node.bus.registry
      .announce(node.stats(), ANNOUNCE_TTL_MS, node.topRooms())
      .catch((err: unknown) => log.debug({ err }, 'announce failed'));
  void announce();
  const announcer = setInterval(announce, ANNOUNCE_EVERY_MS);
  log.info({ port, host: config.host, bus: bus.kind, auth: config.auth.mode }, 'listening');

  const drain = async () => {
    if (node.draining) return;
    node.draining = true;
    log.info({ connections: node.sessions.size, drainMs: config.drainMs }, 'draining');
    // The listen socket stays open through the window so /readyz can say 503 and new upgrades
    // are refused with a reason; it closes before the process exits.
    const closes = [...node.sessions.values()].map(
      (session) =>
        new Promise<void>((resolve) => {
          // A random moment within the window, so clients do not all reconnect at once.
          setTimeout(() => {
            session.send(out.reconnect());
            session.close(CLOSE.serviceRestart, 'draining');
            resolve();
          }, Math.random() * config.drainMs);
        }),
    );
    await Promise.all(closes);
    transport.stopListening();
    clearInterval(announcer);
    stopSweeps();
    // Give presence-leave writes of the closing sessions a moment to reach the bus.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bus.close();
    log.info('drained');
  };

  return { port, node, drain };
};
