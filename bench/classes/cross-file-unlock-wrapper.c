/* class: cross-file-unlock-wrapper; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include "demo.h"	/* DEMO_I(); demo_inode_unlock() is defined in demo/inode.c: inode_unlock(&di->vfs_inode) */

int demo_destroy(struct file *file, struct inode *dir, const char *name)
{
	struct dentry *dentry;
	int ret;

	ret = mnt_want_write_file(file);
	if (ret)
		return ret;
	ret = down_write_killable_nested(&dir->i_rwsem, I_MUTEX_PARENT);
	if (ret == -EINTR)
		goto out;
	dentry = demo_lookup(dir, name);
	if (d_really_is_negative(dentry)) {
		ret = -ENOENT;
		goto out_dput;
	}
	ret = demo_remove(dir, dentry);
out_dput:
	dput(dentry);
	demo_inode_unlock(DEMO_I(dir), 0);
out:
	mnt_drop_write_file(file);
	return ret;
}
