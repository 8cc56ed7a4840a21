/** Small C functions written for the tests (never kernel files), shared by the suites that need the same case. */

/**
 * A 3.13-era unlink helper changing a name under the victim's lock without breaking its delegation, with its own
 * out-parameter: the fix is a try_break_deleg() before the change, handing the inode to the caller.
 */
export const UNLINK_WITHOUT_BREAK = `int my_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;

	inode_lock(target);
	error = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	return error;
}
`;
