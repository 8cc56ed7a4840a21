/** Collects input files (recursing into directories, guarding against symlink loops) and reads them. */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { badInput, type Analyzer, type CheckOptions, type FileResult } from '../core/engine';
import { kernelTreeVersion } from '../core/catalogue/era';
import { nodeTreeReader } from '../core/catalogue/era-node';
import { attachFixes, offerFixes } from '../core/fixes/offer';

const SOURCE_EXT = /\.(c|h)$/;

export function collectFiles(paths: string[]): { files: string[]; errors: { file: string; message: string }[] } {
  const files: string[] = [];
  const errors: { file: string; message: string }[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const visit = (p: string, explicit: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push({ file: p, message: code === 'ELOOP' ? 'symbolic link loop' : code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code})` });
      return;
    }
    if (st.isDirectory()) {
      let real: string;
      try {
        real = realpathSync(p);
      } catch {
        errors.push({ file: p, message: 'cannot resolve directory' });
        return;
      }
      if (seenDirs.has(real)) return; // a symlink back into a directory already visited
      seenDirs.add(real);
      let entries: string[];
      try {
        entries = readdirSync(p).sort();
      } catch (e) {
        errors.push({ file: p, message: `cannot list directory (${(e as NodeJS.ErrnoException).code})` });
        return;
      }
      for (const e of entries) {
        if (e === 'node_modules' || e.startsWith('.')) continue;
        const child = join(p, e);
        visit(child, false);
      }
      return;
    }
    if (!explicit && !SOURCE_EXT.test(p)) return;
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      /* reported when read */
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    files.push(p);
  };
  for (const p of paths) visit(p, true);
  return { files, errors };
}

/** Reads a source file as UTF-16 text with the same offsets the editor uses; a clear error for what is not C text. */
export function readSource(file: string): { text: string } | { error: string } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})` };
  }
  if (buf.length > 64 * 1024 * 1024) return { error: `file is too large (${(buf.length / 1048576).toFixed(1)} MB)` };
  if (buf.includes(0)) return { error: 'binary file (contains NUL bytes)' };
  let text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  // A byte-order mark becomes a space: offsets and columns stay as the editor shows them.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  const bad = badInput(text);
  if (bad) return { error: bad };
  return { text };
}

/** One file's check, in a worker or not: its result, or why there is none. */
export type Outcome = { result: FileResult } | { error: string };

/** `withFixes`: attach each finding's verified fixes (SARIF output); every fix is re-analysed on the whole file. */
/** The options with the version of the kernel tree `file` is in (its Makefile), unless a kernel was given. */
export function withTreeVersion(file: string, options: CheckOptions): CheckOptions {
  const auto = !options.kernel || options.kernel === 'auto';
  const treeVersion = auto && options.treeVersion === undefined ? kernelTreeVersion(resolvePath(file), nodeTreeReader) : options.treeVersion;
  return treeVersion ? { ...options, treeVersion } : options;
}

export function checkFile(analyzer: Analyzer, file: string, options: CheckOptions, withFixes = false): Outcome {
  const src = readSource(file);
  if ('error' in src) return src;
  try {
    const opts = withTreeVersion(file, options);
    if (!withFixes) return { result: analyzer.check(file, src.text, opts) };
    const { result, fixes } = offerFixes(analyzer, file, src.text, opts);
    attachFixes(result, fixes, src.text);
    return { result };
  } catch (e) {
    return { error: `internal error: ${(e as Error).message}` };
  }
}
