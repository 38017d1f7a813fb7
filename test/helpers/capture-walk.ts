/**
 * A tiny, throwaway pcap/pcapng record walker for decoder tests (reads a whole file; not the project's reader).
 * Classic pcap in both byte orders (µs and ns magic) and pcapng SHB/IDB/EPB/SPB/PB in both byte orders.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One record: the whole file is `bytes`; the packet is `bytes[offset, offset + caplen)`. */
export interface WalkedPacket {
  /** 1-based packet number. */
  number: number;
  offset: number;
  caplen: number;
  linkType: number;
}

/** Absolute path of a corpus file, from its path relative to /work/shared/corpus. */
export function corpusPath(rel: string): string {
  return fileURLToPath(new URL(`../../../shared/corpus/${rel}`, import.meta.url));
}

/** Reads a capture file and lists its packet records. Throws on a malformed file (tests want to know). */
export function walkCapture(path: string): { bytes: Uint8Array; packets: WalkedPacket[] } {
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: WalkedPacket[] = [];
  const magic = view.getUint32(0, false);
  if (magic === 0x0a0d0d0a) {
    walkPcapng(bytes, view, packets);
  } else {
    let le: boolean;
    if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = true;
    else if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = false;
    else throw new Error(`${path}: not a capture file (magic ${magic.toString(16)})`);
    const linkType = view.getUint32(20, le);
    let pos = 24;
    let n = 0;
    while (pos + 16 <= bytes.length) {
      const caplen = view.getUint32(pos + 8, le);
      if (pos + 16 + caplen > bytes.length) break; // cut short mid-record
      packets.push({ number: ++n, offset: pos + 16, caplen, linkType });
      pos += 16 + caplen;
    }
  }
  return { bytes, packets };
}

function walkPcapng(bytes: Uint8Array, view: DataView, packets: WalkedPacket[]): void {
  let le = true;
  let linkTypes: number[] = [];
  let pos = 0;
  let n = 0;
  while (pos + 12 <= bytes.length) {
    const typeLe = view.getUint32(pos, true);
    if (typeLe === 0x0a0d0d0a) {
      le = view.getUint32(pos + 8, true) === 0x1a2b3c4d;
      linkTypes = [];
    }
    const type = view.getUint32(pos, le);
    const len = view.getUint32(pos + 4, le);
    if (len < 12 || pos + len > bytes.length) break;
    if (type === 1) linkTypes.push(view.getUint16(pos + 8, le));
    else if (type === 6) {
      const caplen = view.getUint32(pos + 20, le);
      packets.push({ number: ++n, offset: pos + 28, caplen, linkType: linkTypes[view.getUint32(pos + 8, le)] ?? -1 });
    } else if (type === 3) {
      const orig = view.getUint32(pos + 8, le);
      packets.push({ number: ++n, offset: pos + 12, caplen: Math.min(orig, len - 16), linkType: linkTypes[0] ?? -1 });
    } else if (type === 2) {
      const caplen = view.getUint32(pos + 12, le);
      packets.push({ number: ++n, offset: pos + 28, caplen, linkType: linkTypes[view.getUint16(pos + 8, le)] ?? -1 });
    }
    pos += len;
  }
}
