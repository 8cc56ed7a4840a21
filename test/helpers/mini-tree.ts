/**
 * A small kernel tree written by a test (a Makefile, fs/ and include/): foo_clear() holds the inode lock around
 * foo_drop(), which, in another file, removes an xattr without breaking the delegation. Only summaries across files
 * see the bug; each file on its own is clean.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DROP_C =
  'int foo_drop(struct dentry *dentry)\n{\n\treturn __vfs_removexattr(&nop_mnt_idmap, dentry, "user.foo");\n}\n';
export const CLEAR_C =
  'int foo_clear(struct inode *inode, struct dentry *dentry)\n{\n\tint err;\n\n\tinode_lock(inode);\n\terr = foo_drop(dentry);\n\tinode_unlock(inode);\n\treturn err;\n}\n';
/** The 0-based line of the call of foo_drop() in CLEAR_C. */
export const CLEAR_CALL_LINE = 5;

/** Writes the tree under `root`; returns the path of fs/foo/clear.c. */
export function writeMiniTree(root: string): string {
  mkdirSync(join(root, 'include', 'linux'), { recursive: true });
  mkdirSync(join(root, 'fs', 'foo'), { recursive: true });
  writeFileSync(join(root, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\n');
  writeFileSync(join(root, 'fs/foo/drop.c'), DROP_C);
  const clear = join(root, 'fs/foo/clear.c');
  writeFileSync(clear, CLEAR_C);
  return clear;
}
