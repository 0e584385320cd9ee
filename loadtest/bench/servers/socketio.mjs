// What users pick instead: Socket.IO 4 with @socket.io/redis-adapter, WebSocket transport only. A client's
// 'm' event is broadcast to the room through the adapter (Redis pub/sub) on every node.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 9101);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const http = createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : ''));
const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pub, sub), serveClient: false });
io.on('connection', (socket) => {
  socket.join('room');
  socket.on('m', (data) => io.to('room').emit('m', data));
});
http.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port })));
