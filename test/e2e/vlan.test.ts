/**
 * vlan and inner_vlan (Zeek's vlan-logging fields): each flow carries the 802.1Q / 802.1ad tags of its first packet,
 * as tshark reads them (ieee8021ad.id for a Q-in-Q outer tag, vlan.id for 802.1Q tags), on the project's tagged
 * captures.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { runCapture } from '../helpers/corpus.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

/** Per frame (1-based), tshark's tags outermost first and the frame's sockets. */
function tsharkFrames(path: string): { tags: number[]; key: string }[] {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=|', '-e', 'ieee8021ad.id', '-e', 'vlan.id',
    '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport'], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').map((line) => {
    const [ad, vlan, src, dst, ts, td, us, ud] = line.split('|');
    const tags = [...(ad ? ad.split(',') : []), ...(vlan ? vlan.split(',') : [])].map(Number);
    return { tags, key: `${src}:${ts || us} ${dst}:${td || ud}` };
  });
}

describe.skipIf(!haveTshark)('vlan and inner_vlan', () => {
  for (const name of ['demo-vlan.pcap', 'demo-qinq.pcap']) {
    it(`are the tags of each flow's first packet, as tshark reads them (${name})`, async () => {
      const path = `${FIXTURES}/${name}`;
      const frames = tsharkFrames(path);
      const { records } = await runCapture(path);
      let checked = 0;
      for (const r of records.filter((x: FlowRecord) => x.proto !== 'icmp' && x.ipVersion === 4)) {
        const a = `${r.origAddr}:${r.origPort}`, b = `${r.respAddr}:${r.respPort}`;
        const first = frames.find((f) => f.key === `${a} ${b}` || f.key === `${b} ${a}`);
        if (first === undefined) continue;
        expect([r.vlan, r.innerVlan]).toEqual([first.tags[0] ?? -1, first.tags[1] ?? -1]);
        checked++;
      }
      expect(checked).toBeGreaterThan(3);
    });
  }
});
