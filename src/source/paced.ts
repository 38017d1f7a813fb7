/**
 * Replay pacing as a source: a file's packets delivered on the capture clock, at a speed, paused, stepped, with idle
 * gaps skipped. The pipeline reads a {@link PacedSource} as it reads any source; all it learns of the pacing is the
 * capture time passing while the replay waits (`onIdle`), so that flows time out when they would have live and the
 * screen shows the time passing.
 */
import { captureSec, Frame, type FrameHandler, type PacketSource, type SourceStats } from './types.js';

/** Pacing of a file replay on the capture clock. The TUI drives it; the PacedSource reads it between packets. */
export class ReplayControl {
  /** 0 = as fast as possible, 1 = real time, 4 = four times real time. */
  speed: number;
  paused = false;
  /**
   * Idle gaps in the capture longer than this (seconds of capture time) are skipped: the replay goes on at the next
   * packet at once, with the capture clock (and so the flows' timeouts) moved on to it. @default Infinity
   */
  maxGapSec = Number.POSITIVE_INFINITY;
  /** Capture time of the packet the replay waits for (its time is not due yet), NaN while none waits. */
  nextPacketSec = Number.NaN;
  private steps = 0;
  private skips = 0;
  private readonly listeners = new Set<() => void>();

  constructor(speed = 1) {
    this.speed = speed;
  }
  setSpeed(speed: number): void {
    this.speed = Math.max(0, speed);
    this.changed();
  }
  pause(): void {
    this.paused = true;
    this.changed();
  }
  resume(): void {
    this.paused = false;
    this.changed();
  }
  togglePause(): void {
    this.paused = !this.paused;
    this.changed();
  }
  /** While paused: let one more packet through. */
  step(): void {
    this.steps++;
    this.changed();
  }
  /** Skips the gap before the next packet: it is replayed at once, as if it were due. */
  skipGap(): void {
    this.skips++;
    this.changed();
  }
  /** @internal Consumes one pending skip; true when there was one. */
  takeSkip(): boolean {
    if (this.skips === 0) return false;
    this.skips--;
    return true;
  }
  /** @internal Consumes one pending step; true when there was one. */
  takeStep(): boolean {
    if (this.steps === 0) return false;
    this.steps--;
    return true;
  }
  /** @internal Calls `fn` on every change until the returned function is called. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

/**
 * Where a replay stands on the capture clock, shared by the PacedSources of one run: a replay of several files goes
 * on from one to the next on one clock (a later file waits for its time; an earlier one is due at once).
 */
export class PaceClock {
  /** Wall time (ms) that corresponds to capture time `anchorSec` (-1 before the first packet). */
  anchorWallMs = 0;
  anchorSec = -1;
  /** The capture time the replay has reached: the last packet delivered, or the last idle time reported. */
  reachedSec = 0;
}

export interface PacingOptions {
  /** Wall clock in milliseconds. */
  clock: () => number;
  /** The run's capture clock, shared by its sources. */
  pace: PaceClock;
  /** Ends a wait at once (the run was aborted). */
  signal?: AbortSignal | undefined;
  /**
   * The capture clock reached `sec` while the replay waits for its next packet (never that packet's time or later):
   * called at most every 100 ms of wall time while waiting, and once when a gap is skipped.
   */
  onIdle: (sec: number) => void;
}

/**
 * A file source replayed on the capture clock (see ReplayControl). A packet not yet due is held back (a copy: the
 * inner source only lends its bytes for the callback) and delivered by the next `pump`, once due.
 */
export class PacedSource implements PacketSource {
  readonly name: string;
  readonly live: boolean;
  private readonly inner: PacketSource;
  private readonly control: ReplayControl;
  private readonly opts: PacingOptions;
  private readonly pace: PaceClock;
  private readonly held = new Frame();
  private heldBytes = new Uint8Array(0);
  private hasHeld = false;
  private heldSec = 0;
  private innerMore = true;

  constructor(inner: PacketSource, control: ReplayControl, opts: PacingOptions) {
    this.inner = inner;
    this.name = inner.name;
    this.live = inner.live;
    this.control = control;
    this.opts = opts;
    this.pace = opts.pace;
  }

  async pump(onFrame: FrameHandler): Promise<boolean> {
    if (this.hasHeld) {
      this.control.nextPacketSec = this.heldSec;
      await this.waitForHeld();
      this.control.nextPacketSec = Number.NaN;
      if (this.opts.signal?.aborted) return false;
      this.hasHeld = false;
      this.reach(this.heldSec);
      onFrame(this.held); // a replay has no packet limit (that is live capture's -c): its answer does not stop it
      if (!this.innerMore) return false;
    }
    this.innerMore = await this.inner.pump((frame) => {
      const ts = captureSec(frame);
      if (!this.dueNow(ts)) {
        this.hold(frame, ts);
        return false; // the next pump waits for it
      }
      this.reach(ts);
      return onFrame(frame);
    });
    return this.innerMore || this.hasHeld;
  }

  stats(): SourceStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private reach(sec: number): void {
    if (sec > this.pace.reachedSec) this.pace.reachedSec = sec;
  }

  /** Wall time (ms) at which capture time `sec` is due at the replay's speed, from the last anchor. */
  private dueMs(sec: number): number {
    return this.pace.anchorWallMs + ((sec - this.pace.anchorSec) * 1000) / this.control.speed;
  }

  /**
   * Whether a frame stamped `sec` may be delivered now: not while paused (one frame per step), at once as fast as
   * possible, else when its capture time is due. The first frame anchors the capture clock to now.
   */
  private dueNow(sec: number): boolean {
    const c = this.control;
    if (c.paused) return false;
    if (c.speed <= 0) return true;
    if (this.pace.anchorSec < 0) {
      this.pace.anchorSec = sec;
      this.pace.anchorWallMs = this.opts.clock();
      return true;
    }
    return this.dueMs(sec) <= this.opts.clock() + 1;
  }

  /** Keeps a copy of `frame`, due at `ts`. */
  private hold(frame: Frame, ts: number): void {
    const n = frame.caplen;
    if (this.heldBytes.length < n) this.heldBytes = new Uint8Array(Math.max(n, 2 * this.heldBytes.length, 2048));
    this.heldBytes.set(frame.bytes.subarray(frame.offset, frame.offset + n));
    this.held.copyOf(frame, this.heldBytes);
    this.hasHeld = true;
    this.heldSec = ts;
  }

  /**
   * Waits until the held frame may be delivered: a step or a resume while paused, or its due time, or a skipped gap.
   * Meanwhile the capture clock runs on at the replay's speed (onIdle).
   */
  private async waitForHeld(): Promise<void> {
    const { clock, signal } = this.opts;
    const c = this.control;
    for (;;) {
      if (signal?.aborted) return;
      let waitMs = 100;
      if (c.paused) {
        if (c.takeStep()) return;
      } else {
        if (c.speed <= 0) return;
        const now = clock();
        waitMs = this.dueMs(this.heldSec) - now;
        if (waitMs <= 1) return;
        const at = this.pace.anchorSec + ((now - this.pace.anchorWallMs) * c.speed) / 1000;
        if (c.takeSkip() || this.heldSec - at > c.maxGapSec) {
          // A gap skipped: the capture clock moves to the next packet (flows idle over the gap time out), and pacing
          // goes on from there.
          this.idle(this.heldSec);
          this.pace.anchorSec = this.heldSec;
          this.pace.anchorWallMs = now;
          return;
        }
        this.idle(at);
      }
      const speedBefore = c.speed;
      const pausedBefore = c.paused;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, Math.min(100, waitMs)));
        const off = c.onChange(done);
        const onAbort = (): void => done();
        signal?.addEventListener('abort', onAbort, { once: true });
        function done(): void {
          clearTimeout(t);
          off();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
      if (c.speed !== speedBefore || c.paused !== pausedBefore) {
        // Re-anchor the capture clock to now so a speed change or resume does not jump.
        this.pace.anchorSec = this.pace.reachedSec;
        this.pace.anchorWallMs = clock();
      }
    }
  }

  /** Reports capture time `sec` (never the held frame's time or past it, never back). */
  private idle(sec: number): void {
    const to = Math.min(sec, this.heldSec);
    if (!(to > this.pace.reachedSec)) return;
    this.pace.reachedSec = to;
    this.opts.onIdle(to);
  }
}
