// Text from a traced program (its argv, file names, comm, the calls a log prints, a symbol of its
// binary) is shown, never obeyed: every control character a terminal could act on is written as a
// visible escape. ESC starts sequences that set the window title or, with OSC 52, the clipboard;
// U+009B is CSI by itself. Views call this on the data they print; forkscope's own colour escapes
// are added around the result. JSON output needs none of this (JSON escapes its strings).

/**
 * C0 controls (tab and carriage return too: they move the cursor, and the TUI measures widths
 * without them), DEL, C1 controls, and UTF-16 surrogates that are not half of a pair. Newline is
 * added by the caller when the text is meant to hold one line.
 */
const UNSAFE_KEEPING_NEWLINES = /[\x00-\x09\x0b-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE = /[\x00-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `text` with every terminal control written as an escape (`\x1b`, `\x07`, `\u009b`, `\t`, a lone
 * surrogate as `\ud800`); printable text, including non-ASCII letters and emoji, is unchanged.
 * `newlines: true` keeps line breaks, for a message of several lines; by default a newline is
 * escaped too, so a file name or an argument cannot start a line that looks like forkscope's own.
 */
export function terminalText(text: string, { newlines = false }: { newlines?: boolean } = {}): string {
  return text.replace(newlines ? UNSAFE_KEEPING_NEWLINES : UNSAFE, visible);
}
