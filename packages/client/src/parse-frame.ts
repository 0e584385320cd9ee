// How the client reads a server frame: the default parser, light enough for the browser bundle.
import { expandCompactMessage } from '@chorus/protocol/codes';

export type FrameParser = (text: string) => { ok: true; frame: object } | { ok: false; message: string };

/** JSON, with a compact room message (an array, §10.7) expanded; the shape is trusted. */
export const parseJsonFrame: FrameParser = (text) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  if (Array.isArray(value)) value = expandCompactMessage(value);
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    return { ok: false, message: 'frame is not an object with a type' };
  }
  return { ok: true, frame: value };
};
