// In-band token refresh (PROTOCOL.md §10.4): before the connection's token expires, ask the app for a new one
// (`getToken`) and send `refresh`, so the socket never closes with 4001 and no room is rejoined.

/** A JWT's `exp` in ms since the epoch, read without verifying (the server verifies); undefined if absent. */
export const tokenExpiry = (token: string): number | undefined => {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
};

/** When to refresh a token that expires at `exp`: a minute before, or halfway for tokens shorter than 2 min. */
export const refreshAt = (exp: number, now = Date.now()): number => exp - Math.min(60_000, (exp - now) / 2);

/** setTimeout fires at once past this (2³¹−1 ms): longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface RefreshHost {
  getToken(): string | Promise<string>;
  /** Sends `refresh`; rejects when the server refused the token. */
  refresh(token: string): Promise<unknown>;
}

export class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: RefreshHost) {}

  /** The connection now runs on `token`: refresh it before it expires. */
  schedule(token: string | undefined): void {
    this.stop();
    const exp = token === undefined ? undefined : tokenExpiry(token);
    if (exp !== undefined) this.wait(refreshAt(exp));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private wait(at: number): void {
    const delay = Math.max(0, at - Date.now());
    this.timer =
      delay > MAX_TIMEOUT_MS
        ? setTimeout(() => this.wait(at), MAX_TIMEOUT_MS)
        : setTimeout(() => void this.run(), delay);
  }

  private async run(): Promise<void> {
    try {
      const token = await this.host.getToken();
      await this.host.refresh(token);
      this.schedule(token);
    } catch {
      // Refused or unreachable: the server closes with 4001 at expiry and the reconnect fetches a token.
    }
  }
}
