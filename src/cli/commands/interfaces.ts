/** `sockscope interfaces`: the devices `capture -i` accepts, with their addresses (libpcap's pcap_findalldevs). */
import type {Command} from 'commander';
import {type CapAddress, type CapDevice, LiveCaptureError, listDevices} from '../../source/live.js';
import type {Env} from '../env.js';
import {Exit, UsageError} from '../errors.js';
import {sanitize} from '../../tui/sanitize.js';

/** Effects `interfaces` uses, injectable for tests. */
export interface InterfacesDeps {
  listDevices: () => Promise<CapDevice[]>;
}

export function register(
  program: Command,
  env: Env,
  setExit: (code: number) => void,
  deps: InterfacesDeps = {listDevices: () => listDevices()},
): void {
  program
    .command('interfaces')
    .summary('list the interfaces capture can use, with their addresses')
    .description(
      'Lists the capture devices libpcap knows (through the optional cap package), one per line: ' +
        'name, addresses with prefix lengths, "loopback" for loopback devices, and the description if any.',
    )
    .option('--json', 'one JSON array: [{name, description?, addresses: [{addr, netmask?, prefix?, ...}], loopback}]')
    .action(async (o: {json?: boolean}) => {
      let devices: CapDevice[];
      try {
        devices = await deps.listDevices();
      } catch (e) {
        if (e instanceof LiveCaptureError) throw new UsageError(e.message);
        throw e;
      }
      if (o.json === true) {
        env.stdout.write(`${JSON.stringify(devices.map(jsonDevice), null, 2)}\n`);
      } else {
        for (const line of formatDevices(devices)) env.stdout.write(`${sanitize(line)}\n`);
      }
      setExit(Exit.OK);
    });
}

/** `fd00::2/64` from an address and its netmask; the bare address when the mask is missing or not contiguous. */
export function addressWithPrefix(a: CapAddress): string {
  const prefix = a.netmask === undefined ? undefined : prefixLength(a.netmask);
  return prefix === undefined ? a.addr : `${a.addr}/${prefix}`;
}

/** Prefix length of a dotted-quad or IPv6 netmask (`255.255.255.0` → 24, `ffff:ffff::` → 32); undefined if not contiguous. */
export function prefixLength(mask: string): number | undefined {
  let bits = '';
  if (mask.includes(':')) {
    const [head = '', tail = ''] = mask.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    const groups = mask.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8) return undefined;
    for (const g of groups) bits += parseInt(g, 16).toString(2).padStart(16, '0');
  } else {
    const parts = mask.split('.');
    if (parts.length !== 4) return undefined;
    for (const p of parts) bits += Number(p).toString(2).padStart(8, '0');
  }
  const ones = bits.indexOf('0') === -1 ? bits.length : bits.indexOf('0');
  return bits.slice(ones).includes('1') ? undefined : ones;
}

/** One line per device: `lo  127.0.0.1/8 ::1/128  loopback`, names padded to one column. */
export function formatDevices(devices: readonly CapDevice[]): string[] {
  const width = Math.max(0, ...devices.map(d => d.name.length));
  return devices.map(d => {
    const parts = [d.name.padEnd(width)];
    parts.push(d.addresses.length > 0 ? d.addresses.map(addressWithPrefix).join(' ') : '-');
    if (d.flags === 'PCAP_IF_LOOPBACK') parts.push('loopback');
    if (d.description !== undefined) parts.push(`(${d.description})`);
    return parts.join('  ');
  });
}

function jsonDevice(d: CapDevice): object {
  return {
    name: d.name,
    ...(d.description === undefined ? {} : {description: d.description}),
    addresses: d.addresses.map(a => {
      const prefix = a.netmask === undefined ? undefined : prefixLength(a.netmask);
      return prefix === undefined ? {...a} : {...a, prefix};
    }),
    loopback: d.flags === 'PCAP_IF_LOOPBACK',
  };
}
