// The drivers every contract suite runs over: the memory hub, one redis-server, and a Redis Cluster. Each
// test gets two nodes on fresh shared state (a hub of its own, or a key prefix of its own), each node with a
// listener that records what reaches it.
import { pino } from 'pino';
import { startRedis, startRedisCluster, type RedisProcess } from '@chorus/test-kit';
import { afterAll, beforeAll } from 'vitest';
import type { Bus, BusListener } from '../bus.js';
import type { InboxRetention, Retention } from '../message-log.js';
import { MemoryHub } from '../memory/hub.js';
import { RedisBus } from '../redis/bus.js';

export interface Heard {
  call: keyof BusListener;
  args: unknown[];
}

/** A listener that records every call; `kick` closes `closes` connections. */
export class Recorder implements BusListener {
  readonly heard: Heard[] = [];
  closes = 0;
  private record(call: keyof BusListener, args: unknown[]) {
    this.heard.push({ call, args });
  }
  of(call: keyof BusListener): unknown[][] {
    return this.heard.filter((h) => h.call === call).map((h) => h.args);
  }
  roomMessage(...args: unknown[]) {
    this.record('roomMessage', args);
  }
  roomEvent(...args: unknown[]) {
    this.record('roomEvent', args);
  }
  presenceDiff(...args: unknown[]) {
    this.record('presenceDiff', args);
  }
  occupancy(...args: unknown[]) {
    this.record('occupancy', args);
  }
  roomSignal(...args: unknown[]) {
    this.record('roomSignal', args);
  }
  userSignal(...args: unknown[]) {
    this.record('userSignal', args);
  }
  userMessage(...args: unknown[]) {
    this.record('userMessage', args);
  }
  kick(...args: unknown[]) {
    this.record('kick', args);
    return this.closes;
  }
}

export interface Nodes extends AsyncDisposable {
  buses: [Bus, Bus];
  heard: [Recorder, Recorder];
  /** The memory hub, for its faults and clock (undefined on Redis). */
  hub?: MemoryHub;
}

export interface Settings {
  history?: Retention;
  inbox?: InboxRetention;
}

export interface Driver {
  name: string;
  /** Two nodes on fresh shared state. */
  open(settings?: Settings): Promise<Nodes>;
}

const HISTORY: Retention = { size: 100, ttlS: 60 };
const INBOX: InboxRetention = { size: 100, ttlS: 600, unseenTtlS: 60 };
const silent = pino({ level: 'silent' });

const memory: Driver = {
  name: 'memory',
  async open({ history = HISTORY, inbox = INBOX } = {}) {
    const hub = new MemoryHub({ history: () => history, inbox });
    return started([hub.attach('n1'), hub.attach('n2')], hub);
  },
};

const started = async (buses: [Bus, Bus], hub?: MemoryHub): Promise<Nodes> => {
  const heard: [Recorder, Recorder] = [new Recorder(), new Recorder()];
  await Promise.all(buses.map((bus, i) => bus.start(heard[i]!)));
  return {
    buses,
    heard,
    hub,
    [Symbol.asyncDispose]: async () => {
      await Promise.all(buses.map((b) => b.close()));
    },
  };
};

let prefixes = 0;
const onRedis = (name: string, server: () => RedisProcess, cluster: boolean): Driver => ({
  name,
  async open({ history = HISTORY, inbox = INBOX } = {}) {
    const prefix = `contract${++prefixes}`;
    const bus = (node: string) =>
      new RedisBus(
        {
          url: server().url,
          cluster,
          sentinels: undefined,
          sentinelName: undefined,
          sentinelPassword: undefined,
          prefix,
          node,
          history: () => history,
          presencePolicy: () => undefined,
          inbox,
          timeoutMs: 2_000,
        },
        silent,
      );
    return started([bus('n1'), bus('n2')]);
  },
});

/** Every driver; the Redis servers start once per test file and stop after it. */
export const drivers = (): Driver[] => {
  let redis: RedisProcess;
  let cluster: RedisProcess;
  beforeAll(async () => {
    [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis?.[Symbol.asyncDispose](), cluster?.[Symbol.asyncDispose]()]);
  });
  return [memory, onRedis('redis', () => redis, false), onRedis('redis-cluster', () => cluster, true)];
};

/** A message frame tail as outbound.ts builds it. */
export const tail = (n: number) => `,"room":"r","msg":"m${n}","from":"u","name":"U","body":{"n":${n}},"ts":1}`;
