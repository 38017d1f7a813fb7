import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

/** Terminal size in cells. */
export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/**
 * The output terminal's size, updated on every `resize` event. Falls back to 80x24 when the stream does not know
 * (e.g. a test stream).
 */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState<TerminalSize>(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}
