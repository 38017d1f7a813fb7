/** What the Ink tests of the TUI share: a snapshot feed published by hand, and App rendered with keys to type. */
import { render } from 'ink-testing-library';
import type { Snapshot, SnapshotFeed } from '../../src/pipeline-types.js';
import App from '../../src/tui/App.js';

/** A feed the test publishes to by hand. */
export class TestFeed implements SnapshotFeed {
  private listeners = new Set<() => void>();
  constructor(private snap: Snapshot) {}
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  current = () => this.snap;
  publish(s: Snapshot) {
    this.snap = s;
    for (const l of this.listeners) l();
  }
}

export const tick = () => new Promise((r) => setTimeout(r, 30));

/**
 * Renders App with `props`; `press` types keys one at a time and waits until no frame has been drawn for 100 ms (at
 * most 3 s: every key typed so far has been handled), `frame` is the last frame. Call `unmount` when done.
 */
export async function startApp(props: Parameters<typeof App>[0]) {
  const r = render(<App {...props} />);
  await tick();
  const settle = async () => {
    const until = Date.now() + 3000;
    let n = -1;
    while (n !== r.frames.length && Date.now() < until) {
      n = r.frames.length;
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await tick();
    }
    await settle();
  };
  const frame = () => r.lastFrame() ?? '';
  return { ...r, press, frame };
}
