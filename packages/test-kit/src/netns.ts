// A test host of its own: a network namespace joined to this one by a veth pair, and a partition of it made with
// nftables DROP rules (packets silently dropped, never refused). Needs root; made and removed by the test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
let made = 0;

export interface Netns extends AsyncDisposable {
  readonly name: string;
  /** This host's address as the namespace sees it. */
  readonly hostAddress: string;
  /** The namespace's own address. */
  readonly address: string;
  /** Drop, silently and both ways, every packet between the namespace and `port` on this host (or any port). */
  partition(port?: number): Promise<void>;
  /** Drop every packet arriving in the namespace for its own `port`, and every one it sends from it. */
  isolatePort(port: number): Promise<void>;
  heal(): Promise<void>;
}

export const createNetns = async (): Promise<Netns> => {
  made++;
  const id = ((process.pid % 200) * 50 + (made % 50)) % 10_000;
  const name = `chorus-${process.pid}-${made}`;
  const [hostSide, nsSide] = [`ch${id}h`, `ch${id}n`];
  const subnet = `10.${200 + Math.floor(id / 250)}.${id % 250}`;
  const hostAddress = `${subnet}.1`;
  const address = `${subnet}.2`;
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  const nft = (command: string) => inNs('nft', command);
  const remove = async () => {
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await run('ip', ['link', 'del', hostSide]).catch(() => undefined);
  };
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
    await run('ip', ['link', 'set', nsSide, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostSide]);
    await run('ip', ['link', 'set', hostSide, 'up']);
    await inNs('ip', 'addr', 'add', `${address}/30`, 'dev', nsSide);
    await inNs('ip', 'link', 'set', nsSide, 'up');
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await nft('add table inet partition');
    await nft('add chain inet partition incoming { type filter hook input priority 0 ; }');
    await nft('add chain inet partition outgoing { type filter hook output priority 0 ; }');
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    hostAddress,
    address,
    partition: async (port) => {
      await nft(`add rule inet partition outgoing ip daddr ${hostAddress}${port ? ` tcp dport ${port}` : ''} drop`);
      await nft(`add rule inet partition incoming ip saddr ${hostAddress}${port ? ` tcp sport ${port}` : ''} drop`);
    },
    isolatePort: async (port) => {
      await nft(`add rule inet partition incoming tcp dport ${port} drop`);
      await nft(`add rule inet partition outgoing tcp sport ${port} drop`);
    },
    heal: async () => {
      await nft('flush chain inet partition incoming');
      await nft('flush chain inet partition outgoing');
    },
    [Symbol.asyncDispose]: remove,
  };
};
