// SPDX-License-Identifier: MIT
/* Waits for the delegation to be returned while still holding the parent directory's lock. */
#include <linux/fs.h>

int example_rmfile(struct path *parent, struct dentry *dentry)
{
	struct inode *delegated_inode = NULL;
	struct inode *dir = parent->dentry->d_inode;
	int error;

retry:
	inode_lock_nested(dir, I_MUTEX_PARENT);
	error = vfs_unlink(&nop_mnt_idmap, dir, dentry, &delegated_inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error) {
			inode_unlock(dir);
			goto retry;
		}
	}
	inode_unlock(dir);
	return error;
}
