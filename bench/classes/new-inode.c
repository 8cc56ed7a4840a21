/* class: new-inode; expect: clean; kernel: 6.1 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/posix_acl_xattr.h>

static void demo_init_security(struct inode *inode, struct dentry *dentry)
{
	/* The inode is not reachable by name yet: nobody can hold a delegation on it. */
	__vfs_setxattr(&nop_mnt_idmap, dentry, inode, "security.demo", "x", 1, 0);
}

struct inode *demo_new_inode(struct super_block *sb, struct dentry *dentry, umode_t mode)
{
	struct inode *inode;

	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode->i_mode = mode;
	demo_init_security(inode, dentry);
	return inode;
}
