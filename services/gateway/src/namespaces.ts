// Namespaces (PROTOCOL.md §10.1): the part of a room name before its first `:` picks the room's options.
import { z } from 'zod';
import { PRESENCE_MODES, type PresenceMode } from '@chorus/protocol';

/** One namespace's options as written in NAMESPACES; unknown keys are refused by name. */
export const namespaceOptionsSchema = z
  .object({
    presence: z.enum(PRESENCE_MODES),
    history: z.number().int().min(0).max(100_000),
    historyTtlS: z.number().int().min(1),
    publish: z.enum(['members', 'server']),
    signals: z.boolean(),
  })
  .partial()
  .strict();

/** Namespace names are room-name prefixes (no `:`), or `*` for the default namespace. */
const namespaceName = z.union([z.literal('*'), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/)]);
export const namespacesSchema = z.record(namespaceName, namespaceOptionsSchema);

export interface RoomOptions {
  readonly presence: PresenceMode;
  readonly history: number;
  readonly historyTtlS: number;
  readonly publish: 'members' | 'server';
  readonly signals: boolean;
}

export class Namespaces {
  private readonly byName = new Map<string, RoomOptions>();
  readonly defaults: RoomOptions;

  /** `base` comes from the plain variables (HISTORY_SIZE, …); `table` overrides per namespace, `*` for the default. */
  constructor(base: RoomOptions, table: z.output<typeof namespacesSchema> = {}) {
    this.defaults = Object.freeze({ ...base, ...table['*'] });
    for (const [name, options] of Object.entries(table)) {
      if (name !== '*') this.byName.set(name, Object.freeze({ ...this.defaults, ...options }));
    }
  }

  /** The options of a room: its namespace's, or the default's for a room without one or an unknown one. */
  of(room: string): RoomOptions {
    const colon = room.indexOf(':');
    return colon === -1 ? this.defaults : (this.byName.get(room.slice(0, colon)) ?? this.defaults);
  }
}
