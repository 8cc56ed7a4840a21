/* class: bool-copied-condition; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

int demo_chmod(struct path *path, umode_t mode)
{
	struct inode *inode = path->dentry->d_inode;
	struct inode *delegated_inode = NULL;
	struct iattr newattrs;
	int error;
retry_deleg:
	inode_lock(inode);
	newattrs.ia_mode = mode;
	newattrs.ia_valid = ATTR_MODE | ATTR_CTIME;
	error = notify_change(mnt_idmap(path->mnt), path->dentry, &newattrs, &delegated_inode);
	inode_unlock(inode);
	{
		bool must_wait = delegated_inode;

		if (must_wait) {
			error = break_deleg_wait(&delegated_inode);
			if (!error)
				goto retry_deleg;
		}
	}
	return error;
}
