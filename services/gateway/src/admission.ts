// The checks at the upgrade, in PROTOCOL.md §1's order, before any WebSocket exists; every refusal is logged.
import type { Identity } from './auth.js';
import type { GatewayNode } from './node.js';
import type { UpgradeDecision, UpgradeRequest } from './transport/transport.js';

/** An accepted upgrade: its identity, and its place under MAX_CONNECTIONS to hand over once the socket opens. */
export interface Admitted {
  identity: Identity;
  release(): void;
}

export const admit = async (node: GatewayNode, request: UpgradeRequest): Promise<UpgradeDecision<Admitted>> => {
  // The place is held from the first byte (a slow token verification included) and freed whatever happens
  // next: refusal, the socket opening, or the client walking away (§10.6).
  node.upgradesInProgress++;
  let held = true;
  const release = () => {
    if (held) node.upgradesInProgress--;
    held = false;
  };
  request.onAbandoned(release);
  const refusal = await check(node, request);
  if ('reason' in refusal) {
    release();
    // The reason never quotes the token: the authenticator's messages name claims, not credentials.
    node.log.info(
      { status: refusal.status, reason: refusal.reason, address: request.remoteAddress },
      'upgrade refused',
    );
    return { reject: refusal };
  }
  return { accept: { identity: refusal.identity, release } };
};

const check = async (
  node: GatewayNode,
  request: UpgradeRequest,
): Promise<{ identity: Identity } | { status: number; reason: string }> => {
  // RFC 6455 §4.2.1; and uWS.js 20.30 would take a 5-character value as "close" and drop the socket it upgrades.
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(request.header('connection'))) {
    return { status: 400, reason: 'a WebSocket upgrade needs the header Connection: Upgrade' };
  }
  const origin = request.header('origin');
  const allowed = node.config.allowedOrigins;
  if (origin && allowed && !allowed.has(origin)) return { status: 403, reason: `origin ${origin} is not allowed` };
  const auth = await node.authenticate(request.query);
  if ('reason' in auth) return { status: 401, reason: auth.reason };
  const { user } = auth.identity;
  // Banned on any node means refused on every node until the ban expires (§10.5).
  let bannedUntil: number | undefined;
  try {
    bannedUntil = await node.bus.bans.bannedUntil(user);
  } catch {
    return { status: 503, reason: 'cannot check bans now (bus unavailable); retry' };
  }
  if (bannedUntil !== undefined) {
    return { status: 403, reason: `this user is banned until ${new Date(bannedUntil).toISOString()}` };
  }
  if (node.draining) return { status: 503, reason: 'node is draining, connect to another node' };
  // This upgrade is among those in progress: more than the limit, not as many, is a full node.
  if (node.sessions.size + node.upgradesInProgress > node.config.maxConnections) {
    return { status: 503, reason: 'node is at MAX_CONNECTIONS' };
  }
  // Beyond the protocol's list: one user cannot hold a node's sockets (nor multiply its rate limit).
  if (node.feeds.connectionsOf(user) >= node.config.maxConnectionsPerUser) {
    return { status: 429, reason: 'too many connections for this user on this node (MAX_CONNECTIONS_PER_USER)' };
  }
  if (node.policyCloses.empty(user)) {
    return { status: 429, reason: 'this user was closed for policy violations (1008) too often; retry in a minute' };
  }
  // Last, so only an upgrade that would otherwise be accepted spends from the user's budget.
  if (!node.userConnects.take(user)) {
    return { status: 429, reason: 'this user is connecting too fast (USER_CONNECTS_PER_SEC); retry after a backoff' };
  }
  return auth;
};
