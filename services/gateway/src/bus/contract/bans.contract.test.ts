// The bans' contract, over every driver.
import { describe, expect, it } from 'vitest';
import { drivers } from './drivers.test-support.js';

describe.each(drivers())('bans on $name', (driver) => {
  it('a ban holds until its time on every node, and is lifted by a time not in the future', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    const until = Date.now() + 60_000;
    expect(await b.bans.bannedUntil('mallory')).toBeUndefined();
    await a.bans.ban('mallory', until);
    expect(await b.bans.bannedUntil('mallory')).toBe(until);
    await b.bans.ban('mallory', 0);
    expect(await a.bans.bannedUntil('mallory')).toBeUndefined();
    await a.bans.ban('eve', Date.now() - 1);
    expect(await a.bans.bannedUntil('eve')).toBeUndefined();
  });
});
