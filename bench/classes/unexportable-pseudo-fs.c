/* class: unexportable-pseudo-fs; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/security.h>

static struct dentry *demo_file;

static int demo_lock_down(void)
{
	struct iattr newattrs = { .ia_valid = ATTR_MODE, .ia_mode = S_IFREG | 0440 };
	struct inode *inode = d_inode(demo_file);
	int err;

	inode_lock(inode);
	err = simple_setattr(&nop_mnt_idmap, demo_file, &newattrs);
	inode_unlock(inode);
	return err;
}

static const struct file_operations demo_fops;

static int __init demo_init(void)
{
	demo_file = securityfs_create_file("demo", 0660, NULL, NULL, &demo_fops);
	return PTR_ERR_OR_ZERO(demo_file);
}
