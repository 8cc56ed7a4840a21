/** A small function the analysis flags (deleg/missing-break: simple_setattr() without a delegation break), for tests. */
export function buggySetattr(name = 'f'): string {
  return `int ${name}(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;
	inode_lock(inode);
	error = simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}
`;
}
