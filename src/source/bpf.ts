/**
 * BPF filters for capture files (`flows FILE --bpf EXPR`, `watch FILE --bpf EXPR`), with exactly the meaning tcpdump
 * gives the expression: libpcap's own compiler makes the program (`tcpdump -r HEADER -ddd EXPR`, where HEADER is an
 * empty pcap file of the packets' link type), and a classic BPF interpreter here runs it over every frame before
 * anything is decoded. The interpreter follows libpcap's bpf_filter.c (pcap/bpf.h for the encoding): 32-bit unsigned
 * arithmetic, a load outside the captured bytes or a division by zero rejects the packet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, FrameHandler, PacketSource, SourceStats } from './types.js';

/** A filter expression that libpcap refused, or a program that is not valid classic BPF. */
export class BpfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BpfError';
  }
}

// pcap/bpf.h: instruction classes, sizes, modes, operations.
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const SRC_X = 0x08;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const RET_X = 0x08, RET_A = 0x10;
const TXA = 0x80;
/** Scratch memory words (BPF_MEMWORDS). */
const MEMWORDS = 16;
/** Longest program (BPF_MAXINSNS). */
const MAX_INSNS = 4096;

/** A classic BPF program, decoded once into parallel arrays. */
export class BpfProgram {
  private readonly code: Uint16Array;
  private readonly jt: Uint8Array;
  private readonly jf: Uint8Array;
  private readonly k: Uint32Array;
  private readonly mem = new Uint32Array(MEMWORDS);

  /** From `tcpdump -ddd` output: the instruction count, then one `code jt jf k` line (decimal) per instruction. */
  static parse(text: string): BpfProgram {
    const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
    const n = Number(lines[0]);
    if (!Number.isInteger(n) || n < 1 || n > MAX_INSNS || lines.length !== n + 1) {
      throw new BpfError(`not a BPF program (expected a count and that many instructions): ${JSON.stringify(text.slice(0, 80))}`);
    }
    const insns: [number, number, number, number][] = [];
    for (let i = 1; i <= n; i++) {
      const f = lines[i]!.split(/\s+/).map(Number); // i <= n < lines.length
      if (f.length !== 4 || f.some((x) => !Number.isInteger(x) || x < 0)) throw new BpfError(`bad BPF instruction ${i - 1}: ${lines[i]}`);
      insns.push([f[0]!, f[1]!, f[2]!, f[3]!]); // 4 fields
    }
    return new BpfProgram(insns);
  }

  constructor(insns: readonly (readonly [number, number, number, number])[]) {
    const n = insns.length;
    this.code = new Uint16Array(n);
    this.jt = new Uint8Array(n);
    this.jf = new Uint8Array(n);
    this.k = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const [code, jt, jf, k] = insns[i]!; // i < n
      this.code[i] = code;
      this.jt[i] = jt;
      this.jf[i] = jf;
      this.k[i] = k >>> 0;
    }
    this.validate();
  }

  /** Instructions in the program. */
  get length(): number {
    return this.code.length;
  }

  /** As libpcap's bpf_validate: jumps stay inside and go forward, memory indexes exist, the program ends in a return. */
  private validate(): void {
    const n = this.code.length;
    for (let i = 0; i < n; i++) {
      const c = this.code[i]!; // i < n
      const k = this.k[i]!;
      const where = `BPF instruction ${i}`;
      switch (c & 0x07) {
        case LD:
        case LDX:
          if ((c & 0xe0) === MEM && k >= MEMWORDS) throw new BpfError(`${where}: scratch memory index ${k} out of range`);
          break;
        case ST:
        case STX:
          if (k >= MEMWORDS) throw new BpfError(`${where}: scratch memory index ${k} out of range`);
          break;
        case ALU:
          if (((c & 0xf0) === 0x30 || (c & 0xf0) === 0x90) && (c & SRC_X) === 0 && k === 0) throw new BpfError(`${where}: division by zero`);
          break;
        case JMP:
          if ((c & 0xf0) === JA) {
            if (i + 1 + k >= n) throw new BpfError(`${where}: jump past the end`);
          } else if (i + 1 + this.jt[i]! >= n || i + 1 + this.jf[i]! >= n) {
            throw new BpfError(`${where}: jump past the end`);
          }
          break;
      }
    }
    if ((this.code[n - 1]! & 0x07) !== RET) throw new BpfError('the BPF program does not end in a return'); // n >= 1
  }

  /**
   * Runs the program over `pkt[offset, offset + caplen)` of a packet `wireLen` bytes long on the wire. Returns the
   * number of bytes to keep: 0 rejects the packet.
   */
  run(pkt: Uint8Array, offset: number, caplen: number, wireLen: number): number {
    const code = this.code;
    const jt = this.jt;
    const jf = this.jf;
    const kk = this.k;
    const mem = this.mem;
    let a = 0;
    let x = 0;
    for (let pc = 0; pc < code.length; pc++) {
      const c = code[pc]!; // pc < length
      const k = kk[pc]!;
      switch (c & 0x07) {
        case RET:
          return ((c & 0x18) === RET_A ? a : (c & 0x18) === RET_X ? x : k) >>> 0;
        case LD:
        case LDX: {
          const mode = c & 0xe0;
          let v: number;
          if (mode === IMM) v = k;
          else if (mode === LEN) v = wireLen;
          else if (mode === MEM) v = mem[k]!; // validated: k < MEMWORDS
          else if (mode === MSH) {
            if (k >= caplen) return 0;
            v = (pkt[offset + k]! & 0x0f) << 2; // k < caplen
          } else {
            // ABS or IND: a load of 1, 2 or 4 bytes at k (+ X), inside the captured bytes or the packet is rejected.
            const at = mode === IND ? k + x : k;
            const size = (c & 0x18) === W ? 4 : (c & 0x18) === H ? 2 : (c & 0x18) === B ? 1 : 0;
            if (size === 0 || (mode !== ABS && mode !== IND) || at > 0xffffffff || at + size > caplen) return 0;
            const p = offset + at;
            v = size === 4 ? ((pkt[p]! << 24) | (pkt[p + 1]! << 16) | (pkt[p + 2]! << 8) | pkt[p + 3]!) >>> 0 // p + 3 < offset + caplen
              : size === 2 ? (pkt[p]! << 8) | pkt[p + 1]!
              : pkt[p]!;
          }
          if ((c & 0x07) === LD) a = v;
          else x = v;
          break;
        }
        case ST:
          mem[k] = a;
          break;
        case STX:
          mem[k] = x;
          break;
        case ALU: {
          const op = c & 0xf0;
          if (op === 0x80) {
            a = -a >>> 0;
            break;
          }
          const v = (c & SRC_X) !== 0 ? x : k;
          switch (op) {
            case 0x00: a = (a + v) >>> 0; break;
            case 0x10: a = (a - v) >>> 0; break;
            case 0x20: a = Math.imul(a, v) >>> 0; break;
            case 0x30: if (v === 0) return 0; a = Math.floor(a / v) >>> 0; break;
            case 0x90: if (v === 0) return 0; a = (a % v) >>> 0; break;
            case 0x40: a = (a | v) >>> 0; break;
            case 0x50: a = (a & v) >>> 0; break;
            case 0xa0: a = (a ^ v) >>> 0; break;
            case 0x60: a = v < 32 ? (a << v) >>> 0 : 0; break;
            case 0x70: a = v < 32 ? a >>> v : 0; break;
            default: return 0; // not an ALU operation: libpcap rejects
          }
          break;
        }
        case JMP: {
          const op = c & 0xf0;
          if (op === JA) {
            pc += k;
            break;
          }
          const v = (c & SRC_X) !== 0 ? x : k;
          const yes = op === JEQ ? a === v : op === JGT ? a > v : op === JGE ? a >= v : op === JSET ? (a & v) !== 0 : false;
          pc += yes ? jt[pc]! : jf[pc]!;
          break;
        }
        case MISC:
          if ((c & 0xf8) === TXA) a = x;
          else x = a;
          break;
      }
    }
    return 0; // validated programs end in a return
  }
}

/**
 * libpcap's program for `expr` on packets of link type `linkType` (LINKTYPE_*), compiled by tcpdump: it reads an
 * empty pcap file whose header carries the link type, so any link type a file may hold compiles as tcpdump -r
 * would compile it for that file.
 */
export function compileBpf(expr: string, linkType: number, tcpdump = 'tcpdump'): BpfProgram {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-bpf-'));
  try {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(linkType, 20);
    const file = join(dir, 'linktype.pcap');
    writeFileSync(file, header);
    const r = spawnSync(tcpdump, ['-r', file, '-ddd', '--', expr], { encoding: 'utf8', timeout: 10_000 });
    if (r.error !== undefined) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new BpfError(code === 'ENOENT' ? '--bpf needs tcpdump, whose libpcap compiles the expression (apt-get install -y tcpdump)' : `tcpdump: ${r.error.message}`);
    }
    if (r.status !== 0) {
      const why = r.stderr.split('\n').filter((l) => l && !l.startsWith('reading from file')).join('; ').replace(/^tcpdump: /, '');
      throw new BpfError(`bad BPF expression ${JSON.stringify(expr)} for link type ${linkType}: ${why || `tcpdump exited with ${r.status}`}`);
    }
    return BpfProgram.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A source whose packets pass a BPF expression: frames the program rejects are never handed on (the decoder, the
 * flow table and the counters never see them), as if tcpdump had written only the matching packets. The program is
 * compiled once per link type met.
 */
export class BpfFilteredSource implements PacketSource {
  readonly name: string;
  readonly live: boolean;
  /** Packets the program accepted, and rejected. */
  matched = 0;
  rejected = 0;
  private readonly inner: PacketSource;
  private readonly expr: string;
  private readonly compile: (expr: string, linkType: number) => BpfProgram;
  private readonly programs = new Map<number, BpfProgram>();
  private lastType = -1;
  private last: BpfProgram | null = null;

  constructor(inner: PacketSource, expr: string, compile: (expr: string, linkType: number) => BpfProgram = compileBpf) {
    this.inner = inner;
    this.name = inner.name;
    this.live = inner.live;
    this.expr = expr;
    this.compile = compile;
  }

  pump(onFrame: FrameHandler): Promise<boolean> {
    return this.inner.pump((f: Frame) => {
      if (f.linkType !== this.lastType) {
        let p = this.programs.get(f.linkType);
        if (p === undefined) {
          p = this.compile(this.expr, f.linkType);
          this.programs.set(f.linkType, p);
        }
        this.last = p;
        this.lastType = f.linkType;
      }
      if (this.last!.run(f.bytes, f.offset, f.caplen, f.wireLen) === 0) { // set just above
        this.rejected++;
        return undefined;
      }
      this.matched++;
      return onFrame(f);
    });
  }

  stats(): SourceStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
