// The bus's Redis commands: Lua scripts assembled from shared fragments, and what a failed call means.
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ProtocolError } from '@chorus/protocol';

export const SCRIPTS = [
  'publish-room',
  'read-room',
  'send-dm',
  'open-inbox',
  'confirm-inbox',
  'presence-apply',
] as const;
export type ScriptName = (typeof SCRIPTS)[number];

export type Client = Redis | Cluster;
export type Scripted = Client & Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>;

const scriptsDir = new URL('../../../src/bus/redis/scripts/', import.meta.url);

/** A script's source with each `--#include <name>` line replaced by scripts/lib/<name>.lua (written once). */
export const scriptSource = (name: ScriptName): string =>
  readFileSync(new URL(`${name}.lua`, scriptsDir), 'utf8').replace(/^--#include ([a-z-]+)$/gm, (_, lib: string) =>
    readFileSync(new URL(`lib/${lib}.lua`, scriptsDir), 'utf8'),
  );

/** Registers every script on a client (each call passes its own key count). */
export const defineScripts = (client: Client): Scripted => {
  for (const name of SCRIPTS) client.defineCommand(name, { lua: scriptSource(name) });
  return client as Scripted;
};

/**
 * What a failed bus call tells the client. Redis refusing a command or a script (a ReplyError) is a bug of
 * ours: `internal`, logged, its text withheld (§10.8). Anything else (no link, a timeout) is `unavailable`.
 */
export const busError = (err: unknown, log: Logger): ProtocolError => {
  if (err instanceof ProtocolError) return err;
  if (err instanceof Error && err.name === 'ReplyError') {
    log.error({ err }, 'redis refused a command');
    return new ProtocolError('internal');
  }
  log.debug({ err }, 'bus call failed');
  return new ProtocolError('unavailable');
};
