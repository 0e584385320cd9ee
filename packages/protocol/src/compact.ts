// The compact encoding (PROTOCOL.md §10.7, docs/protocol.md): a client that offers the subprotocol
// `chorus.v1.compact` gets each room `message` as a JSON array instead of an object,
//   [room, seq, msg, from, name, body, ts]
// — the v1 frame's values in the order PROTOCOL.md lists them, without its keys (62 bytes fewer a message). Every other frame (acks, history,
// presence, dms, …) is exactly the v1 frame, so a client tells the two apart by the first character.
// Zero dependencies: the SDK's browser bundle carries it.

/** The subprotocol a client offers (before `chorus.v1`) to receive compact room messages. */
export const COMPACT_SUBPROTOCOL = 'chorus.v1.compact';

export interface CompactMessageFields {
  room: string;
  seq: number;
  msg: string;
  from: string;
  name: string;
  body: unknown;
  ts: number;
}

/**
 * A v1 `message` frame (as the bus carries it) in the compact form, one parse per message and node; undefined
 * when the text is not a whole message frame (a compact client reads v1 frames too: send it as it is).
 */
export const compactMessage = (v1Frame: string): string | undefined => {
  let m: unknown;
  try {
    m = JSON.parse(v1Frame);
  } catch {
    return undefined;
  }
  const f = m as Partial<CompactMessageFields> & { type?: unknown };
  const values = [f.room, f.seq, f.msg, f.from, f.name, f.body, f.ts];
  return f.type === 'message' && expandCompactMessage(values) ? JSON.stringify(values) : undefined;
};

/** A compact message back in the v1 shape, or undefined when the array is not one. */
export const expandCompactMessage = (value: unknown): ({ type: 'message' } & CompactMessageFields) | undefined => {
  if (!Array.isArray(value) || value.length !== 7) return undefined;
  const [room, seq, msg, from, name, body, ts] = value as unknown[];
  if (
    typeof room !== 'string' ||
    typeof seq !== 'number' ||
    typeof msg !== 'string' ||
    typeof from !== 'string' ||
    typeof name !== 'string' ||
    typeof ts !== 'number'
  )
    return undefined;
  return { type: 'message', room, seq, msg, from, name, body, ts };
};
