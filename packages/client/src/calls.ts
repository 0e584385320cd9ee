// Call set-up over user signals (PROTOCOL.md §10.3), after the signalling example chorus started from: the caller
// dials, the callee's devices ring ("called"), and it ends accepted, declined, hung up, not connected (nobody
// could ring), or unanswered. Nothing of it is stored: a call nobody could take is never delivered later.
import type { SignalDelivery } from '@chorus/protocol';
import { Emitter } from './emitter.js';

export type CallState = 'dialing' | 'ringing' | 'accepted' | 'declined' | 'hung_up' | 'not_connected' | 'unanswered';
type Action = 'dial' | 'called' | 'accept' | 'decline' | 'hangup';

interface CallBody {
  kind: 'call';
  call: string;
  action: Action;
}
const isCall = (body: unknown): body is CallBody =>
  typeof body === 'object' && body !== null && (body as CallBody).kind === 'call';

/** What calls need of the client: signals out, signals in, fresh ids. */
export interface CallHost {
  signal(to: string, body: unknown): Promise<{ online: boolean }>;
  on(event: 'signal', handler: (signal: SignalDelivery) => void): () => void;
  newKey(): string;
}

/** States after which nothing more happens. */
export const CALL_ENDED: readonly CallState[] = ['declined', 'hung_up', 'not_connected', 'unanswered'];

export class Call extends Emitter<{ state: CallState }> {
  state: CallState;
  constructor(
    readonly id: string,
    /** The other party. */
    readonly peer: string,
    readonly direction: 'outgoing' | 'incoming',
    private readonly calls: Calls,
    initial: CallState,
  ) {
    super();
    this.state = initial;
  }

  /** Callee: take the call. */
  accept(): Promise<void> {
    return this.answer('accept', 'accepted');
  }

  /** Callee: refuse it. */
  decline(): Promise<void> {
    return this.answer('decline', 'declined');
  }

  /** Either side: end it (before or after it was accepted). */
  async hangUp(): Promise<void> {
    if (this.state === 'hung_up' || this.state === 'declined' || this.state === 'not_connected') return;
    this.move('hung_up');
    await this.calls.send(this.peer, this.id, 'hangup');
  }

  private async answer(action: Action, state: CallState): Promise<void> {
    this.move(state);
    await this.calls.send(this.peer, this.id, action);
  }

  /** @internal */
  move(state: CallState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}

export interface CallsOptions {
  /** A call not answered in this long ends `unanswered` (default 30 s). */
  timeoutMs?: number;
}

export class Calls extends Emitter<{ incoming: Call }> {
  private readonly active = new Map<string, Call>();
  private readonly timeoutMs: number;

  constructor(
    private readonly host: CallHost,
    options: CallsOptions = {},
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    host.on('signal', (s) => this.received(s));
  }

  /** Ring every device of `user`: `not_connected` at once when none is online. */
  async dial(user: string): Promise<Call> {
    const call = new Call(this.host.newKey(), user, 'outgoing', this, 'dialing');
    this.active.set(call.id, call);
    const { online } = await this.send(user, call.id, 'dial');
    if (!online) this.finish(call, 'not_connected');
    else {
      const timer = setTimeout(() => {
        if (call.state === 'dialing' || call.state === 'ringing') {
          this.finish(call, 'unanswered');
          void this.send(user, call.id, 'hangup');
        }
      }, this.timeoutMs);
      call.on('state', (state) => {
        if (state !== 'dialing' && state !== 'ringing') clearTimeout(timer);
      });
    }
    return call;
  }

  /** @internal */
  send(to: string, call: string, action: Action): Promise<{ online: boolean }> {
    return this.host.signal(to, { kind: 'call', call, action } satisfies CallBody);
  }

  private finish(call: Call, state: CallState): void {
    call.move(state);
    this.active.delete(call.id);
  }

  private received(signal: SignalDelivery): void {
    if (signal.room !== undefined || !isCall(signal.body)) return;
    const { call: id, action } = signal.body;
    const call = this.active.get(id);
    if (action === 'dial' && !call) {
      const incoming = new Call(id, signal.from, 'incoming', this, 'ringing');
      this.active.set(id, incoming);
      incoming.on('state', (state) => {
        if (CALL_ENDED.includes(state)) this.active.delete(id);
      });
      void this.send(signal.from, id, 'called'); // the caller hears it ring
      this.emit('incoming', incoming);
      return;
    }
    if (!call || signal.from !== call.peer) return;
    if (action === 'called' && call.state === 'dialing') call.move('ringing');
    else if (action === 'accept') call.move('accepted');
    else if (action === 'decline') this.finish(call, 'declined');
    else if (action === 'hangup') this.finish(call, 'hung_up');
  }
}
