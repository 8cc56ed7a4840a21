/* class: write-open-context; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/xattr.h>

/* The caller opened the file for write (f_mode & FMODE_WRITE): no delegation can exist. */
static void demo_store_tag(struct file *file, const void *tag, size_t len)
{
	struct dentry *dentry = file_dentry(file);
	struct inode *inode = file_inode(file);

	inode_lock(inode);
	__vfs_setxattr_noperm(&nop_mnt_idmap, dentry, "security.demo", tag, len, 0);
	inode_unlock(inode);
}

void demo_release(struct file *file, const void *tag, size_t len)
{
	struct inode *inode = file_inode(file);

	if (!(file->f_mode & FMODE_WRITE))
		return;
	if (atomic_read(&inode->i_writecount) == 1)
		demo_store_tag(file, tag, len);
}
