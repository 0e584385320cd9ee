// What a node does when it can no longer trust its own state (PROTOCOL.md §10.6): log, drain, exit non-zero.
import type { Logger } from 'pino';

interface ProcessLike {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  exit(code: number): never | void;
}

/**
 * An uncaught exception or unhandled rejection leaves the node in an unknown state: it stops taking
 * traffic and drains its clients (they reconnect elsewhere with `since`), then exits 1 so the orchestrator
 * restarts it. A drain that hangs is cut short after `hardStopMs`.
 */
export const exitOnFatalErrors = (
  proc: ProcessLike,
  log: Logger,
  drain: () => Promise<void>,
  hardStopMs: number,
): void => {
  let failing = false;
  const fail = (kind: string) => (err: unknown) => {
    log.fatal({ err }, `${kind}: draining and exiting`);
    if (failing) return;
    failing = true;
    setTimeout(() => proc.exit(1), hardStopMs).unref();
    drain().then(
      () => proc.exit(1),
      () => proc.exit(1),
    );
  };
  proc.on('uncaughtException', fail('uncaught exception'));
  proc.on('unhandledRejection', fail('unhandled rejection'));
};
