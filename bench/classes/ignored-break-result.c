/* class: ignored-break-result; expect: flagged; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

int demo_setattr(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	int error;

	WARN_ON_ONCE(!inode_is_locked(inode));
	error = try_break_deleg(inode, delegated_inode);
	/* bug: -EWOULDBLOCK ignored, the change goes ahead while the delegation is still held */
	return inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
}
