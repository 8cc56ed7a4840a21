/** What the tests that drive real editors (Emacs, vim) share: the buggy C file they open and `vfslock` on PATH. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './lsp-client';

/** A setattr under the inode lock with no delegation break (deleg/missing-break), and its note at the lock. */
export const SET_OWNER_C = `#include <linux/fs.h>

int example_set_owner(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}
`;

/** Writes `DIR/bin/vfslock`, running the built CLI, as the documented set-ups call it; returns the bin directory. */
export function vfslockOnPath(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'vfslock'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'vfslock'), 0o755);
  return bin;
}
