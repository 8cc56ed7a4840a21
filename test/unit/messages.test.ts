/** Finding messages: a one-sentence headline of at most 20 words, details after, every claim true for its path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  messages,
  setMessageContext,
  splitMessage,
  lockCall,
  type MessageContext,
} from '../../src/core/rules/messages';
import { check } from '../helpers/snippet';

const SYSCALL: MessageContext = { version: '6.12', era: '3.13', nonBlocking: false };
const OLD: MessageContext = { version: '4.6', era: '3.13', nonBlocking: false };
const SERVER: MessageContext = {
  version: '6.19',
  era: '6.19',
  nonBlocking: true,
  nonBlockingWhy: "a struct svc_rqst context must not wait for a client's recall",
};

/** Every message form with sample arguments (long kernel expressions, to be fair to the word limit). */
const FORMS: [string, () => string][] = [
  [
    'missingBreak locked',
    () => messages.missingBreak('vfs_unlink', '->unlink', 'removes a name of', 'd_inode(fhp->fh_dentry)', true),
  ],
  [
    'missingBreak unlocked',
    () => messages.missingBreak('vfs_unlink', '->unlink', 'removes a name of', 'target', false),
  ],
  [
    'dirMissingBreak',
    () => messages.dirMissingBreak('vfs_create', '->create', 'creates an entry in', 'dir', 'a note', true),
  ],
  [
    'dirSelfBreak',
    () => messages.dirSelfBreak('vfs_rename', '->rename', 'replaces (rename target)', 'd_inode(new_dentry)', false),
  ],
  ['breakUnlocked', () => messages.breakUnlocked('f', 'inode', 'try_break_deleg')],
  [
    'breakUnlockedOtherLock',
    () =>
      messages.breakUnlockedOtherLock('ecryptfs_setxattr', 'd_inode(lower_dentry)', 'try_break_deleg', 'lower_inode'),
  ],
  [
    'changeAfterBreakOtherLock',
    () =>
      messages.changeAfterBreakOtherLock(
        'f',
        'simple_setattr',
        'changes attributes of',
        'd_inode(lower_dentry)',
        'lower_inode',
      ),
  ],
  [
    'missingBreak other lock',
    () =>
      messages.missingBreak(
        'ecryptfs_removexattr',
        '__vfs_removexattr',
        'changes extended attributes of',
        'd_inode(lower_dentry)',
        false,
        undefined,
        'lower_inode',
      ),
  ],
  ['callUnlocked', () => messages.callUnlocked('f', 'notify_change', 'd_inode(dentry)')],
  [
    'changeAfterUnlockedBreak dropped',
    () => messages.changeAfterUnlockedBreak('f', 'simple_setattr', 'changes attributes of', 'inode', 'dropped'),
  ],
  [
    'changeAfterUnlockedBreak not held',
    () => messages.changeAfterUnlockedBreak('f', 'simple_setattr', 'changes attributes of', 'inode', 'not held'),
  ],
  ['blockingLocked', () => messages.blockingLocked('f', 'break_deleg', 'inode', 'dir', 'inode')],
  ['sleepsLocked', () => messages.sleepsLocked('f', 'helper', 'waits for a delegation', 'dir', 'spin')],
  ['unhandledDeleg', () => messages.unhandledDeleg('do_unlinkat', 'vfs_unlink', 'delegated_inode', '6.19')],
  ['noRetry', () => messages.noRetry('utimes_common', 'delegated_inode')],
  ['nullOut', () => messages.nullOut('nfsd_unlink', 'vfs_unlink', 'd_inode(rdentry)')],
  ['grantUnlocked', () => messages.grantUnlocked('generic_add_lease', 'locks_insert_lock_ctx', 'inode')],
  ['grantNoCheck', () => messages.grantNoCheck('generic_add_lease', 'locks_insert_lock_ctx')],
  ['grantNoRecheck', () => messages.grantNoRecheck('generic_add_lease')],
  ['breakBeforeAccess', () => messages.breakBeforeAccess('do_dentry_open', 'get_write_access', 'inode')],
  ['openMissingBreak', () => messages.openMissingBreak('do_dentry_open', 'vfs_open opens inode', 'inode')],
  ['otruncReadLease', () => messages.otruncReadLease('handle_truncate', 'do_truncate', 'inode')],
  ['leakedLock', () => messages.leakedLock('f', 'd_inode(dentry)', 'inode_lock')],
  ['leakedLockFailing', () => messages.leakedLock('f', 'd_inode(dentry)', 'inode_lock', false)],
  ['lockHeld', () => messages.lockHeld('f', 'dir', 'inode_lock_nested')],
  ['leakedLockAfterUse', () => messages.leakedLockAfterUse('f', 'd_inode(dentry)', 'inode_lock', false)],
  ['doubleUnlock', () => messages.doubleUnlock('f', 'inode', 'inode_unlock')],
  ['unlockNotHeld', () => messages.unlockNotHeld('f', 'inode', 'inode_unlock')],
  ['unlockNotHeldRetry', () => messages.unlockNotHeldRetry('f', 'inode', 'inode_unlock')],
  ['releaserKeepsLock', () => messages.releaserKeepsLock('unlock_two_nondirectories', 'inode2')],
  ['releaserKeepsRenameLock', () => messages.releaserKeepsRenameLock('unlock_rename')],
  ['acquirerMissesLock', () => messages.acquirerMissesLock('lock_rename', 'd_inode(p1)', true)],
  ['truncated', () => messages.truncated('f', 'it has too many paths')],
];

test('every message form: a one-sentence headline of at most 20 words, in every context', () => {
  for (const c of [SYSCALL, OLD, SERVER]) {
    setMessageContext(c);
    for (const [name, make] of FORMS) {
      const { message } = splitMessage(make());
      const words = message.split(/\s+/).filter(Boolean);
      assert.ok(words.length <= 20, `${name}: ${words.length} words: ${message}`);
      assert.match(message, /\.$/, name);
      // One sentence: no sentence end inside (". " followed by a capital).
      assert.doesNotMatch(message.slice(0, -1), /\.\s+[A-Z]/, name);
    }
  }
  setMessageContext(SYSCALL);
});

test('missing-break: the grant race is claimed only when the lock is not held; "take" only then', () => {
  setMessageContext(SYSCALL);
  const locked = splitMessage(messages.missingBreak('f', '->unlink', 'removes a name of', 'target', true));
  const unlocked = splitMessage(messages.missingBreak('f', '->unlink', 'removes a name of', 'target', false));
  assert.doesNotMatch(locked.detail!, /granted/);
  assert.doesNotMatch(locked.detail!, /Take /);
  assert.match(locked.detail!, /With target's i_rwsem held, call try_break_deleg\(target, delegated_inode\)/);
  assert.match(unlocked.detail!, /can also be granted/);
  assert.match(unlocked.detail!, /Take inode_lock\(target\)/);
  // A syscall path waits and retries after unlocking.
  assert.match(locked.detail!, /break_deleg_wait\(\) and retries/);
});

test('missing-break with another inode locked: no claim that this one is unlocked (it may be the same inode)', async () => {
  const f = (
    await check(
      `
int f(struct dentry *dentry, struct inode *inode)
{
	struct dentry *lower_dentry = to_lower_dentry(dentry);
	struct inode *lower_inode = to_lower_inode(inode);
	int rc;

	inode_lock(lower_inode);
	rc = __vfs_removexattr(&nop_mnt_idmap, lower_dentry, "user.x");
	inode_unlock(lower_inode);
	return rc;
}`,
      { kernel: '6.12' },
    )
  ).filter((x) => x.ruleId === 'deleg/missing-break');
  assert.equal(f.length, 1);
  const detail = f[0].detail ?? '';
  assert.doesNotMatch(detail, /lock is not held here either/);
  assert.match(detail, /lower_inode is locked here; unless that is d_inode\(lower_dentry\) under another name/);
  assert.doesNotMatch(detail, /^Take /m);
  assert.ok(
    f[0].related.some((r) => /lower_inode locked here/.test(r.message)),
    JSON.stringify(f[0].related),
  );
  // The same for a break under that other lock: the headline makes no claim either way.
  const b = (
    await check(
      `
int g(struct dentry *dentry, struct inode *inode)
{
	struct dentry *lower_dentry = to_lower_dentry(dentry);
	struct inode *lower_inode = to_lower_inode(inode);
	int rc;

	inode_lock(lower_inode);
	rc = try_break_deleg(d_inode(lower_dentry), NULL);
	if (!rc)
		rc = __vfs_removexattr(&nop_mnt_idmap, lower_dentry, "user.x");
	inode_unlock(lower_inode);
	return rc;
}`,
      { kernel: '6.12' },
    )
  ).filter((x) => x.ruleId === 'deleg/break-unlocked');
  assert.ok(b.length >= 1);
  for (const x of b)
    assert.match(x.message, /with lower_inode locked but not d_inode\(lower_dentry\), unless they are one inode/);
});

test("the lock is spelled as the file's kernel spells it: mutex_lock(&inode->i_mutex) before 4.7", () => {
  setMessageContext(OLD);
  assert.equal(lockCall('inode'), 'mutex_lock(&inode->i_mutex)');
  assert.equal(lockCall('d_inode(dentry)'), 'mutex_lock(&d_inode(dentry)->i_mutex)');
  const d = splitMessage(messages.missingBreak('f', '->unlink', 'removes a name of', 'inode', false)).detail!;
  assert.match(d, /Take mutex_lock\(&inode->i_mutex\)/);
  assert.match(splitMessage(messages.breakUnlocked('f', 'inode', 'try_break_deleg')).message, /i_mutex held/);
  setMessageContext(SYSCALL);
  assert.equal(lockCall('inode'), 'inode_lock(inode)');
  assert.match(splitMessage(messages.breakUnlocked('f', 'inode', 'try_break_deleg')).message, /i_rwsem held/);
});

test('servers must not block: try_break_deleg(inode, NULL) and -EAGAIN / NFS4ERR_DELAY, never break_deleg_wait()', () => {
  setMessageContext(SERVER);
  for (const text of [
    messages.missingBreak('nfsd_setattr', 'set_posix_acl', 'changes the ACL of', 'inode', true),
    messages.dirSelfBreak('f', '->rmdir', 'removes directory', 'd', true),
    messages.blockingLocked('f', 'break_deleg', 'inode', 'inode', 'inode'),
  ]) {
    const d = splitMessage(text).detail!;
    assert.match(d, /try_break_deleg\(\w+, NULL\)/);
    assert.match(d, /-EAGAIN/);
    assert.match(d, /NFS4ERR_DELAY/);
    assert.doesNotMatch(d, /break_deleg_wait/);
  }
  setMessageContext(SYSCALL);
});

const NFSD = `
static int nfsd_setacl(struct svc_rqst *rqstp, struct dentry *dentry, struct posix_acl *acl)
{
	struct inode *inode = d_inode(dentry);
	int err;

	inode_lock(inode);
	err = set_posix_acl(&nop_mnt_idmap, dentry, ACL_TYPE_ACCESS, acl);
	inode_unlock(inode);
	return err;
}`;

test('end to end: an nfsd function is advised (and fixed) without blocking, a syscall one with wait and retry', async () => {
  const f = (await check(NFSD)).find((x) => x.ruleId === 'deleg/missing-break');
  assert.ok(f);
  assert.match(f.detail ?? '', /try_break_deleg\(inode, NULL\)/);
  assert.equal(f.fix?.kind === 'insert-try-break' && f.fix.outParam, 'NULL');
  // The same body in a plain function: the syscall advice.
  const plain = (await check(NFSD.replace('struct svc_rqst *rqstp, ', ''))).find(
    (x) => x.ruleId === 'deleg/missing-break',
  );
  assert.ok(plain);
  assert.match(plain.detail ?? '', /break_deleg_wait\(\) and retries/);
  assert.notEqual(plain.fix?.kind === 'insert-try-break' && plain.fix.outParam, 'NULL');
  // Passing NULL for delegated_inode elsewhere in the function also marks a context that does not wait.
  const nulls = (
    await check(
      NFSD.replace('struct svc_rqst *rqstp, ', '').replace(
        'inode_unlock(inode);',
        'notify_change(&nop_mnt_idmap, dentry, NULL, NULL);\n\tinode_unlock(inode);',
      ),
    )
  ).find((x) => x.ruleId === 'deleg/missing-break');
  assert.ok(nulls);
  assert.match(nulls.detail ?? '', /NULL\) before the change and return -EAGAIN/);
});

test('end to end: one name per inode, no "granted right now" under the lock, headline is the message', async () => {
  const fs = await check(NFSD.replace('struct svc_rqst *rqstp, ', ''));
  const f = fs.find((x) => x.ruleId === 'deleg/missing-break')!;
  // The local `inode` names d_inode(dentry): the message, the related note and the fix all say `inode`.
  assert.equal(f.inode, 'inode');
  assert.doesNotMatch(f.message + f.detail, /d_inode\(dentry\)/);
  assert.ok(
    f.related.every((r) => !/d_inode\(dentry\)|dentry\.d_inode/.test(r.message)),
    JSON.stringify(f.related),
  );
  assert.ok(f.related.some((r) => /^inode locked here/.test(r.message)));
  assert.doesNotMatch(f.detail ?? '', /granted/);
  assert.ok(f.message.split(/\s+/).length <= 20, f.message);
});

test('of two locals naming one inode, the message uses the one the function uses (not the first declared)', async () => {
  const findings = await check(
    `
int f(struct file *file, const void *value, size_t size)
{
	struct inode *real_inode, *inode = file_inode(file);
	int err;

	real_inode = d_real_inode(file_dentry(file));
	inode_lock(inode);
	err = __vfs_setxattr(&nop_mnt_idmap, file_dentry(file), inode, "user.demo", value, size, 0);
	inode_unlock(inode);
	return err;
}`,
    { kernel: '6.12' },
  );
  const f = findings.find((x) => x.ruleId === 'deleg/missing-break');
  assert.ok(f, 'the unbroken change is reported');
  assert.match(f.message, /extended attributes of inode without first breaking inode's delegation/);
  assert.deepEqual(
    f.related.map((r) => r.message),
    ['inode locked here (inode_lock)'],
  );
});
