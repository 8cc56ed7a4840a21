/**
 * deleg/dir-self-break (warning, Linux 6.19+): a directory that is moved (rename source or replaced target) or
 * removed (rmdir's victim) without breaking the delegation held on the directory itself. vfs_rename() breaks only
 * the parents and the non-directory source/target; vfs_rmdir() only the parent. See docs/rules/deleg-dir-self-break.md.
 *
 * The change is catalogue data: a `names` change of an inode the path knows to be a directory (rename of a
 * directory), or a `dirself` change (the `->rmdir` method's victim). Before 6.19 directories cannot be delegated and
 * such changes are not reported.
 */
import type { MutationKind } from '../catalogue/catalogue';

/** Whether a change is one of a directory itself (its `..`, link count, ctime), given what the path knows. */
export function dirSelfChange(kind: MutationKind, targetIsDir: boolean): boolean {
  return kind === 'dirself' || (kind === 'names' && targetIsDir);
}
