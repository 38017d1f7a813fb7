// Bytes per flow in each tier (node --expose-gc bench/flow-memory.mjs): UDP flows, TCP flows in the log tier (one SYN)
// and TCP flows with a tracker of their own (a handshake), 200,000 of each, measured after full collections: V8's heap
// and the typed arrays (a flow's numbers live outside the heap, src/flow/flow.ts FLOW_NUMBERS).
import { Demux } from '../dist/flow/demux.js';
import { DecodedPacket, IpProto } from '../dist/decode/packet.js';
const N = 200000;
function pkt(i, proto, flags, fromClient = true) {
  const p = new DecodedPacket();
  p.status = 0; p.ipVersion = 4; p.proto = proto;
  const c = 0x0a000000 + i, s = 0x0b000001;
  p.src4 = fromClient ? c : s; p.dst4 = fromClient ? s : c;
  p.srcPort = fromClient ? 40000 + (i % 20000) : 80; p.dstPort = fromClient ? 80 : 40000 + (i % 20000);
  p.tcpFlags = flags; p.seq = fromClient ? 1000 : 5000; p.ack = fromClient ? 5001 : 1001; p.window = 1000;
  p.ipBytes = 60; p.payloadLen = 0; p.payloadCaptured = 0; p.optMss = 1460; p.optWscale = 7; p.optSackPerm = 1; p.optTs = 1;
  p.udpLength = 28; p.l3 = 14; p.l4 = 34;
  return p;
}
function measure(name, feed) {
  globalThis.gc(); globalThis.gc();
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const before = used();
  const d = new Demux({ maxFlows: 10_000_000, memoryBytes: 1e12 }, () => {});
  for (let i = 0; i < N; i++) feed(d, i);
  globalThis.gc(); globalThis.gc();
  const after = used();
  console.log(`${name}: ${((after - before) / N).toFixed(0)} bytes per flow (heap and typed arrays, after GC; ${d.table.size} flows)`);
  return d;
}
const keep = [];
keep.push(measure('UDP flow', (d, i) => d.packet(pkt(i, IpProto.UDP, 0), 1 + i * 1e-6, 70)));
keep.push(measure('TCP flow, log tier (one SYN)', (d, i) => d.packet(pkt(i, IpProto.TCP, 0x02), 1 + i * 1e-6, 74)));
keep.push(measure('TCP flow, tracker tier (SYN, SYN+ACK, ACK)', (d, i) => {
  d.packet(pkt(i, IpProto.TCP, 0x02), 1 + i * 1e-6, 74);
  d.packet(pkt(i, IpProto.TCP, 0x12, false), 1 + i * 1e-6, 74);
  d.packet(pkt(i, IpProto.TCP, 0x10), 1 + i * 1e-6, 66);
}));
