/**
 * A small IPFIX reader for tests, written from RFC 7011 alone (not from the encoder): messages, template sets and
 * data sets, values by `PEN/ID` (PEN 0 for IANA elements). Unsigned numbers up to 8 bytes become numbers (bigint
 * above 2^53), 4- and 16-byte address elements stay bytes, variable-length ones become latin1 strings.
 */

export interface IpfixMessage {
  version: number;
  length: number;
  exportTime: number;
  sequence: number;
  domain: number;
  templateIds: number[];
  records: IpfixDataRecord[];
}

export interface IpfixDataRecord {
  templateId: number;
  /** `pen/id` -> value; e.g. `0/8` sourceIPv4Address, `29305/2` reverse packetDeltaCount. */
  values: Map<string, number | string | Uint8Array>;
}

interface Spec {
  id: number;
  length: number;
  pen: number;
}

/** Field keys whose values stay bytes (addresses). */
const BYTES = new Set(['0/8', '0/12', '0/27', '0/28']);

/** Reads consecutive messages from `bytes` (a file, or one datagram); templates persist across calls in `templates`. */
export function decodeMessages(bytes: Uint8Array, templates = new Map<number, Spec[]>()): IpfixMessage[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: IpfixMessage[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 16) throw new Error(`truncated message header at ${o}`);
    const m: IpfixMessage = {
      version: v.getUint16(o),
      length: v.getUint16(o + 2),
      exportTime: v.getUint32(o + 4),
      sequence: v.getUint32(o + 8),
      domain: v.getUint32(o + 12),
      templateIds: [],
      records: [],
    };
    if (m.version !== 10) throw new Error(`version ${m.version} at ${o}`);
    const end = o + m.length;
    if (end > bytes.length) throw new Error(`message at ${o} runs past the end`);
    let s = o + 16;
    while (s < end) {
      const setId = v.getUint16(s);
      const setLen = v.getUint16(s + 2);
      if (setLen < 4 || s + setLen > end) throw new Error(`bad set length ${setLen} at ${s}`);
      const setEnd = s + setLen;
      let p = s + 4;
      if (setId === 2) {
        while (p + 4 <= setEnd) {
          const tid = v.getUint16(p);
          const count = v.getUint16(p + 2);
          p += 4;
          const specs: Spec[] = [];
          for (let i = 0; i < count; i++) {
            const raw = v.getUint16(p);
            const length = v.getUint16(p + 2);
            p += 4;
            let pen = 0;
            if (raw & 0x8000) {
              pen = v.getUint32(p);
              p += 4;
            }
            specs.push({ id: raw & 0x7fff, length, pen });
          }
          templates.set(tid, specs);
          m.templateIds.push(tid);
        }
      } else if (setId >= 256) {
        const specs = templates.get(setId);
        if (specs === undefined) throw new Error(`data set for unknown template ${setId}`);
        while (p < setEnd) {
          const values = new Map<string, number | string | Uint8Array>();
          for (const f of specs) {
            let len = f.length;
            if (len === 0xffff) {
              len = bytes[p]!;
              p += 1;
              if (len === 255) {
                len = v.getUint16(p);
                p += 2;
              }
              values.set(`${f.pen}/${f.id}`, Buffer.from(bytes.subarray(p, p + len)).toString('latin1'));
            } else {
              const key = `${f.pen}/${f.id}`;
              if (BYTES.has(key)) values.set(key, bytes.slice(p, p + len));
              else {
                let n = 0n;
                for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(bytes[p + i]!);
                values.set(key, n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : (n as unknown as number));
              }
            }
            p += len;
            if (p > setEnd) throw new Error(`record runs past its set at ${p}`);
          }
          m.records.push({ templateId: setId, values });
        }
      }
      s = setEnd;
    }
    out.push(m);
    o = end;
  }
  return out;
}

/** Address bytes as text: dotted quad, or full (uncompressed) IPv6 groups compared after normalising. */
export function addressText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}
