/**
 * The local view of one live capture, set up by `capture -i` and `watch -i`: the host's sockets (LocalSockets,
 * refreshed on its timer), the --local-nets networks, both configured as this run's local settings (attribution.ts),
 * and what stops them.
 */
import { configureLocal } from './attribution.js';
import type { LocalNets } from './local-nets.js';
import { LocalSockets } from './local-sockets.js';

export interface LiveLocal {
  readonly sockets: LocalSockets;
  /** Reads the socket tables once more now (before open flows are written at the end), synchronously. */
  refresh(): void;
  /** Stops the refresher; the records already bound keep their answers. */
  stop(): void;
}

/**
 * Starts reading this host's sockets for a live capture. `notice` gets the one line said when other users'
 * processes cannot be read. Where /proc/net cannot be read at all (not Linux), the fields stay unset.
 */
export function startLiveLocal(nets: LocalNets | null, notice: (line: string) => void): LiveLocal {
  const sockets = new LocalSockets({ onNotice: notice });
  sockets.start();
  configureLocal({ nets, sockets });
  return {
    sockets,
    refresh: () => sockets.refresh(),
    stop: () => sockets.stop(),
  };
}
