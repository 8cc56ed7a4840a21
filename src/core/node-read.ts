/**
 * Reading input files safely under Node (the CLI, its workers, the desktop extension's worker; not the browser
 * build). Every file the tools read from a path goes through here: only regular files are opened (a device such as
 * /dev/zero never ends, a FIFO blocks until someone writes to it, a socket cannot be read), the size is checked
 * before reading, and the read itself stops one byte past the limit whatever the file reports (files in /proc report
 * a size of 0, a file may grow after the check).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export type ReadOutcome =
  | { bytes: Buffer }
  /** `kind`: why there is nothing to read (the caller may word a size error its own way). */
  | { error: string; kind: 'missing' | 'not-regular' | 'too-large' | 'unreadable'; size?: number };

/** What a non-regular file is, in words, or null for a regular file (from `stat`, or a directory entry's type). */
export function fileKind(
  st: Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>,
): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function notRegular(kind: string): ReadOutcome {
  return { error: `not a regular file (${kind}): not read`, kind: 'not-regular' };
}

function tooLarge(size: number, maxBytes: number): ReadOutcome {
  return {
    error: `file is too large (${amount(size)}; the limit is ${amount(maxBytes)}): not read`,
    kind: 'too-large',
    size,
  };
}

/** A size in words: bytes, KB or MB (one decimal unless whole). */
export function amount(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [v, unit] = n < 1048576 ? [n / 1024, 'KB'] : [n / 1048576, 'MB'];
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

function failure(e: unknown): ReadOutcome {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { error: 'no such file or directory', kind: 'missing' };
  if (code === 'ELOOP') return { error: 'symbolic link loop', kind: 'unreadable' };
  if (code === 'EACCES' || code === 'EPERM') return { error: 'permission denied', kind: 'unreadable' };
  if (code === 'EISDIR') return notRegular('a directory');
  if (code === 'ENXIO') return notRegular('a socket or a device without a driver');
  return { error: `cannot read (${code ?? (e as Error).message})`, kind: 'unreadable' };
}

// O_NONBLOCK: should the file be swapped for a FIFO between the stat and the open, the open does not wait for a
// writer (the fstat then refuses it). Not defined on Windows, which has no FIFOs on paths.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** The bytes of the regular file at `path` (symbolic links followed), if it has at most `maxBytes`. */
export function readRegularFile(path: string, maxBytes: number): ReadOutcome {
  // stat first: opening a device can have effects of its own (a tape rewinds, a watchdog starts).
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    return failure(e);
  }
  const kind = fileKind(st);
  if (kind) return notRegular(kind);
  if (st.size > maxBytes) return tooLarge(st.size, maxBytes);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    return failure(e);
  }
  try {
    const now = fstatSync(fd);
    const k = fileKind(now);
    if (k) return notRegular(k);
    if (now.size > maxBytes) return tooLarge(now.size, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    // One byte past the limit tells a file that grew from one that fits. The first read asks for one byte more than
    // the size: a file that gives all its bytes and not that one is at its end, so a file that did not grow is read
    // with one call and one buffer (a short read before the size goes on reading).
    for (let first = true; ; first = false) {
      const want = Math.min(first ? now.size + 1 : 65536, maxBytes + 1 - total);
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      if (n < want && total >= now.size) break;
    }
    if (total > maxBytes) return tooLarge(total, maxBytes);
    return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total) };
  } catch (e) {
    return failure(e);
  } finally {
    closeSync(fd);
  }
}

/** `readRegularFile`, without blocking the event loop (for hosts reading many files while serving requests). */
export async function readRegularFileAsync(path: string, maxBytes: number): Promise<ReadOutcome> {
  try {
    const first = await stat(path);
    const kind = fileKind(first);
    if (kind) return notRegular(kind);
    if (first.size > maxBytes) return tooLarge(first.size, maxBytes);
  } catch (e) {
    return failure(e);
  }
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    return failure(e);
  }
  try {
    const st = await fh.stat();
    const kind = fileKind(st);
    if (kind) return notRegular(kind);
    if (st.size > maxBytes) return tooLarge(st.size, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(st.size - total, 65536), maxBytes + 1 - total);
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes) return tooLarge(total, maxBytes);
    return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total) };
  } catch (e) {
    return failure(e);
  } finally {
    await fh.close();
  }
}

/** The UTF-8 text of a regular file of at most `maxBytes` (a leading byte-order mark removed), or why not. */
export function readRegularText(path: string, maxBytes: number): { text: string } | { error: string; kind: string } {
  const r = readRegularFile(path, maxBytes);
  if ('error' in r) return r;
  return { text: new TextDecoder('utf-8').decode(r.bytes) };
}
