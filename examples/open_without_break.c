// SPDX-License-Identifier: MIT
/* An open path that takes write access and calls the filesystem's ->open without break_lease(): a client holding
 * a read delegation keeps caching while this opener writes. */
#include <linux/fs.h>

static int example_dentry_open(struct file *f, struct inode *inode)
{
	int error;

	if (f->f_mode & FMODE_WRITE) {
		error = get_write_access(inode);
		if (error)
			return error;
	}
	if (f->f_op->open) {
		error = f->f_op->open(inode, f);
		if (error)
			goto cleanup;
	}
	return 0;
cleanup:
	if (f->f_mode & FMODE_WRITE)
		put_write_access(inode);
	return error;
}
