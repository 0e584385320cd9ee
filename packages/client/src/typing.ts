// "Is typing…" over room signals (PROTOCOL.md §10.3): throttled while the user types, stopped by itself after a
// few seconds of silence; and, the other way, who is typing now, each entry expiring if its stop never comes.
import type { SignalDelivery } from '@chorus/protocol';
import { Emitter } from './emitter.js';
import type { Room } from './room.js';

export interface TypingOptions {
  /** At most one "typing" signal per this many ms while typing goes on (default 2,000). */
  throttleMs?: number;
  /** Silence after which "stopped" is sent (default 3,000); others drop a typer not heard of for 2 × this. */
  idleMs?: number;
}

type TypingEvents = {
  /** Who is typing in the room now (other users), after every change. */
  change: string[];
};

/** The body of a typing signal. */
interface TypingBody {
  kind: 'typing';
  typing: boolean;
}
const isTyping = (body: unknown): body is TypingBody =>
  typeof body === 'object' && body !== null && (body as TypingBody).kind === 'typing';

export class Typing extends Emitter<TypingEvents> {
  private readonly throttleMs: number;
  private readonly idleMs: number;
  private lastSent = -Infinity;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly room: Room,
    options: TypingOptions = {},
  ) {
    super();
    this.throttleMs = options.throttleMs ?? 2_000;
    this.idleMs = options.idleMs ?? 3_000;
    this.unsubscribe = room.on('signal', (s) => this.received(s));
  }

  /** Call on every keystroke: sends "typing" at most once per throttle window, "stopped" after the silence. */
  keystroke(): void {
    const now = Date.now();
    if (now - this.lastSent >= this.throttleMs) {
      this.lastSent = now;
      this.send(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
  }

  /** The message was sent, or the input cleared: "stopped" now. */
  stop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.lastSent === -Infinity) return;
    this.lastSent = -Infinity;
    this.send(false);
  }

  /** Other users typing in the room now. */
  get who(): string[] {
    return [...this.typers.keys()];
  }

  dispose(): void {
    this.stop();
    this.unsubscribe();
    for (const timer of this.typers.values()) clearTimeout(timer);
    this.typers.clear();
  }

  private send(typing: boolean): void {
    this.room.signal({ kind: 'typing', typing } satisfies TypingBody).catch(() => undefined); // best effort
  }

  private received(signal: SignalDelivery): void {
    if (!isTyping(signal.body)) return;
    clearTimeout(this.typers.get(signal.from));
    if (signal.body.typing) {
      this.typers.set(
        signal.from,
        setTimeout(() => this.forget(signal.from), 2 * this.idleMs),
      );
    } else this.typers.delete(signal.from);
    this.emit('change', this.who);
  }

  private forget(user: string): void {
    if (this.typers.delete(user)) this.emit('change', this.who);
  }
}
