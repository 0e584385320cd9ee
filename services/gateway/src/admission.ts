// The checks at the upgrade, in PROTOCOL.md §1's order, before any WebSocket exists.
import type { Identity } from './auth.js';
import type { GatewayNode } from './node.js';
import type { UpgradeDecision, UpgradeRequest } from './transport/transport.js';

const reject = (status: number, reason: string): UpgradeDecision<Identity> => ({ reject: { status, reason } });

export const admit = async (node: GatewayNode, request: UpgradeRequest): Promise<UpgradeDecision<Identity>> => {
  const origin = request.header('origin');
  const allowed = node.config.allowedOrigins;
  if (origin && allowed && !allowed.has(origin)) return reject(403, `origin ${origin} is not allowed`);
  const auth = await node.authenticate(request.query);
  if ('reason' in auth) return reject(401, auth.reason);
  if (node.draining) return reject(503, 'node is draining, connect to another node');
  if (node.sessions.size + node.pendingUpgrades >= node.config.maxConnections) {
    return reject(503, 'node is at MAX_CONNECTIONS');
  }
  // Beyond the protocol's list: one user cannot hold a node's sockets (nor multiply its rate limit).
  if (node.feeds.connectionsOf(auth.identity.user) >= node.config.maxConnectionsPerUser) {
    return reject(429, 'too many connections for this user on this node (MAX_CONNECTIONS_PER_USER)');
  }
  if (node.policyCloses.empty(auth.identity.user)) {
    return reject(429, 'this user was closed for policy violations (1008) too often; retry in a minute');
  }
  // Last, so only an upgrade that would otherwise be accepted spends from the user's budget.
  if (!node.userConnects.take(auth.identity.user)) {
    return reject(429, 'this user is connecting too fast (USER_CONNECTS_PER_SEC); retry after a backoff');
  }
  node.pendingUpgrades++;
  return { accept: auth.identity };
};
