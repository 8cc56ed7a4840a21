// SPDX-License-Identifier: MIT
/* Passes a delegated_inode down but never waits: the user gets EWOULDBLOCK and an inode reference leaks. */
#include <linux/fs.h>

int example_chown(struct path *path, struct iattr *attr)
{
	struct inode *inode = path->dentry->d_inode;
	struct inode *delegated_inode = NULL;
	int error;

	inode_lock(inode);
	error = notify_change(&nop_mnt_idmap, path->dentry, attr, &delegated_inode);
	inode_unlock(inode);
	return error;
}
