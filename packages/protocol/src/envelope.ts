// The client and server frame unions and one `parse` per direction; neither ever throws.
import { z } from 'zod';
import { nestsDeeperThan, utf8Length } from './body.js';
import { pruneNesting } from './nesting.js';
import type { ErrorCode } from './errors.js';
import { requestId } from './ids.js';
import { expandCompactMessage } from './compact.js';
import { DEFAULT_LIMITS, MAX_BODY_DEPTH } from './limits.js';
import { dmDelivery, dmFrame, receivedFrame } from './frames/dm.js';
import {
  occupancyFrame,
  occupancyReply,
  presenceDiff,
  presenceFrame,
  presenceReply,
  userJoined,
  userLeft,
} from './frames/presence.js';
import { historyFrame, historyReply, joinFrame, leaveFrame, messageFrame, sendFrame } from './frames/rooms.js';
import { signalDelivery, signalFrame } from './frames/signals.js';
import {
  ackFrame,
  refreshFrame,
  echoFrame,
  echoReply,
  errorFrame,
  pingFrame,
  pongFrame,
  reconnectFrame,
  welcomeFrame,
} from './frames/connection.js';

export const clientFrame = z.discriminatedUnion('type', [
  joinFrame,
  leaveFrame,
  sendFrame,
  dmFrame,
  receivedFrame,
  historyFrame,
  presenceFrame,
  occupancyFrame,
  signalFrame,
  refreshFrame,
  pingFrame,
  echoFrame,
]);
export type ClientFrame = z.infer<typeof clientFrame>;
export type ClientFrameType = ClientFrame['type'];
export const CLIENT_FRAME_TYPES = clientFrame.options.map((o) => o.shape.type.value) as ClientFrameType[];

export const serverFrame = z.discriminatedUnion('type', [
  welcomeFrame,
  ackFrame,
  errorFrame,
  messageFrame,
  dmDelivery,
  historyReply,
  presenceReply,
  userJoined,
  userLeft,
  presenceDiff,
  occupancyReply,
  signalDelivery,
  pongFrame,
  echoReply,
  reconnectFrame,
]);
export type ServerFrame = z.infer<typeof serverFrame>;

export interface ParseFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The frame's id when it had a valid one, so the error can carry it. */
  id?: string;
}
export interface ParsedClientFrame {
  ok: true;
  frame: ClientFrame;
  /** `JSON.stringify(frame.body)` for frames with a body: measured once, reused by the gateway. */
  bodyJson?: string;
}
export type ClientParseResult = ParsedClientFrame | ParseFailure;

const fail = (code: ErrorCode, message: string, id?: string): ParseFailure =>
  id === undefined ? { ok: false, code, message } : { ok: false, code, message, id };

const schemaByType = new Map<string, z.ZodType>(clientFrame.options.map((o) => [o.shape.type.value, o]));

const describeIssue = (issue: z.core.$ZodIssue): string => {
  const field = issue.path.length > 0 ? issue.path.join('.') : 'frame';
  return `${field}: ${issue.message}`;
};

/** The frame object is one level, its body may nest MAX_BODY_DEPTH more: anything deeper is refused anyway. */
const MAX_FRAME_DEPTH = MAX_BODY_DEPTH + 1;

/**
 * JSON.parse, with hostile nesting pruned first (see nesting.ts); undefined when the text is not JSON.
 * `deep` says whether anything was pruned: when not, no value in the frame nests past the protocol's limit.
 */
const parseJson = (text: string): { value: unknown; deep: boolean } | undefined => {
  const pruned = pruneNesting(text, MAX_FRAME_DEPTH);
  if (pruned === undefined) return undefined;
  try {
    return { value: JSON.parse(pruned.text), deep: pruned.deep };
  } catch {
    return undefined;
  }
};

/** The `id` of a frame that will not be processed (rate limited), so its error can carry it. */
export const peekRequestId = (text: string): string | undefined => {
  // A flood of refused frames is mostly id-less: a native search spares parsing them (`\u` may spell "id").
  if (!text.includes('"id"') && !text.includes('\\u')) return undefined;
  const json = parseJson(text);
  const id = (json?.value as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id.length >= 1 && id.length <= 64 ? id : undefined; // requestId, without zod
};

/**
 * Parse one client text frame. Checks in protocol order: `bad_json`, `bad_frame` (shape, id,
 * type, fields, body depth), then `too_large` (body bytes). Never throws.
 */
export const parseClientFrame = (
  text: string,
  maxBodyBytes: number = DEFAULT_LIMITS.maxBodyBytes,
): ClientParseResult => {
  const json = parseJson(text);
  if (json === undefined) return fail('bad_json', 'frame is not valid JSON');
  const raw = json.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('bad_frame', 'frame: must be a JSON object');
  }
  const record = raw as Record<string, unknown>;
  let id: string | undefined;
  if (Object.hasOwn(record, 'id')) {
    const parsedId = requestId.safeParse(record.id);
    if (!parsedId.success) return fail('bad_frame', 'id: must be a string of 1-64 characters');
    id = parsedId.data;
  }
  const type = record.type;
  if (typeof type !== 'string') return fail('bad_frame', 'type: is required and must be a string', id);
  const schema = schemaByType.get(type);
  if (schema === undefined) return fail('bad_frame', `type: unknown frame type`, id);
  const parsed = schema.safeParse(record);
  if (!parsed.success) return fail('bad_frame', describeIssue(parsed.error.issues[0]!), id);
  const frame = parsed.data as ClientFrame;
  if (!('body' in frame)) return { ok: true, frame };
  if (json.deep && nestsDeeperThan(frame.body, MAX_BODY_DEPTH)) {
    return fail('bad_frame', `body: nests deeper than ${MAX_BODY_DEPTH} levels`, id);
  }
  const bodyJson = JSON.stringify(frame.body);
  if (utf8Length(bodyJson) > maxBodyBytes) {
    return fail('too_large', `body: exceeds maxBodyBytes (${maxBodyBytes})`, id);
  }
  return { ok: true, frame, bodyJson };
};

/** Parse one server frame (the SDK's side). Never throws. */
export const parseServerFrame = (
  text: string,
  /** The connection chose `chorus.v1.compact` (§10.7): an array is a room message, expanded first. */
  options: { compact?: boolean } = {},
): { ok: true; frame: ServerFrame } | ParseFailure => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('bad_json', 'frame is not valid JSON');
  }
  if (options.compact && Array.isArray(raw)) {
    raw = expandCompactMessage(raw);
    if (!raw) return fail('bad_frame', 'compact message: not [room, seq, msg, from, name, body, ts]');
  }
  const parsed = serverFrame.safeParse(raw);
  if (!parsed.success) return fail('bad_frame', describeIssue(parsed.error.issues[0]!));
  return { ok: true, frame: parsed.data };
};
