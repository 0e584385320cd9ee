// Hostile nesting, found in the frame's text before JSON.parse has to build it.
//
// JSON.parse of a 10 KB frame of 5,000 nested arrays costs about 250 µs (a small frame about 0.4 µs), so one
// client sending such frames could stall every socket on its node. The walk below costs a few µs for the same
// frame and nothing measurable for ordinary ones: it runs only when the text has enough opening brackets.

const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface Pruned {
  text: string;
  /** Something nested deeper than `max` (and `text` is not the original). */
  deep: boolean;
}

/**
 * `text` with every container that opens deeper than `max` levels replaced by `[]`, so that parsing it is
 * cheap and still sees a value nested `max + 1` deep where the original was deeper; the text unchanged when
 * nothing is that deep; undefined when such a container never closes (the text is not JSON).
 *
 * Strings are skipped as JSON defines them, so brackets inside them do not count. On text that is not JSON the
 * walk may see other depths than a parser would, but a parser stops at the first error anyway.
 */
export const pruneNesting = (text: string, max: number): Pruned | undefined => {
  if (!opensMoreThan(text, max)) return { text, deep: false };
  const parts: string[] = [];
  let kept = 0; // text before this index is in `parts` already
  let cutFrom = 0; // where the too-deep container being skipped opened
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth === max + 1) cutFrom = i;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth-- === max + 1) {
        parts.push(text.slice(kept, cutFrom), '[]');
        kept = i + 1;
      }
    }
  }
  if (depth > max) return undefined; // a too-deep container never closed
  if (parts.length === 0) return { text, deep: false };
  parts.push(text.slice(kept));
  return { text: parts.join(''), deep: true };
};

/** More than `max` opening brackets in all (a necessary condition for nesting that deep), by native search. */
const opensMoreThan = (text: string, max: number): boolean => {
  let opens = 0;
  for (let at = text.indexOf('['); at !== -1 && opens <= max; at = text.indexOf('[', at + 1)) opens++;
  for (let at = text.indexOf('{'); at !== -1 && opens <= max; at = text.indexOf('{', at + 1)) opens++;
  return opens > max;
};
