/**
 * Replay over a quiet stretch, as a person sees it in a real terminal (tmux): the header says how long the replay
 * waits for its next packet, `>` skips the gap at once, and `watch --max-gap` skips it by itself. The capture has
 * three one-packet flows at t, t+1 s and t+3 years. Every wait is bounded.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gapPcap } from '../helpers/hostile.js';
import { haveTmux, TmuxServer } from '../helpers/tmux.js';

const server = new TmuxServer('gap');
const start = (cmd: string): string => server.start(cmd, 120, 30);
const waitFor = (s: string, test: (x: string) => boolean): Promise<string> => server.waitFor(s, test, undefined, 15_000);

afterEach(() => server.killSessions());
afterAll(() => server.close());

describe.skipIf(!haveTmux())('watch over a three-year gap', () => {
  const pcap = gapPcap(3 * 365 * 86400);

  it('says how long it waits for the next packet, and > skips the gap', async () => {
    const s = start(`node bin/sockscope watch --exit-at-end ${pcap}`);
    const waiting = await waitFor(s, (x) => /next packet in \S+ \(> skips\)/.test(x));
    expect(waiting).toMatch(/next packet in (\d+y|\d+d)/);
    server.run('send-keys', '-t', s, '>');
    const done = await waitFor(s, (x) => x.includes('DONE='));
    expect(done).toContain('DONE=0');
  }, 30_000);

  it('skips it by itself with --max-gap', async () => {
    const s = start(`node bin/sockscope watch --exit-at-end --max-gap 5 ${pcap}`);
    const done = await waitFor(s, (x) => x.includes('DONE='));
    expect(done).toContain('DONE=0');
  }, 30_000);
});
