/**
 * Mutants of real kernel functions (made at test time from ../shared/kernel-corpus, never stored): each reintroduces
 * a bug of the kind the rules exist for, and each must be caught in the mutated function. The unmutated function
 * must be clean, so a pass cannot come from a finding that was there anyway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';
import { Mutator } from '../helpers/mutate';

interface Mutant {
  name: string;
  file: string;
  fn: string;
  mutate: (m: Mutator) => void;
  expect: string;
  /** Where the finding appears when not in the mutated function (a static helper passes its obligation to callers). */
  reportedIn?: string;
}

const zero =
  (callee: string, index = 0) =>
  (m: Mutator) => {
    const c = m.calls(callee)[index];
    m.replace(c.start, c.end, '0');
  };

/** Moves the `index`-th call of `callee` to just before the statement that calls `lock`, leaving 0 in its place. */
const breakBeforeLock =
  (callee: string, lock: string, index = 0) =>
  (m: Mutator) => {
    const c = m.calls(callee)[index];
    const l = m.calls(lock)[0];
    m.insert(l.stmtStart, `${c.text};\n\t`).replace(c.start, c.end, '0');
  };

const removeStatement =
  (callee: string, index = 0) =>
  (m: Mutator) => {
    const c = m.calls(callee)[index];
    m.replace(c.stmtStart, c.stmtEnd, ';');
  };

const MUTANTS: Mutant[] = [
  // delete a break
  {
    name: 'delete the victim break in vfs_unlink',
    file: 'v3.13/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the source break in vfs_link',
    file: 'v6.12/fs/namei.c',
    fn: 'vfs_link',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the break in notify_change',
    file: 'v7.1.5/fs/attr.c',
    fn: 'notify_change',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the source break in vfs_rename',
    file: 'v6.19/fs/namei.c',
    fn: 'vfs_rename',
    mutate: zero('try_break_deleg', 2),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the target break in vfs_rename',
    file: 'v4.19.1/fs/namei.c',
    fn: 'vfs_rename',
    mutate: zero('try_break_deleg', 1),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the break in __vfs_setxattr_locked',
    file: 'v5.15.135/fs/xattr.c',
    fn: '__vfs_setxattr_locked',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/missing-break',
  },
  {
    name: 'delete the parent break in vfs_create',
    file: 'v6.19/fs/namei.c',
    fn: 'vfs_create',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/dir-missing-break',
  },
  {
    name: 'delete the parent break in vfs_unlink',
    file: 'v7.1.5/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: zero('try_break_deleg', 0),
    expect: 'deleg/dir-missing-break',
  },
  {
    name: 'delete the parent break in vfs_mkdir',
    file: 'v7.0/fs/namei.c',
    fn: 'vfs_mkdir',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/dir-missing-break',
  },
  // move the break before the lock
  {
    name: 'break before mutex_lock in vfs_unlink',
    file: 'v3.13/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: breakBeforeLock('try_break_deleg', 'mutex_lock'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'break before inode_lock in vfs_link',
    file: 'v6.12/fs/namei.c',
    fn: 'vfs_link',
    mutate: breakBeforeLock('try_break_deleg', 'inode_lock'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'break before lock_two_inodes in vfs_rename',
    file: 'v5.15.135/fs/namei.c',
    fn: 'vfs_rename',
    mutate: breakBeforeLock('try_break_deleg', 'lock_two_inodes'),
    expect: 'deleg/break-unlocked',
  },
  // make it blocking
  {
    name: 'blocking break_deleg under the victim lock',
    file: 'v6.12/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: (m) => {
      const c = m.calls('try_break_deleg')[0];
      m.replace(c.start, c.end, 'break_deleg(target, O_WRONLY)');
    },
    expect: 'deleg/blocking-break-locked',
  },
  {
    name: 'blocking break_deleg (6.19 flags) in notify_change',
    file: 'v6.19/fs/attr.c',
    fn: 'notify_change',
    mutate: (m) => {
      const c = m.calls('try_break_deleg')[0];
      m.replace(c.start, c.end, 'break_deleg(inode, 0)');
    },
    expect: 'deleg/blocking-break-locked',
  },
  {
    name: 'break_deleg_wait before unlocking in chown_common',
    file: 'v6.12/fs/open.c',
    fn: 'chown_common',
    mutate: (m) => {
      const u = m.calls('inode_unlock')[0];
      const w = m.calls('break_deleg_wait')[0];
      m.replace(u.stmtStart, u.stmtEnd, ';').insert(w.stmtEnd, '\n\t\tinode_unlock(inode);');
    },
    expect: 'deleg/blocking-break-locked',
  },
  // drop the retry
  {
    name: 'drop the wait-and-retry block in do_unlinkat',
    file: 'v4.19.1/fs/namei.c',
    fn: 'do_unlinkat',
    mutate: (m) => {
      const b = m.enclosing('break_deleg_wait', 'if_statement')[0];
      m.replace(b.start, b.end, ';');
    },
    expect: 'deleg/unhandled-delegated-inode',
  },
  {
    name: 'drop the wait-and-retry block in filename_renameat2',
    file: 'v7.1.5/fs/namei.c',
    fn: 'filename_renameat2',
    mutate: (m) => {
      const b = m.enclosing('break_deleg_wait', 'if_statement')[0];
      m.replace(b.start, b.end, ';');
    },
    expect: 'deleg/unhandled-delegated-inode',
  },
  {
    name: 'wait without retry in utimes_common',
    file: 'v3.13/fs/utimes.c',
    fn: 'utimes_common',
    mutate: (m) => {
      const b = m.enclosing('break_deleg_wait', 'if_statement')[0];
      m.replace(b.start, b.end, 'if (delegated_inode)\n\t\terror = break_deleg_wait(&delegated_inode);');
    },
    expect: 'deleg/unhandled-delegated-inode',
  },
  // drop the grant's trylock / re-check
  {
    name: 'drop inode_trylock from generic_add_lease',
    file: 'v6.12/fs/locks.c',
    fn: 'generic_add_lease',
    mutate: (m) => {
      const c = m.calls('inode_trylock')[0];
      m.replace(c.start, c.end, '1');
    },
    expect: 'lease/grant-unserialized',
  },
  {
    name: 'drop mutex_trylock from generic_add_lease (3.13)',
    file: 'v3.13/fs/locks.c',
    fn: 'generic_add_lease',
    mutate: (m) => {
      const c = m.calls('mutex_trylock')[0];
      m.replace(c.start, c.end, '1');
    },
    expect: 'lease/grant-unserialized',
  },
  {
    name: 'drop the re-check after insertion in generic_add_lease',
    file: 'v6.12/fs/locks.c',
    fn: 'generic_add_lease',
    mutate: zero('check_conflicting_open', 1),
    expect: 'lease/grant-unserialized',
  },
  // drop break_lease from the open path
  {
    name: 'drop break_lease from do_dentry_open (3.13)',
    file: 'v3.13/fs/open.c',
    fn: 'do_dentry_open',
    mutate: zero('break_lease'),
    expect: 'lease/open-missing-break',
  },
  {
    name: 'drop break_lease from do_dentry_open (6.12)',
    file: 'v6.12/fs/open.c',
    fn: 'do_dentry_open',
    mutate: zero('break_lease'),
    expect: 'lease/open-missing-break',
  },
  {
    name: 'drop break_lease from do_dentry_open (7.1.5)',
    file: 'v7.1.5/fs/open.c',
    fn: 'do_dentry_open',
    mutate: zero('break_lease'),
    expect: 'lease/open-missing-break',
  },
  {
    name: 'drop break_lease from vfs_truncate',
    file: 'v6.19/fs/open.c',
    fn: 'vfs_truncate',
    mutate: zero('break_lease'),
    expect: 'lease/open-missing-break',
  },
  // leak a lock
  {
    name: 'leak the victim lock in vfs_unlink',
    file: 'v6.12/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak the source lock in vfs_link',
    file: 'v4.19.1/fs/namei.c',
    fn: 'vfs_link',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak the inode lock on an error path of __start_dirop',
    file: 'v6.19/fs/namei.c',
    fn: '__start_dirop',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak the inode lock after notify_change in do_truncate',
    file: 'v6.12/fs/open.c',
    fn: 'do_truncate',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak the lower inode lock in ecryptfs_setattr',
    file: 'v7.1.5/fs/ecryptfs/inode.c',
    fn: 'ecryptfs_setattr',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak the inode lock in vfs_setxattr (3.13 i_mutex)',
    file: 'v3.13/fs/xattr.c',
    fn: 'vfs_setxattr',
    mutate: removeStatement('mutex_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak i_mutex after notify_change in do_truncate (3.10, no delegations yet)',
    file: 'v3.10.99/fs/open.c',
    fn: 'do_truncate',
    mutate: removeStatement('mutex_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'leak i_mutex after notify_change in nfsd kill_suid (3.10)',
    file: 'v3.10.99/fs/nfsd/vfs.c',
    fn: 'kill_suid',
    mutate: removeStatement('mutex_unlock'),
    expect: 'lock/imbalance',
  },
  // drop the victim's lock in a catalogued API
  {
    name: 'vfs_unlink without the victim lock',
    file: 'v7.1.5/fs/namei.c',
    fn: 'vfs_unlink',
    mutate: removeStatement('inode_lock'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'vfs_link without the source lock',
    file: 'v5.15.135/fs/namei.c',
    fn: 'vfs_link',
    mutate: removeStatement('inode_lock'),
    expect: 'deleg/break-unlocked',
  },
  // drop only the lock of a wait-and-retry owner: its unlock then runs twice around the retry, so the caller cannot hold it
  {
    name: 'chmod_common without inode_lock_killable (6.19)',
    file: 'v6.19/fs/open.c',
    fn: 'chmod_common',
    mutate: removeStatement('inode_lock_killable'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'chown_common without inode_lock (6.12)',
    file: 'v6.12/fs/open.c',
    fn: 'chown_common',
    mutate: removeStatement('inode_lock'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'vfs_utimes without inode_lock (7.1.5)',
    file: 'v7.1.5/fs/utimes.c',
    fn: 'vfs_utimes',
    mutate: removeStatement('inode_lock'),
    expect: 'deleg/break-unlocked',
  },
  {
    name: 'leak the rename locks on the error paths of __start_renaming_dentry (6.19)',
    file: 'v6.19/fs/namei.c',
    fn: '__start_renaming_dentry',
    mutate: removeStatement('unlock_rename'),
    expect: 'lock/imbalance',
  },
  // a documented releaser that no longer releases (its callers rely on the catalogue's contract)
  {
    name: 'end_dirop without its unlock',
    file: 'v7.1.5/fs/namei.c',
    fn: 'end_dirop',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'unlock_rename without the second unlock',
    file: 'v6.19/fs/namei.c',
    fn: 'unlock_rename',
    mutate: removeStatement('inode_unlock', 1),
    expect: 'lock/imbalance',
  },
  {
    name: 'done_path_create without its unlock',
    file: 'v6.12/fs/namei.c',
    fn: 'done_path_create',
    mutate: removeStatement('inode_unlock'),
    expect: 'lock/imbalance',
  },
  {
    name: 'unlock_two_nondirectories without the second unlock',
    file: 'v6.12/fs/inode.c',
    fn: 'unlock_two_nondirectories',
    mutate: removeStatement('inode_unlock', 1),
    expect: 'lock/imbalance',
  },
  {
    name: 'end_renaming without unlock_rename',
    file: 'v7.1.5/fs/namei.c',
    fn: 'end_renaming',
    mutate: removeStatement('unlock_rename'),
    expect: 'lock/imbalance',
  },
  // a documented acquirer that no longer takes what its callers are told it holds
  {
    name: 'lock_rename without the lock for p1 == p2',
    file: 'v7.1.5/fs/namei.c',
    fn: 'lock_rename',
    mutate: removeStatement('inode_lock_nested'),
    expect: 'lock/imbalance',
  },
  {
    name: 'lock_rename without i_mutex for p1 == p2 (3.13)',
    file: 'v3.13/fs/namei.c',
    fn: 'lock_rename',
    mutate: removeStatement('mutex_lock_nested'),
    expect: 'lock/imbalance',
  },
  {
    name: '__start_dirop without the parent lock',
    file: 'v7.1.5/fs/namei.c',
    fn: '__start_dirop',
    mutate: removeStatement('inode_lock_nested'),
    expect: 'lock/imbalance',
  },
  {
    name: 'lock_two_nondirectories without the second lock',
    file: 'v6.12/fs/inode.c',
    fn: 'lock_two_nondirectories',
    mutate: removeStatement('inode_lock_nested'),
    expect: 'lock/imbalance',
  },
  // a directory break deleted in a static helper is reported where the helper is called under the parent lock
  {
    name: 'delete the parent break before ->create in lookup_open',
    file: 'v7.1.5/fs/namei.c',
    fn: 'lookup_open',
    mutate: zero('try_break_deleg'),
    expect: 'deleg/dir-missing-break',
    reportedIn: 'open_last_lookups',
  },
  // take the lock away from a wait-and-retry owner
  {
    name: 'no inode lock around notify_change in chmod_common',
    file: 'v6.19/fs/open.c',
    fn: 'chmod_common',
    mutate: (m) => {
      zero('inode_lock_killable')(m);
      removeStatement('inode_unlock')(m);
    },
    expect: 'deleg/break-unlocked',
  },
];

if (corpusAvailable()) {
  for (const mu of MUTANTS) {
    test(`mutant: ${mu.name} (${mu.file} ${mu.fn}) → ${mu.expect}`, async () => {
      const analyzer = await sharedAnalyzer();
      const original = corpusFile(mu.file);
      const where = mu.reportedIn ?? mu.fn;
      const before = analyzer
        .check(mu.file, original)
        .findings.filter((f) => f.function === where && f.ruleId === mu.expect && f.severity !== 'info');
      assert.deepEqual(
        before.map((f) => f.message.slice(0, 80)),
        [],
        'the unmutated function is clean for this rule',
      );
      const m = new Mutator(analyzer, original, mu.fn);
      mu.mutate(m);
      const mutated = m.result();
      assert.notEqual(mutated, original);
      const after = analyzer
        .check(mu.file, mutated)
        .findings.filter((f) => f.function === where && f.severity !== 'info');
      assert.ok(
        after.some((f) => f.ruleId === mu.expect),
        `expected ${mu.expect} in ${where}, got ${JSON.stringify(after.map((f) => f.ruleId))}`,
      );
    });
  }
}
