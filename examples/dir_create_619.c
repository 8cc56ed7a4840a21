// SPDX-License-Identifier: MIT
/* Linux 6.19+: creating an entry must break a delegation on the parent directory. This one does not. */
#include <linux/fs.h>

int example_vfs_mknod(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode,
		      dev_t dev, struct delegated_inode *delegated_inode)
{
	int error;

	WARN_ON_ONCE(!inode_is_locked(dir));
	error = security_inode_mknod(dir, dentry, mode, dev);
	if (error)
		return error;
	return dir->i_op->mknod(idmap, dir, dentry, mode, dev);
}
