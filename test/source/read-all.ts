/**
 * Test helpers for the source tests: drain a source into plain records (copying what the borrowed frame holds),
 * format epoch strings the way capinfos prints them, and build capture bytes by hand.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Frame, PacketSource } from '../../src/source/types.js';

/** Absolute path of the shared corpus. */
export const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;

/** What a test keeps of one frame: every field, plus an FNV-1a hash of the captured bytes. */
export interface FrameRecord {
  number: number;
  fileOffset: number;
  caplen: number;
  wireLen: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  interfaceId: number;
  hash: number;
}

/** FNV-1a over `bytes[offset, offset + length)`. */
export function fnv1a(bytes: Uint8Array, offset: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = offset; i < offset + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Copies the fields of a (borrowed) frame. */
export function record(f: Frame): FrameRecord {
  return {
    number: f.number,
    fileOffset: f.fileOffset,
    caplen: f.caplen,
    wireLen: f.wireLen,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    hash: fnv1a(f.bytes, f.offset, f.caplen),
  };
}

/** Result of {@link drain}: the frames delivered, and the error that ended reading if any. */
export interface Drained {
  frames: FrameRecord[];
  error: unknown;
  pumps: number;
}

/** Pumps `src` to the end (or its error), recording every frame, then closes it. */
export async function drain(src: PacketSource): Promise<Drained> {
  const frames: FrameRecord[] = [];
  let error: unknown = null;
  let pumps = 0;
  try {
    for (;;) {
      pumps++;
      const more = await src.pump((f) => {
        frames.push(record(f));
      });
      if (!more) break;
    }
  } catch (err) {
    error = err;
  }
  await src.close();
  return { frames, error, pumps };
}

/** `sec.fraction` with `digits` fraction digits, as capinfos prints an epoch (truncating, never rounding). */
export function epochString(sec: number, nsec: number, digits: number): string {
  if (digits === 0) return String(sec);
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${sec}.${frac}`;
}

/** Every capture under the corpus (skips the oracle and expected-answer files). */
export function corpusCaptures(): string[] {
  const skip = /\.(json|txt|out|log|tsv|md)$/;
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!skip.test(name)) out.push(relative(CORPUS, p));
    }
  };
  walk(CORPUS);
  return out;
}

/** Little helper to build binary test inputs field by field. */
export class Bytes {
  private readonly parts: number[] = [];
  private readonly le: boolean;
  /** @param le write multi-byte fields little-endian */
  constructor(le: boolean) {
    this.le = le;
  }
  u8(...v: number[]): this {
    for (const b of v) this.parts.push(b & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v, v >>> 8) : this.u8(v >>> 8, v);
  }
  u32(v: number): this {
    return this.le ? this.u8(v, v >>> 8, v >>> 16, v >>> 24) : this.u8(v >>> 24, v >>> 16, v >>> 8, v);
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]! & 0xff);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
