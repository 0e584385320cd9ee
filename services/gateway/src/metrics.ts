// Prometheus metrics of one node (prom-client): traffic, deliveries, errors, latencies, bus state, process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface NodeFigures {
  connections: number;
  users: number;
  rooms: number;
  busConnected: boolean;
}

/** The type of an outgoing frame, read from its fixed prefix `{"type":"…"`: no parse on the hot path. */
export const frameType = (frame: string): string =>
  frame.charCodeAt(0) === 0x5b ? 'message' : frame.slice(9, frame.indexOf('"', 9)); // '[': a compact message

/**
 * `ts` is the last field of every message and dm frame: `…,"ts":1700000000000}`, and the last element of a
 * compact message: `…,1700000000000]`.
 */
export const frameTs = (frame: string): number =>
  Number(frame.slice(Math.max(frame.lastIndexOf(':'), frame.lastIndexOf(',')) + 1, -1));

/** A one-label counter whose children are looked up once: prom-client's `labels()` hashes on every call. */
export class LabelledCounter {
  private readonly children = new Map<string, Counter.Internal>();
  constructor(readonly counter: Counter<string>) {}
  of(value: string): Counter.Internal {
    let child = this.children.get(value);
    if (child === undefined) this.children.set(value, (child = this.counter.labels(value)));
    return child;
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly framesIn: LabelledCounter;
  readonly framesOut: LabelledCounter;
  readonly deliveries: LabelledCounter;
  readonly drops: LabelledCounter;
  readonly errors: LabelledCounter;
  readonly closes: LabelledCounter;
  readonly slowConsumers: Counter;
  readonly deliverLatency: Histogram;
  readonly busRoundTrip: Histogram<'op'>;

  constructor(figures: () => NodeFigures) {
    const registers = [this.registry];
    const labelled = (options: ConstructorParameters<typeof Counter<string>>[0]) =>
      new LabelledCounter(new Counter(options));
    collectDefaultMetrics({ register: this.registry, prefix: 'chorus_' });
    const gauge = (name: string, help: string, read: (f: NodeFigures) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(figures()));
        },
      });
    gauge('chorus_connections', 'Open WebSocket connections on this node.', (f) => f.connections);
    gauge('chorus_users', 'Distinct users with a connection on this node.', (f) => f.users);
    gauge('chorus_rooms', 'Rooms with a member on this node.', (f) => f.rooms);
    gauge('chorus_bus_connected', '1 while the bus (Redis) connection is up.', (f) => (f.busConnected ? 1 : 0));
    this.framesIn = labelled({
      name: 'chorus_frames_in_total',
      help: 'Client frames received, by type.',
      labelNames: ['type'],
      registers,
    });
    this.framesOut = labelled({
      name: 'chorus_frames_out_total',
      help: 'Frames written to sockets, by type.',
      labelNames: ['type'],
      registers,
    });
    this.deliveries = labelled({
      name: 'chorus_deliveries_total',
      help: 'Room messages and dms handed to local sockets (one per recipient socket).',
      labelNames: ['kind'],
      registers,
    });
    this.drops = labelled({
      name: 'chorus_frames_dropped_total',
      help: 'Client frames not processed, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.errors = labelled({
      name: 'chorus_errors_total',
      help: 'Error frames sent, by code.',
      labelNames: ['code'],
      registers,
    });
    this.closes = labelled({
      name: 'chorus_closes_total',
      help: 'Sockets closed by the server, by close code.',
      labelNames: ['code'],
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'chorus_slow_consumer_closes_total',
      help: 'Sockets closed with 1013 because their unsent data passed MAX_BACKPRESSURE_BYTES.',
      registers,
    });
    this.deliverLatency = new Histogram({
      name: 'chorus_publish_deliver_latency_seconds',
      help: 'From the accepting gateway stamping a message to this node handing it to its sockets.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.busRoundTrip = new Histogram({
      name: 'chorus_bus_request_duration_seconds',
      help: 'Round trip of bus requests, by operation.',
      labelNames: ['op'],
      buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
  }
}
