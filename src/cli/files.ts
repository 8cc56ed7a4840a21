/**
 * Collects input files (recursing into directories) and reads them. A walk does not follow symbolic links to
 * directories (as `git ls-files` lists a link, not what it points to): a link to `/` or back up the tree would walk
 * what was not asked for, or the same files twice. A link to a file is followed when the file is inside the
 * directory being walked. Paths given explicitly are taken as they are, links included.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join, resolve as resolvePath, sep } from 'node:path';
import {
  badInput,
  MAX_FILE_BYTES,
  MAX_SCAN_BYTES,
  type Analyzer,
  type CheckOptions,
  type FileResult,
} from '../core/engine';
import { kernelTreeVersion } from '../core/catalogue/era';
import { nodeTreeReader } from '../core/catalogue/era-node';
import { attachFixes, offerFixes } from '../core/fixes/offer';
import { fileKind, readRegularFile } from '../core/node-read';

const SOURCE_EXT = /\.(c|h)$/;

export function collectFiles(paths: string[]): { files: string[]; errors: { file: string; message: string }[] } {
  const files: string[] = [];
  const errors: { file: string; message: string }[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const addFile = (p: string, real: string) => {
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    files.push(p);
  };
  const statError = (p: string, e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    errors.push({
      file: p,
      message:
        code === 'ELOOP'
          ? 'symbolic link loop'
          : code === 'ENOENT'
            ? 'no such file or directory'
            : `cannot read (${code})`,
    });
  };
  /** Walks `dir` (its real path `real`), staying inside `root` (a real path). */
  const walk = (dir: string, real: string, root: string) => {
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    } catch (e) {
      errors.push({ file: dir, message: `cannot list directory (${(e as NodeJS.ErrnoException).code})` });
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const child = join(dir, e.name);
      if (e.isDirectory()) {
        walk(child, join(real, e.name), root);
        continue;
      }
      if (!SOURCE_EXT.test(e.name)) continue;
      if (e.isFile()) {
        addFile(child, join(real, e.name));
        continue;
      }
      if (!e.isSymbolicLink()) {
        // A FIFO, socket or device named like a source file: say why it is not read.
        errors.push({ file: child, message: `not a regular file (${fileKind(e)}): not read` });
        continue;
      }
      let st;
      let target: string;
      try {
        st = statSync(child);
        target = realpathSync(child);
      } catch (err) {
        statError(child, err);
        continue;
      }
      if (st.isDirectory()) continue; // a link to a directory: not followed
      const kind = fileKind(st);
      if (kind) errors.push({ file: child, message: `not a regular file (symbolic link to ${kind}): not read` });
      else if (target !== root && !target.startsWith(root + sep)) {
        errors.push({ file: child, message: `symbolic link to a file outside ${root} (${target}): not followed` });
      } else addFile(child, target);
    }
  };
  for (const p of paths) {
    let st;
    let real: string;
    try {
      st = statSync(p);
      real = realpathSync(p);
    } catch (e) {
      statError(p, e);
      continue;
    }
    if (st.isDirectory()) walk(p, real, real);
    else addFile(p, real);
  }
  return { files, errors };
}

/**
 * Reads a source file as UTF-16 text with the same offsets the editor uses; a clear error for what is not C text.
 * `scan`: a file over the analysis limit, up to MAX_SCAN_BYTES, is read too, for a one-shot check's pre-scan (the
 * analyzer refuses it unless nothing in it can matter).
 */
export function readSource(file: string, scan = false): { text: string } | { error: string } {
  const read = readRegularFile(file, scan ? MAX_SCAN_BYTES : MAX_FILE_BYTES);
  if ('error' in read) {
    if (read.kind === 'too-large' && read.size !== undefined) {
      return {
        error: `file is too large to analyse (${(read.size / 1048576).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 1048576} MB): not read`,
      };
    }
    return { error: read.error };
  }
  return decodeSource(read.bytes);
}

/**
 * Source bytes (a file's, or standard input's) as text, or why they are not C text. Text over the analysis limit is
 * left to the analyzer (see `readSource`'s `scan`), which says the same when it refuses it.
 */
export function decodeSource(buf: Uint8Array): { text: string } | { error: string } {
  if (buf.includes(0)) return { error: 'binary file (contains NUL bytes)' };
  let text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  // A byte-order mark becomes a space: offsets and columns stay as the editor shows them.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  if (text.length > MAX_FILE_BYTES) return { text };
  // The bracket-nesting limit is the analyzer's to check: it skips the pass over the text when the pre-scan finds
  // nothing to parse (most files of a tree).
  const bad = badInput(text, true);
  if (bad) return { error: bad };
  return { text };
}

/** One file's check, in a worker or not: its result, or why there is none. */
export type Outcome = { result: FileResult } | { error: string };

/** The options with the version of the kernel tree `file` is in (its Makefile), unless a kernel was given. */
export function withTreeVersion(file: string, options: CheckOptions): CheckOptions {
  const auto = !options.kernel || options.kernel === 'auto';
  const treeVersion =
    auto && options.treeVersion === undefined
      ? kernelTreeVersion(resolvePath(file), nodeTreeReader)
      : options.treeVersion;
  return treeVersion ? { ...options, treeVersion } : options;
}

/** `withFixes`: attach each finding's verified fixes (SARIF output); every fix is re-analysed on the whole file. */
export function checkFile(analyzer: Analyzer, file: string, options: CheckOptions, withFixes = false): Outcome {
  const src = readSource(file, options.prescan !== false && !withFixes);
  if ('error' in src) return src;
  return checkText(analyzer, file, src.text, options, withFixes);
}

/**
 * Checks `text` as the file `file` (which need not exist: standard input with --stdin-filename); the kernel tree
 * around `file`, if any, gives the version.
 */
export function checkText(
  analyzer: Analyzer,
  file: string,
  text: string,
  options: CheckOptions,
  withFixes = false,
): Outcome {
  const src = { text };
  try {
    const opts = withTreeVersion(file, options);
    if (!withFixes) return { result: analyzer.check(file, src.text, opts) };
    const { result, fixes } = offerFixes(analyzer, file, src.text, opts);
    attachFixes(result, fixes, src.text);
    return { result };
  } catch (e) {
    // A wasm abort outside parse() itself: the parser starts a new instance for the next file.
    const aborted = analyzer.parser.failed(e);
    return { error: aborted ? `cannot parse: ${aborted.message}` : `internal error: ${(e as Error).message}` };
  }
}
