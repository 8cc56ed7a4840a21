// SPDX-License-Identifier: MIT
/* The -EPERM path returns with the inode still locked. */
#include <linux/fs.h>

int example_setflags(struct inode *inode, unsigned int flags, struct delegated_inode *di)
{
	int error;

	inode_lock(inode);
	if (IS_IMMUTABLE(inode))
		return -EPERM;
	error = try_break_deleg(inode, di);
	if (!error)
		inode->i_flags = flags;
	inode_unlock(inode);
	return error;
}
