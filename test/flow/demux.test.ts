import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/packet.js';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';
import { Demux } from '../../src/flow/demux.js';
import type { Flow } from '../../src/flow/flow.js';
import { isLikelyServerPort } from '../../src/flow/services.js';
import { flowRecord } from '../../src/flow/snapshot.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';
import { tcpPacket, udpPacket } from '../helpers/packets.js';

describe.skipIf(!HAVE_CORPUS)('Demux on the corpus', () => {
  it("keeps each TCP flow's end references in step with its tracker, through flips and pooled reuse", async () => {
    let tcpPackets = 0;
    let flipped = 0;
    let reused = 0;
    const seen = new WeakSet<Flow>();
    for (const rel of corpusCaptures()) {
      const src = await openCapture(`${CORPUS}/${rel}`);
      const p = new DecodedPacket();
      const demux: Demux = new Demux({}, (f) => {
        if (f.flips > 0) flipped++;
        demux.recycle(f); // hands the flow and its tracker back to the pools, as the pipeline does
      });
      let bad = '';
      try {
        while (await src.pump((fr) => {
          decodeFrame(p, fr.bytes, new DataView(fr.bytes.buffer, fr.bytes.byteOffset, fr.bytes.byteLength), fr.offset, fr.caplen, fr.linkType);
          const f = demux.packet(p, fr.tsSec + fr.tsNsec * 1e-9, fr.wireLen);
          if (f === null || p.proto !== IpProto.TCP || p.status !== 0) return;
          tcpPackets++;
          if (!inStep(f)) {
            bad ||= `${rel}: flow ${f.serial} out of step after a packet`;
          }
          if (f.oPkts + f.rPkts === 1 && seen.has(f)) reused++;
          seen.add(f);
        }));
      } catch {
        // Corpus files cut short end in a CaptureError: what was read is still checked.
      } finally {
        await src.close();
      }
      demux.flush();
      expect(bad).toBe('');
    }
    // The walk covered what it is about: plenty of TCP, flows whose roles flipped, and pooled flows used again.
    expect(tcpPackets).toBeGreaterThan(5_000);
    expect(flipped).toBeGreaterThan(0);
    expect(reused).toBeGreaterThan(100);
  });
});

const tcp = tcpPacket;

/**
 * A TCP flow's state is in one tier at a time: a segment log (no tracker, no end references), or a tracker of its own
 * with the flow's end references on its current ends.
 */
function inStep(f: Flow | null): boolean {
  if (f === null) return false;
  if (f.tcp === null) return f.tcpLog !== null && f.tcpOrig === null && f.tcpResp === null;
  return f.tcpLog === null && f.tcpOrig === f.tcp.orig && f.tcpResp === f.tcp.resp && f.tcpOrig!.isOrig;
}

describe('Demux TCP end references', () => {
  const C = 0x0a000001, S = 0x0a000002;
  const { SYN, ACK } = TcpFlag;

  it('follow the tracker when a SYN+ACK came first and the client then speaks (Zeek PR #2191 flip)', () => {
    const demux = new Demux({}, () => {});
    // Both ports unlikely server ports: the SYN+ACK's sender starts as originator.
    let f = demux.packet(tcp(S, 40000, C, 50000, SYN | ACK, 5000, 1001), 1, 60);
    expect(inStep(f)).toBe(true);
    expect(f!.origPort).toBe(40000);
    f = demux.packet(tcp(C, 50000, S, 40000, ACK, 1001, 5001), 1.1, 60);
    expect(f!.flips).toBe(1);
    expect(f!.origPort).toBe(50000);
    expect(inStep(f)).toBe(true);
    f = demux.packet(tcp(S, 40000, C, 50000, ACK, 5001, 1001), 1.2, 60);
    expect(f!.rPkts).toBe(2);
    expect(f!.tcp).not.toBeNull(); // the third segment moved it from the log to a tracker of its own
    expect(f!.tcp!.history()).toBe('^hAa');
  });

  it('follow the tracker on a SYN/SYN+ACK reversal and on the initial swap by server port', () => {
    const demux = new Demux({}, () => {});
    let f = demux.packet(tcp(S, 40000, C, 50000, SYN | ACK, 5000, 1001), 1, 60);
    f = demux.packet(tcp(C, 50000, S, 40000, SYN, 1000, 0), 1.1, 60);
    expect(f!.flips).toBe(1);
    expect(inStep(f)).toBe(true);
    // A first packet from port 80 that is not a bare SYN: the destination is the originator from the start.
    f = demux.packet(tcp(S, 80, C, 50001, ACK, 7000, 2000), 2, 60);
    expect(f!.origPort).toBe(50001);
    expect(f!.flips).toBe(0);
    expect(inStep(f)).toBe(true);
  });
});

const udp = (src: number, sport: number, dst: number, dport: number) => udpPacket(src, sport, dst, dport, 328);

describe('Demux orientation of a flow by its first packet, as Zeek orients it', () => {
  const SERVER = 0x80020698, CLIENT = 0x80020661; // 128.2.6.152, 128.2.6.97 (Zeek's dhcp trace)
  const BROADCAST = 0xffffffff;

  it('DHCP: 67 is a likely server port and 68 is not', () => {
    expect(isLikelyServerPort(67, IpProto.UDP)).toBe(true);
    expect(isLikelyServerPort(68, IpProto.UDP)).toBe(false);
    // DHCPv6: Zeek does not flip a server's first packet 547 -> 546 (its pppoe trace logs S0, D); both are in the set.
    expect(isLikelyServerPort(547, IpProto.UDP) && isLikelyServerPort(546, IpProto.UDP)).toBe(true);
    expect(isLikelyServerPort(123, IpProto.UDP)).toBe(true);
  });

  it("flips a flow whose first packet is a server's reply 67 -> 68 (Zeek: SHR, ^d)", () => {
    const demux = new Demux({}, () => {});
    const f = demux.packet(udp(SERVER, 67, CLIENT, 68), 1, 342)!;
    expect(f.origPort).toBe(68);
    expect(f.respPort).toBe(67);
    expect(f.rPkts).toBe(1);
    expect(f.oPkts).toBe(0);
    expect(f.directionGuessed).toBe(true);
    const r = flowRecord(f, 'eof');
    expect(r.origAddr).toBe('128.2.6.97');
    expect([r.connState, r.history]).toEqual(['SHR', '^d']);
  });

  it('never flips by port when the packet went to 255.255.255.255 (Zeek: IPBasedAnalyzer::NewConn)', () => {
    const demux = new Demux({}, () => {});
    const f = demux.packet(udp(SERVER, 67, BROADCAST, 68), 1, 342)!;
    expect(f.origPort).toBe(67);
    expect(f.oPkts).toBe(1);
    expect(f.directionGuessed).toBe(false);
    const r = flowRecord(f, 'eof');
    expect([r.origAddr, r.respAddr, r.connState, r.history]).toEqual(['128.2.6.152', '255.255.255.255', 'S0', 'D']);
    // A subnet broadcast is an ordinary address to Zeek: the reply port still flips it.
    const g = demux.packet(udp(SERVER, 67, 0x800206ff, 68), 2, 342)!;
    expect(g.origPort).toBe(68);
  });
});
