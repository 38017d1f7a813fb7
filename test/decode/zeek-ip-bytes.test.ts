/**
 * Zeek cross-check: summing the decoder's `ipBytes` and packet counts per connection tuple must give Zeek's
 * orig_pkts / orig_ip_bytes / resp_pkts / resp_ip_bytes (summed over the conn.log lines of a tuple, since Zeek may
 * split one tuple into several lines). This checks `ipBytes` (IPv4 total length, IPv6 payload length + 40, no
 * Ethernet padding), Zeek's ICMP keying (type / counterpart type or code), the "ports 0" rule for other protocols,
 * and the inner addresses of tunnels.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/decode/address.js';
import { decodeFrame, Status, viewFor } from '../../src/decode/index.js';
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';
import { corpusPath, walkCapture } from '../helpers/capture-walk.js';

/** Packets and IP bytes of a tuple, both directions together: which end is the originator is the demux's call. */
interface Sums { pkts: number; ipBytes: number }

function zeekProto(proto: number): string {
  switch (proto) {
    case IpProto.TCP: return 'tcp';
    case IpProto.UDP: return 'udp';
    case IpProto.ICMP:
    case IpProto.ICMPV6: return 'icmp';
    default: return 'unknown_transport';
  }
}

/** Zeek's conn.log rows summed per (orig_h, orig_p, resp_h, resp_p, proto). */
function zeekSums(rel: string): Map<string, Sums> {
  const lines = readFileSync(corpusPath(rel), 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const col = (n: string) => fields.indexOf(n);
  const out = new Map<string, Sums>();
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split('\t');
    const k = [f[col('id.orig_h')], f[col('id.orig_p')], f[col('id.resp_h')], f[col('id.resp_p')], f[col('proto')]].join(' ');
    const s = out.get(k) ?? { pkts: 0, ipBytes: 0 };
    s.pkts += Number(f[col('orig_pkts')]) + Number(f[col('resp_pkts')]);
    s.ipBytes += Number(f[col('orig_ip_bytes')]) + Number(f[col('resp_ip_bytes')]);
    out.set(k, s);
  }
  return out;
}

const layers = Array.from({ length: 4 }, () => new DecodedPacket());

function decoderSums(rel: string, keys: Map<string, Sums>): Map<string, Sums> {
  const { bytes, packets } = walkCapture(corpusPath(rel));
  const view = viewFor(bytes);
  const out = new Map<string, Sums>();
  for (const k of keys.keys()) out.set(k, { pkts: 0, ipBytes: 0 });
  for (const pk of packets) {
    let off = pk.offset, len = pk.caplen, lt = pk.linkType;
    for (const p of layers) {
      const s = decodeFrame(p, bytes, view, off, len, lt);
      if (s === Status.OK) {
        const src = formatAddress(p, 'src'), dst = formatAddress(p, 'dst'), proto = zeekProto(p.proto);
        const sums = out.get(`${src} ${p.srcPort} ${dst} ${p.dstPort} ${proto}`) ?? out.get(`${dst} ${p.dstPort} ${src} ${p.srcPort} ${proto}`);
        if (sums) { sums.pkts++; sums.ipBytes += p.ipBytes; }
      }
      if (p.innerOffset < 0) break;
      off = p.innerOffset; len = p.end - p.innerOffset; lt = p.innerLinkType;
    }
  }
  return out;
}

/**
 * Captures whose Zeek run used -C (or has no bad checksums) and needs no reassembly, so per-packet sums must agree.
 * Left out, with the reason: tcp-bad-checksum-localhost, tcp-syn-bad-checksum and dns-corrupt-udp-checksum (Zeek
 * validated checksums and dropped packets); tunnel-gtp-outer-ip-frag (Zeek reassembles the outer fragments);
 * ldap-missing-logs-pcapng (Zeek's orig_ip_bytes there is smaller than its own orig_bytes, 990 < 2630: it skipped the
 * IP bytes of one 1880-byte segment per connection, whose ip.len tshark confirms).
 */
const CAPTURES = [
  'tcp-http-ethernet-padding.pcap', 'wikipedia.pcap', 'tcp-missing-syn.pcap', 'http-local-flip.pcap',
  'pop3-starttls-null.pcap', 'irc-starttls-sll.pcap', 'vlan-q-in-q.pcap', 'vlan-mpls-mixed.pcap', 'mpls-in-vlan.pcap',
  'pppoe.pcap', 'ppp-quic-retry.pcap', 'radiotap.pcap', 'vntag-nsec.pcap', 'pbb.pcap', 'llc-fddi-rst-repeats.pcap',
  'sctp-unknown-transport.pcap', 'tunnel-gre.pcap', 'tunnel-teredo.pcap', 'tunnel-vxlan.pcap', 'tunnel-geneve.pcap',
  'tunnel-erspan2.pcap', 'tunnel-gtp-inner-ipv6.pcap', 'tunnel-geneve-truncated.pcapng',
  'tunnel-geneve-vxlan-truncated.pcap', 'dhcp.pcap', 'ntp-misordered.pcap', 'ftp-ipv4.pcap',
  'http-concurrent-range.pcap', 'modbus-and-non-modbus-p502.pcap', 'xmpp-starttls.pcap',
  'redis-django-cloud-pcapng.pcapng', 'pcapng-multi-interface.pcapng', 'ssh-basic.pcap',
  'ssh-half-duplex-client.pcap', 'ssh-pre-banner.pcap', 'tcp-miss-end-data.pcap', 'tcp-retransmit-timeout.pcapng',
];

/**
 * Zeek finds Teredo by protocol detection on any port; the decoder (like tshark) only on UDP port 3544. These inner
 * packets that travel over 192.168.2.16:3797 <-> 83.170.1.38:32900 are therefore not seen (the echo request went
 * through the server on port 3544, its reply and the whole TCP connection did not); the corpus test checks the tshark
 * side. Values: what the decoder finds instead of Zeek's numbers.
 */
const ZEEK_ONLY: Record<string, Record<string, Sums>> = {
  'tunnel-teredo.pcap': {
    '2001:0:4137:9e50:8000:f12a:b9c8:2815 128 2001:4860:0:2001::68 129 icmp': { pkts: 1, ipBytes: 52 },
    '2001:0:4137:9e50:8000:f12a:b9c8:2815 1286 2001:4860:0:2001::68 80 tcp': { pkts: 0, ipBytes: 0 },
  },
};

describe('per-tuple packets and IP bytes match Zeek conn.log', () => {
  it.each(CAPTURES)('zeek/%s', (file) => {
    const zeek = zeekSums(`zeek/${file.replace(/\.pcap(ng)?$/, '')}.conn.log`);
    expect(zeek.size).toBeGreaterThan(0);
    const ours = decoderSums(`zeek/${file}`, zeek);
    for (const [k, sums] of Object.entries(ZEEK_ONLY[file] ?? {})) {
      expect(ours.get(k)).toEqual(sums);
      ours.delete(k);
      zeek.delete(k);
    }
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(zeek));
  });
});
