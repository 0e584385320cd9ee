import WebSocket from 'ws';
const ws = new WebSocket(process.argv[2] + '?user=polite');
await new Promise(r => ws.once('open', r));
const pending = new Map(); let n = 0;
ws.on('message', (d) => { const f = JSON.parse(d); const r = pending.get(f.id); if (r) { pending.delete(f.id); r(); } });
const run = async (ms) => { const rtts = []; for (const end = Date.now() + ms; Date.now() < end;) { const id = 'p' + n++; const t0 = performance.now(); await new Promise(r => { pending.set(id, r); ws.send(JSON.stringify({ type: 'ping', id })); }); rtts.push(performance.now() - t0); await new Promise(r => setTimeout(r, 10)); } rtts.sort((a, b) => a - b); return { p50: rtts[rtts.length >> 1].toFixed(2), p99: rtts[Math.floor(rtts.length * 0.99)].toFixed(2), max: rtts.at(-1).toFixed(2) }; };
console.log('probe', process.argv[3], JSON.stringify(await run(Number(process.argv[4] ?? 12000))));
process.exit(0);
