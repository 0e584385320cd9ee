// WebSocket close codes used by chorus, shared by the gateway and the SDK (PROTOCOL.md §6).
export const CLOSE = {
  normal: 1000,
  /** The client saw the TCP connection end without a close frame (never sent on the wire). */
  abnormal: 1006,
  invalidUtf8: 1007,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  tokenExpired: 4001,
  /** Disconnected by the server (`POST /api/disconnect`): do not reconnect automatically. */
  disconnected: 4003,
  /** Banned (`POST /api/ban`): do not reconnect. */
  banned: 4004,
} as const;

/** What a client should do after a close: the SDK's reconnect policy reads this. */
export type CloseAdvice = 'reconnect-now' | 'reconnect-backoff' | 'refresh-token' | 'stop';

export const closeAdvice = (code: number): CloseAdvice => {
  switch (code) {
    case CLOSE.serviceRestart:
    case CLOSE.tryAgainLater:
      return 'reconnect-now';
    case CLOSE.tokenExpired:
      return 'refresh-token';
    case CLOSE.normal:
    case CLOSE.policy:
    case CLOSE.invalidUtf8:
    case CLOSE.tooBig:
    case CLOSE.disconnected:
    case CLOSE.banned:
      return 'stop';
    default:
      return 'reconnect-backoff';
  }
};
