// @chorus/client/node: the same client with `ws` as its WebSocket, for Node 20 (no global WebSocket).
import WebSocket from 'ws';
import { ChorusClient, type ClientOptions, type Credentials } from './client.js';
import type { SocketFactory } from './socket.js';

export * from './index.js';

export const connect = (url: string | string[], credentials: Credentials, options: ClientOptions = {}): ChorusClient =>
  new ChorusClient(url, credentials, { WebSocket: WebSocket as unknown as SocketFactory, ...options });
