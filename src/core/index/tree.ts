/**
 * Kernel trees on disk (Node only): finding the tree a file belongs to, the directories a tree's index covers by
 * default, and `#include` resolution relative to the tree (`<linux/x.h>` → TREE/include/linux/x.h, `"x.h"` → the
 * including file's directory).
 */
import { existsSync, statSync } from 'node:fs';
import { readRegularText } from '../node-read';
import { MAX_FILE_BYTES } from '../engine';
import { dirname, join, resolve } from 'node:path';

/** Directories of a kernel tree whose functions call into the VFS (what a whole-tree check covers by default). */
export const KERNEL_SCOPE = ['fs', 'security', 'kernel', 'mm'];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Whether `dir` is the top of a kernel tree: a `Makefile`, `fs/` and `include/`. */
export function isKernelTree(dir: string): boolean {
  return isFile(join(dir, 'Makefile')) && isDir(join(dir, 'fs')) && isDir(join(dir, 'include'));
}

/** The kernel tree `path` (a file or directory) is in, or null. */
export function findKernelTree(path: string): string | null {
  let dir = resolve(path);
  if (!isDir(dir)) dir = dirname(dir);
  for (;;) {
    if (isKernelTree(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The default scope of a tree's index: its KERNEL_SCOPE directories that exist. */
export function treeScope(root: string): string[] {
  return KERNEL_SCOPE.map((d) => join(root, d)).filter(isDir);
}

export interface IncludeSpec {
  path: string;
  system: boolean;
}

/**
 * The `#include` directives of a C text (preprocessor lines only: a `#`, optional blanks, `include`, then `<...>`
 * or `"..."`). Directives inside `#if` blocks count too: the index takes every configuration's helpers.
 */
export function includeSpecs(text: string): IncludeSpec[] {
  const out: IncludeSpec[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let i = pos;
    while (i < nl && (text[i] === ' ' || text[i] === '\t')) i++;
    if (text[i] === '#') {
      i++;
      while (i < nl && (text[i] === ' ' || text[i] === '\t')) i++;
      if (text.startsWith('include', i)) {
        i += 7;
        while (i < nl && (text[i] === ' ' || text[i] === '\t')) i++;
        const open = text[i];
        const close = open === '<' ? '>' : open === '"' ? '"' : null;
        if (close) {
          const end = text.indexOf(close, i + 1);
          if (end > i + 1 && end < nl) out.push({ path: text.slice(i + 1, end), system: open === '<' });
        }
      }
    }
    pos = nl + 1;
  }
  return out;
}

/** Resolves include directives of `file` against the tree: existing header paths only. */
export class IncludeResolver {
  private readonly exists = new Map<string, boolean>();

  constructor(readonly root: string | null) {}

  private has(p: string): boolean {
    let v = this.exists.get(p);
    if (v === undefined) {
      v = existsSync(p);
      this.exists.set(p, v);
    }
    return v;
  }

  resolve(file: string, spec: IncludeSpec): string | null {
    const candidates: string[] = [];
    if (!spec.system) candidates.push(join(dirname(file), spec.path));
    if (this.root)
      candidates.push(join(this.root, 'include', spec.path), join(this.root, 'include', 'uapi', spec.path));
    for (const c of candidates) if (this.has(c)) return c;
    return null;
  }

  /** The resolved headers `file` (whose text is `text`) includes. */
  includesOf(file: string, text: string): string[] {
    const out: string[] = [];
    for (const spec of includeSpecs(text)) {
      const r = this.resolve(file, spec);
      if (r && r !== file && !out.includes(r)) out.push(r);
    }
    return out;
  }
}

/** Reads a regular file of at most MAX_FILE_BYTES as text, or null (a header that is a device or FIFO is not read). */
export function readText(file: string): string | null {
  const r = readRegularText(file, MAX_FILE_BYTES);
  return 'text' in r ? r.text : null;
}
