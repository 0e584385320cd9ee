// The slice of the WebSocket API the SDK uses: the browser's native one and `ws` in Node both fit it.

export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = new (url: string, protocols?: string | string[]) => SocketLike;

export const OPEN = 1;

export const defaultSocketFactory = (): SocketFactory | undefined =>
  (globalThis as { WebSocket?: SocketFactory }).WebSocket;
