/**
 * Screen-safe text. Anything that came off the wire (names, payload hints, interface descriptions) may carry bytes
 * that a terminal interprets: ESC starts a control sequence that can move the cursor, retitle the window or rewrite
 * the screen; BEL rings; bidirectional overrides reorder what is shown. Every such string passes through
 * {@link sanitize} before it reaches Ink.
 */

/**
 * ECMA-48 control sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, DCS/SOS/PM/APC strings up to ST, and
 * two-byte `ESC x` escapes), removed whole so their parameters do not leak onto the screen as text.
 */
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[\u0090\u0098\u009d-\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -~]?/g;

/**
 * Single characters a terminal does not print as themselves: C0 controls (U+0000-U+001F, tab and newline included,
 * since a table cell must stay on one line), DEL (U+007F), C1 controls (U+0080-U+009F), the bidirectional
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks (U+200E, U+200F, U+061C), zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF), and the line/paragraph separators (U+2028, U+2029).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Whether `text` has anything {@link sanitize} would change (lets callers skip the copy on the common path). */
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/**
 * `text` with escape sequences and control characters removed, safe to print on a terminal. Printable text, including
 * non-ASCII letters, is kept as it is. Returns `text` itself when there was nothing to remove.
 */
export function sanitize(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHAR, '');
}

/**
 * `text` with every line passed through {@link sanitize}, the line ends kept: for messages on stderr (errors,
 * summaries, stack traces) that carry names from outside, file names, interface names, anything read from a capture.
 * A name holding a newline cannot forge a line of its own, nor a control sequence retitle the terminal.
 */
export function sanitizeLines(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.split('\n').map(sanitize).join('\n');
}
