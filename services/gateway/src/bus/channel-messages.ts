// The message kinds on the bus's pub/sub channels, one encoding for both drivers (the Lua scripts write the
// same strings). One letter says the kind; fields are `|`-separated and the frame, always last, is passed on
// untouched (no JSON work).
//   room channel:  m|seq|epoch|frame   e|origin|users|version|frame   p|origins|diff   o|users|connections|version
//                  s|origin|frame (a room signal)
//   user channel:  d|seq|frame (a dm)   s|-|frame (a signal)   k|code|kick id|reason   q| (a probe, ignored)
import type { BusListener } from './bus.js';
import type { PresenceDiff } from './presence.js';

/** Encoders, for what a driver publishes from JavaScript (the Lua scripts build the same strings). */
export const encode = {
  roomMessage: (seq: number, epoch: string, frame: string) => `m|${seq}|${epoch}|${frame}`,
  roomEvent: (origin: string, { users, version }: { users: number; version: number }, frame: string) =>
    `e|${origin}|${users}|${version}|${frame}`,
  presenceDiff: (origins: readonly string[], diff: PresenceDiff) => `p|${origins.join(',')}|${JSON.stringify(diff)}`,
  occupancy: (users: number, connections: number, version: number) => `o|${users}|${connections}|${version}`,
  roomSignal: (origin: string, frame: string) => `s|${origin}|${frame}`,
  userMessage: (seq: number, frame: string) => `d|${seq}|${frame}`,
  userSignal: (frame: string) => `s|-|${frame}`,
  kick: (code: number, id: string, reason: string) => `k|${code}|${id}|${reason}`,
  /** Acted on by nobody: its receiver count is the answer (how many nodes hold the user). */
  probe: () => 'q|',
};

/** Calls `listener` with one message from the channel of room (`r`) or user (`u`) `name`. */
export const deliverChannelMessage = (
  kind: string,
  name: string,
  message: string,
  listener: BusListener,
  answerKick: (id: string, closed: number) => void,
): void => {
  const bar = message.indexOf('|', 2);
  switch (message.charCodeAt(0)) {
    case 109: {
      // m|<seq>|<epoch>|<frame>
      const bar2 = message.indexOf('|', bar + 1);
      return listener.roomMessage(
        name,
        Number(message.slice(2, bar)),
        message.slice(bar + 1, bar2),
        message.slice(bar2 + 1),
      );
    }
    case 101: {
      // e|<origin conn>|<users>|<version>|<frame>
      const bar2 = message.indexOf('|', bar + 1);
      const bar3 = message.indexOf('|', bar2 + 1);
      return listener.roomEvent(name, message.slice(2, bar), message.slice(bar3 + 1), {
        users: Number(message.slice(bar + 1, bar2)),
        version: Number(message.slice(bar2 + 1, bar3)),
      });
    }
    case 100: // d|<seq>|<frame>
      return listener.userMessage(name, Number(message.slice(2, bar)), message.slice(bar + 1));
    case 115: // s|<origin conn>|<frame> on a room; s|-|<frame> on a user
      if (kind === 'r') return listener.roomSignal(name, message.slice(2, bar), message.slice(bar + 1));
      return listener.userSignal(name, message.slice(bar + 1));
    case 107: {
      // k|<code>|<kick id>|<reason>
      const bar2 = message.indexOf('|', bar + 1);
      const closed = listener.kick(name, Number(message.slice(2, bar)), message.slice(bar2 + 1));
      return answerKick(message.slice(bar + 1, bar2), closed);
    }
    case 112: // p|<origin conns, comma-separated>|{"joined":[…],"left":[…]}
      return listener.presenceDiff(
        name,
        message.slice(2, bar).split(','),
        JSON.parse(message.slice(bar + 1)) as PresenceDiff,
      );
    case 111: {
      // o|<users>|<connections>|<version>
      const [users, connections, version] = message.slice(2).split('|').map(Number) as [number, number, number];
      return listener.occupancy(name, { users, connections }, version);
    }
  }
};
