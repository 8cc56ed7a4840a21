// SPDX-License-Identifier: MIT
/* Breaks the delegation, but drops the lock before the change: a new delegation can be granted in between. */
#include <linux/fs.h>

int example_link(struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry,
		 struct inode **delegated_inode)
{
	struct inode *inode = old_dentry->d_inode;
	int error;

	inode_lock(inode);
	error = try_break_deleg(inode, delegated_inode);
	inode_unlock(inode);
	if (error)
		return error;
	inode_lock(inode);
	error = dir->i_op->link(old_dentry, dir, new_dentry);
	inode_unlock(inode);
	return error;
}
