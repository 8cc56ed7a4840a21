/* class: callee-directory-guard; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/posix_acl.h>

int demo_set_default_acl(struct dentry *dentry, struct posix_acl *acl)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
	/* set_posix_acl() returns early unless inode is a directory */
	error = set_posix_acl(&nop_mnt_idmap, dentry, ACL_TYPE_DEFAULT, acl);
	inode_unlock(inode);
	return error;
}
