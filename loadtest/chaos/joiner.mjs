// A join storm in its own process (a process holds at most ~20,000 sockets here: RLIMIT_NOFILE): COUNT raw
// sockets connect to URLS (comma-separated, round-robin) as users PREFIX<i>, join ROOM (`{i}` in it is replaced by
// the index, for rooms of their own), and count every frame
// by type without parsing it. Prints one JSON line when all have joined and QUIET_MS passed; then waits to be killed.
import WebSocket from 'ws';

const count = Number(process.env.COUNT);
const urls = process.env.URLS.split(',');
const room = process.env.ROOM;
const prefix = process.env.PREFIX;
const quietMs = Number(process.env.QUIET_MS ?? 2000);
const types = new Map();
let total = 0;
let joined = 0;
let failed = 0;
let retried = 0;
const closes = {};
const sockets = [];
const t0 = Date.now();

await new Promise((resolve) => {
  // Each index settles once (joined, or failed twice); an error after a join changes nothing.
  const settled = new Set();
  const settle = (i, ok) => {
    if (settled.has(i)) return;
    settled.add(i);
    if (ok) joined++;
    else failed++;
    if (settled.size === count) resolve();
  };
  // A refused socket tries once more after 500 ms, as the SDK would.
  const open = (i, attempt) => {
    const ws = new WebSocket(`${urls[i % urls.length]}?user=${prefix}${i}`, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('message', (data) => {
      total++;
      const text = String(data);
      const type = text.slice(9, text.indexOf('"', 9));
      types.set(type, (types.get(type) ?? 0) + 1);
      if (type === 'welcome') ws.send(`{"type":"join","room":"${room.replace('{i}', i)}","id":"j"}`);
      else if (text.startsWith('{"type":"ack","id":"j"')) settle(i, true);
    });
    // Refused, or closed by the server before its join was answered: tried once more, then failed. The close
    // code is counted (1006 for a refused or cut socket), so a failed run says why.
    let gone = false;
    const lost = (code) => {
      if (gone || settled.has(i)) return;
      gone = true;
      closes[code] = (closes[code] ?? 0) + 1;
      if (attempt === 0) {
        retried++;
        setTimeout(() => open(i, 1), 500);
      } else settle(i, false);
    };
    ws.on('close', (code) => lost(code));
    ws.on('error', () => lost(1006));
  };
  for (let i = 0; i < count; i++) open(i, 0);
});
const seconds = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, quietMs));
process.stdout.write(
  `${JSON.stringify({ seconds, joined, failed, retried, closes, total, types: Object.fromEntries(types) })}\n`,
);
setInterval(() => undefined, 60_000); // hold the sockets until killed
