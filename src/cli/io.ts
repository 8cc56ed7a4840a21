/** What a `vfslock` command reads and writes through (tests pass their own), and whether its output is coloured. */

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Standard output is a terminal (colour by default). */
  isTTY: boolean;
  /** Standard error is a terminal: long runs show progress there (src/cli/progress.ts). */
  errIsTTY?: boolean;
  /** The environment (NO_COLOR); process.env when absent. */
  env?: Record<string, string | undefined>;
  /** Reads all of standard input, at most `limit` bytes (more is an error); process.stdin when absent. */
  readStdin?: (limit: number) => Promise<Buffer>;
}

/**
 * Colour on the terminal: --no-color, then --color, then NO_COLOR (https://no-color.org: set to anything but the
 * empty string), then whether standard output is a terminal.
 */
export function useColor(values: { color?: boolean; 'no-color'?: boolean }, io: Io): boolean {
  if (values['no-color']) return false;
  if (values.color) return true;
  const env = io.env ?? process.env;
  if (env.NO_COLOR) return false;
  // Emacs's M-x compile runs commands in a pseudo-terminal (INSIDE_EMACS="<version>,compile") whose buffer shows
  // escape sequences as text unless the user turned on ansi-color there: they would hide the ERROR/note keywords its
  // error regexps look for.
  if ((env.INSIDE_EMACS ?? '').split(',').includes('compile')) return false;
  return io.isTTY;
}
