// Terminal colour for the text views: only on a TTY, never with NO_COLOR (https://no-color.org).

export interface Style {
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const paint = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const COLOR: Style = { red: paint(31, 39), yellow: paint(33, 39), bold: paint(1, 22), dim: paint(2, 22) };
const PLAIN: Style = { red: (t) => t, yellow: (t) => t, bold: (t) => t, dim: (t) => t };

export function styleFor(color: boolean): Style {
  return color ? COLOR : PLAIN;
}

/** Whether a stream should get colour: a TTY, and NO_COLOR unset or empty. */
export function wantsColor(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}
