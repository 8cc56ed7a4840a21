/** Node's file system as a `TreeReader` (the CLI and the desktop extension's worker; not the browser build). */
import { statSync } from 'node:fs';
import type { TreeReader } from './era';
import { readRegularText } from '../node-read';

/** A Makefile (or other tree file read for the version) larger than this is not read: the kernel's is about 70 KB. */
const MAX_TREE_FILE_BYTES = 1024 * 1024;

function statOr(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

export const nodeTreeReader: TreeReader = {
  isDir: (p) => statOr(p)?.isDirectory() ?? false,
  isFile: (p) => statOr(p)?.isFile() ?? false,
  read: (p) => {
    const r = readRegularText(p, MAX_TREE_FILE_BYTES);
    return 'text' in r ? r.text : null;
  },
};
