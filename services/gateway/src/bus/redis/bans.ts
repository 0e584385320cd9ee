// Bans in Redis: a key per banned user that expires when the ban does.
import type { Logger } from 'pino';
import type { Bans } from '../bans.js';
import { busError, type Client } from './commands.js';
import { userKeys } from './keys.js';

export class RedisBans implements Bans {
  constructor(
    private readonly cmd: Client,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async ban(user: string, until: number): Promise<void> {
    const key = userKeys(this.prefix, user).ban;
    try {
      const ms = until - Date.now();
      if (ms > 0) await this.cmd.set(key, String(until), 'PX', ms);
      else await this.cmd.del(key);
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async bannedUntil(user: string): Promise<number | undefined> {
    try {
      const until = await this.cmd.get(userKeys(this.prefix, user).ban);
      return until === null ? undefined : Number(until);
    } catch (err) {
      throw busError(err, this.log);
    }
  }
}
