// @chorus/client/node: the same client with `ws` as its WebSocket, for Node 20 (no global WebSocket), and every
// server frame checked against the protocol's schemas (the browser bundle leaves them out: see `parseFrame`).
import WebSocket from 'ws';
import { parseServerFrame } from '@chorus/protocol';
import { ChorusClient, type ClientOptions, type Credentials } from './client.js';
import type { SocketFactory } from './socket.js';

export * from './index.js';

export const connect = (url: string | string[], credentials: Credentials, options: ClientOptions = {}): ChorusClient =>
  new ChorusClient(url, credentials, {
    WebSocket: WebSocket as unknown as SocketFactory,
    parseFrame: (text) => parseServerFrame(text, { compact: true }),
    ...options,
  });
