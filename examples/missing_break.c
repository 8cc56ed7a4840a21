// SPDX-License-Identifier: MIT
/* Changes attributes under the inode lock, but nobody recalls an NFS client's delegation first. */
#include <linux/fs.h>

int example_set_mode(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}
