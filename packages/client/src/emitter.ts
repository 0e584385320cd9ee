// A minimal typed event emitter: `on` returns its own unsubscribe.

export class Emitter<Events extends Record<string, unknown>> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, handler: (payload: Events[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  protected emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as (payload: Events[E]) => void)(payload);
      } catch (err) {
        // An app handler that throws must not break delivery to the others, nor the client.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
