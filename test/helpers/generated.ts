/** Generated (not kernel) C for stress tests: no imports, so the unit tests and the extension-host suite share it. */

/** One function `big` of `lines` lines: locks, unlocks, ifs, gotos and attribute changes, repeated. */
export function longFunction(lines: number): string {
  const out = [
    'int big(struct dentry *dentry, struct iattr *attr)',
    '{',
    '\tstruct inode *inode = d_inode(dentry);',
    '\tint error = 0;',
  ];
  const body = [
    '\tinode_lock(inode);',
    '\tif (attr->ia_valid & K)',
    '\t\terror = notify_change(&nop_mnt_idmap, dentry, attr, NULL);',
    '\tinode_unlock(inode);',
    '\tif (error == K) {',
    '\t\terror = do_something(dentry);',
    '\t}',
    '\txK = y + K;',
    '\tif (x) goto out;',
    '\tcall(inode);',
  ];
  for (let k = 0; out.length < lines - 3; k++) out.push(body[k % body.length].replace(/K/g, String(k)));
  out.push('out:', '\treturn error;', '}', '');
  return out.join('\n');
}
