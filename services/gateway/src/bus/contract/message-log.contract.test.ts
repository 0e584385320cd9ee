// The message log's contract, over every driver: sequencing, idempotency, reads after `since`, history
// pages, inboxes, and what each append publishes.
import { describe, expect, it } from 'vitest';
import { until } from '@chorus/test-kit';
import { DM_HEAD, MESSAGE_HEAD, dmTail, messageTail, sequenced } from '../../outbound.js';
import type { Bus } from '../bus.js';
import { drivers } from './drivers.test-support.js';

const draft = (room: string, n: number, key?: string, user = 'alice') => ({
  room,
  user,
  key,
  msg: `m${n}`,
  ts: Date.now(),
  tail: messageTail(room, `m${n}`, user, 'Alice', `{"n":${n}}`, Date.now()),
});
const dm = (to: string, n: number, key?: string, from = 'alice') => ({
  from,
  to,
  key,
  msg: `d${n}`,
  ts: Date.now(),
  tail: dmTail(`d${n}`, from, 'Alice', to, `{"n":${n}}`, Date.now()),
});
const publishMany = async (bus: Bus, room: string, count: number) => {
  for (let n = 1; n <= count; n++) await bus.messages.publishRoom(draft(room, n));
};
const seqs = (messages: Array<{ seq: number }>) => messages.map((m) => m.seq);

describe.each(drivers())('message log on $name', (driver) => {
  it('sequences a room from 1 and publishes each message with its seq and epoch to the subscribed nodes', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await b.broker.subscribeRoom('talk');
    const first = draft('talk', 1);
    expect((await a.messages.publishRoom(first)).reply).toEqual({ room: 'talk', seq: 1, msg: 'm1' });
    expect((await a.messages.publishRoom(draft('talk', 2))).reply).toMatchObject({ seq: 2 });
    await until('both messages on node b', () => nodes.heard[1].of('roomMessage').length === 2);
    const { epoch } = await a.messages.roomSince('talk', undefined);
    expect(nodes.heard[1].of('roomMessage')[0]).toEqual(['talk', 1, epoch, sequenced(MESSAGE_HEAD, 1, first.tail)]);
    expect(nodes.heard[0].of('roomMessage')).toEqual([]);
  });

  it('a repeated key answers the first reply, whatever the kind, and stores once; keys are per user', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    const first = await a.messages.publishRoom(draft('keyed', 1, 'k1'));
    expect(first.duplicate).toBe(false);
    const again = await b.messages.publishRoom(draft('keyed', 2, 'k1'));
    expect(again).toEqual({ reply: first.reply, duplicate: true });
    expect(await b.messages.sendDm(dm('bob', 3, 'k1'))).toEqual({ reply: first.reply, duplicate: true });
    expect((await a.messages.publishRoom(draft('keyed', 4, 'k1', 'mallory'))).duplicate).toBe(false);
    expect((await a.messages.roomSince('keyed', undefined)).seq).toBe(2);
    expect(await a.messages.inbox('bob')).toEqual([]);
  });

  it('reads after since: complete when nothing is missing, and says so when the reader cannot be caught up', async () => {
    await using nodes = await driver.open({ history: { size: 5, ttlS: 60 } });
    const [a, b] = nodes.buses;
    await publishMany(a, 'since', 4);
    const state = await b.messages.roomSince('since', undefined);
    expect(state).toMatchObject({ seq: 4, messages: [], complete: true });
    const read = await b.messages.roomSince('since', 2, state.epoch);
    expect(read).toMatchObject({ epoch: state.epoch, seq: 4, complete: true });
    expect(seqs(read.messages)).toEqual([3, 4]);
    expect(read.messages[0]!.frame).toContain('"seq":3,');
    expect(await b.messages.roomSince('since', 4)).toMatchObject({ messages: [], complete: true });
    expect(await b.messages.roomSince('since', 9)).toMatchObject({ seq: 4, complete: false });
    expect(await b.messages.roomSince('since', 0, 'another-epoch')).toMatchObject({ messages: [], complete: false });
    await publishMany(a, 'since', 4); // seqs 5..8; retention keeps 4..8
    const trimmed = await b.messages.roomSince('since', 1);
    expect(seqs(trimmed.messages)).toEqual([4, 5, 6, 7, 8]);
    expect(trimmed.complete).toBe(false);
  });

  it('pages history backwards, ascending within a page', async () => {
    await using nodes = await driver.open();
    const [a] = nodes.buses;
    await publishMany(a, 'history', 7);
    expect(seqs((await a.messages.roomHistory('history', undefined, 3)).messages)).toEqual([5, 6, 7]);
    expect(seqs((await a.messages.roomHistory('history', 5, 3)).messages)).toEqual([2, 3, 4]);
    expect(seqs((await a.messages.roomHistory('history', 2, 3)).messages)).toEqual([1]);
    expect((await a.messages.roomHistory('empty', undefined, 3)).messages).toEqual([]);
  });

  it('a dm is stored in the inbox, published to the nodes holding the recipient, and says whether any did', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    const offline = dm('bob', 1);
    expect((await a.messages.sendDm(offline)).reply).toEqual({ msg: 'd1', online: false });
    await b.broker.subscribeUser('bob');
    expect((await a.messages.sendDm(dm('bob', 2))).reply).toEqual({ msg: 'd2', online: true });
    await until('node b hears the dm', () => nodes.heard[1].of('userMessage').length === 1);
    expect(nodes.heard[1].of('userMessage')[0]!.slice(0, 2)).toEqual(['bob', 2]);
    const inbox = await b.messages.inbox('bob');
    expect(inbox).toEqual([
      { seq: 1, frame: sequenced(DM_HEAD, 1, offline.tail) },
      expect.objectContaining({ seq: 2 }),
    ]);
  });

  it('confirming clamps to the newest dm and removes what it confirms', async () => {
    await using nodes = await driver.open();
    const [a] = nodes.buses;
    for (let n = 1; n <= 3; n++) await a.messages.sendDm(dm('carol', n));
    expect(await a.messages.confirm('carol', 2)).toBe(2);
    expect(seqs(await a.messages.inbox('carol'))).toEqual([3]);
    expect(await a.messages.confirm('carol', 99)).toBe(3);
    await a.messages.sendDm(dm('carol', 4));
    expect(seqs(await a.messages.inbox('carol'))).toEqual([4]);
    expect(await a.messages.confirm('carol', 1)).toBe(3);
  });

  it('a full inbox drops its oldest dm', async () => {
    await using nodes = await driver.open({ inbox: { size: 3, ttlS: 600, unseenTtlS: 60 } });
    const [a] = nodes.buses;
    for (let n = 1; n <= 5; n++) await a.messages.sendDm(dm('dave', n));
    expect(seqs(await a.messages.inbox('dave'))).toEqual([3, 4, 5]);
  });

  it('calls issued together for many rooms and users (on every shard of a cluster) all succeed', async () => {
    await using nodes = await driver.open();
    const [a] = nodes.buses;
    const rooms = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
    const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    // one tick: whatever a driver batches, each call still reaches the shard holding its keys
    const replies = await Promise.all([
      ...rooms.map((room, i) => a.messages.publishRoom(draft(room, i))),
      ...users.map((user, i) => a.messages.sendDm(dm(user, i))),
    ]);
    expect(replies.map((r) => r.duplicate)).toEqual(replies.map(() => false));
    const reads = await Promise.all(rooms.map((room) => a.messages.roomSince(room, 0)));
    expect(reads.map((r) => r.seq)).toEqual(rooms.map(() => 1));
    const inboxes = await Promise.all(users.map((user) => a.messages.inbox(user)));
    expect(inboxes.map((inbox) => inbox.length)).toEqual(users.map(() => 1));
    expect(await Promise.all(users.map((user) => a.messages.confirm(user, 1)))).toEqual(users.map(() => 1));
  });
});
