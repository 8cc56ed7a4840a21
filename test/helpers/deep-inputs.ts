/**
 * Generated inputs that once exhausted the explorer's call stack (issue 11): a `.vfsrace` of looping threads and
 * a C function with hundreds of guarded delegation breaks. Shared by the unit tests and `npm run bench`.
 */

/**
 * `threads` actors, each three steps in a `goto` loop (open for write, close, goto) on its own file: every
 * interleaving of the loops is a state, and the depth-first search runs through all of them in one path.
 */
export function gotoLoopScenario(threads = 5): string {
  const out = ['scenario generated goto loops', 'kernel 6.12', 'inode d : dir'];
  for (let i = 0; i < threads; i++) out.push(`inode f${i} : file at d/f${i}`);
  for (let i = 0; i < threads; i++)
    out.push(`actor t${i} {`, '  top:', `  open f${i}`, `  close f${i}`, '  goto top', '}');
  return out.join('\n') + '\n';
}

/**
 * A function taking the inode lock, then `branches` times: if (flags[i]) { error = try_break_deleg(...); if
 * (error) goto out; }, then a last break and ->setattr() under the lock. Correct code (the change comes after a
 * break under the lock), so the simulation must end SAFE, or with a bound. `withoutLastBreak`: the mutant whose
 * ->setattr() may run with the delegation un-recalled (check reports deleg/missing-break).
 */
export function manyBranchesFunction(branches = 500, name = 'many_branches', withoutLastBreak = false): string {
  const lines = [
    `int ${name}(struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode, const int *flags)`,
    '{',
    '\tstruct inode *inode = d_inode(dentry);',
    '\tint error = 0;',
    '',
    '\tinode_lock(inode);',
  ];
  for (let i = 0; i < branches; i++) {
    lines.push(
      `\tif (flags[${i}]) {`,
      '\t\terror = try_break_deleg(inode, delegated_inode);',
      '\t\tif (error)',
      '\t\t\tgoto out;',
      '\t}',
    );
  }
  if (!withoutLastBreak)
    lines.push('\terror = try_break_deleg(inode, delegated_inode);', '\tif (error)', '\t\tgoto out;');
  lines.push(
    '\terror = inode->i_op->setattr(idmap, dentry, attr);',
    'out:',
    '\tinode_unlock(inode);',
    '\treturn error;',
    '}',
  );
  return lines.join('\n') + '\n';
}

/** One thread of `steps` lock/unlock pairs in sequence: a single path `2 × steps` transitions deep. */
export function longThreadScenario(steps = 20000): string {
  const out = ['kernel 6.12', 'inode d : dir', 'inode f : file at d/f', 'thread long {'];
  for (let i = 0; i < steps; i++) out.push('  lock f', '  unlock f');
  out.push('}');
  return out.join('\n') + '\n';
}

/** `threads` threads each setting the attributes of its own file under the shared directory lock. */
export function manyThreadsScenario(threads = 60): string {
  const out = ['kernel 6.12', 'inode d : dir'];
  for (let i = 0; i < threads; i++) out.push(`inode f${i} : file at d/f${i}`);
  out.push('check deleg-change, deadlock, lock-balance');
  for (let i = 0; i < threads; i++) out.push(`thread t${i} {`, '  lock d', `  setattr f${i}`, '  unlock d', '}');
  return out.join('\n') + '\n';
}

/**
 * A function whose lock and break are separated by `statements` plain assignments: CFG nodes with no
 * delegation-relevant event, which the simulator's bridge skips to reach the next event.
 */
export function longStraightFunction(statements = 10000, name = 'long_straight'): string {
  const lines = [
    `int ${name}(struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode, int *v)`,
    '{',
    '\tstruct inode *inode = d_inode(dentry);',
    '\tint error;',
    '',
    '\tinode_lock(inode);',
  ];
  for (let i = 0; i < statements; i++) lines.push(`\tv[${i % 64}] = v[${(i + 1) % 64}] + ${i};`);
  lines.push(
    '\terror = try_break_deleg(inode, delegated_inode);',
    '\tif (!error)',
    '\t\terror = inode->i_op->setattr(idmap, dentry, attr);',
    '\tinode_unlock(inode);',
    '\treturn error;',
    '}',
  );
  return lines.join('\n') + '\n';
}
