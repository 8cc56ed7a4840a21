/* class: unchecked-caller-lock; expect: flagged; kernel: 3.13 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

static int demo_rename_other(struct inode *old_dir, struct dentry *old_dentry,
			     struct inode *new_dir, struct dentry *new_dentry,
			     struct inode **delegated_inode)
{
	struct inode *source = old_dentry->d_inode;
	int error;

	/* bug: no lock_two_nondirectories(source, target) before the break */
	error = try_break_deleg(source, delegated_inode);
	if (error)
		return error;
	return old_dir->i_op->rename(old_dir, old_dentry, new_dir, new_dentry);
}

int demo_rename(struct inode *old_dir, struct dentry *old_dentry,
		struct inode *new_dir, struct dentry *new_dentry,
		struct inode **delegated_inode)
{
	if (d_is_dir(old_dentry))
		return -EISDIR;
	return demo_rename_other(old_dir, old_dentry, new_dir, new_dentry, delegated_inode);
}
