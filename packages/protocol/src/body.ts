// Measuring a message body: nesting depth (iteratively, so hostile input cannot blow the stack) and size.
import { MAX_BODY_DEPTH } from './limits.js';

/**
 * True when `value` nests more than `max` containers deep. Walks iteratively and stops
 * as soon as the bound is passed, so a 30,000-deep array costs 33 steps, not a stack overflow.
 */
export const nestsDeeperThan = (value: unknown, max: number = MAX_BODY_DEPTH): boolean => {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
};

/** UTF-8 byte length of a string without Buffer or TextEncoder, so it runs in browsers and Node alike. */
export const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair is one 4-byte code point
        i++;
      } else bytes += 3; // lone surrogate: serialized as U+FFFD
    } else bytes += 3;
  }
  return bytes;
};
