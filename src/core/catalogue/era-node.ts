/** Node's file system as a `TreeReader` (the CLI and the desktop extension's worker; not the browser build). */
import { readFileSync, statSync } from 'node:fs';
import type { TreeReader } from './era';

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
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  },
};
