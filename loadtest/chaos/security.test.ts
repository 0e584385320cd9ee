// Authorization and limits as an attacker would probe them (more in services/gateway/test: JWT, rooms claims,
// admin token, logs). A client cannot forge `from`, cannot touch another user's inbox, cannot hold a node's
// sockets as one user, and cannot slow others by flooding.
import { expect, it } from 'vitest';
import { TestClient, sleep, startNode } from '@chorus/test-kit';
import { record } from './support.js';

it('from, name and the inbox belong to the connection; per-user connection limits hold', async () => {
  await using node = await startNode({ MAX_CONNECTIONS_PER_USER: '3' });
  await using mallory = await TestClient.connect(node.url, { user: 'mallory', name: 'Mallory' });
  await using alice = await TestClient.connect(node.url, { user: 'alice' });
  await mallory.ok({ type: 'join', room: 'r' });
  await alice.ok({ type: 'join', room: 'r' });
  // extra fields are ignored: the message is mallory's, whatever the frame says
  await mallory.ok({ type: 'send', room: 'r', body: 'hi', from: 'alice', name: 'Alice', user: 'alice', ts: 1 });
  expect(await alice.next((f) => f.type === 'message')).toMatchObject({ from: 'mallory', name: 'Mallory', body: 'hi' });
  // bob's dms stay bob's: mallory confirming "up to 10" confirms only her own (empty) inbox
  await mallory.ok({ type: 'dm', to: 'bob', body: 'for bob' });
  expect(await mallory.ok({ type: 'received', upTo: 10, user: 'bob', to: 'bob' })).toMatchObject({ upTo: 0 });
  await using bob = await TestClient.connect(node.url, { user: 'bob' });
  expect(await bob.next((f) => f.type === 'dm')).toMatchObject({ from: 'mallory', body: 'for bob' });
  // one user cannot hold the node's sockets
  const extra = [
    await TestClient.connect(node.url, { user: 'mallory' }),
    await TestClient.connect(node.url, { user: 'mallory' }),
  ];
  const refused = await TestClient.connect(node.url, { user: 'mallory' }).then(
    () => 0,
    (e: { status: number }) => e.status,
  );
  expect(refused).toBe(429);
  for (const c of extra) c.close();
  await sleep(100);
  await using again = await TestClient.connect(node.url, { user: 'mallory' });
  expect(again.frames[0]).toMatchObject({ type: 'welcome' });
  record('security', { forgedFrom: false, foreignInboxConfirmed: false, perUserLimit: 429 });
});
