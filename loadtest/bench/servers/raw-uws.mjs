// The ceiling for this architecture: uWebSockets.js over Redis pub/sub with nothing else. A client's text
// frame is PUBLISHed as-is; every node SUBSCRIBEd to the channel hands it to app.publish. No ids, no order,
// no history, no auth: what chorus adds all of that on top of.
import { Redis } from 'ioredis';
import uWS from 'uWebSockets.js';

const port = Number(process.env.PORT ?? 9001);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pub = new Redis(redisUrl);
const sub = new Redis(redisUrl);
const app = uWS.App();
await sub.subscribe('bench');
sub.on('messageBuffer', (_channel, message) => app.publish('room', message, false));
app.ws('/ws', {
  maxBackpressure: 64 << 20,
  idleTimeout: 0,
  open: (ws) => ws.subscribe('room'),
  message: (_ws, message) => void pub.publish('bench', Buffer.from(message)),
});
app.get('/healthz', (res) => res.end('ok'));
app.listen('127.0.0.1', port, (socket) => {
  if (!socket) process.exit(1);
  console.log(JSON.stringify({ msg: 'listening', port }));
});
