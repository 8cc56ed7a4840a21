/** Hover and lock-state text (src/service/hover.ts) from real events of the examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, sharedAnalyzer } from '../../helpers/corpus';
import { callEvents, eventMarkdown, lockStateText } from '../../../src/service/hover';

async function eventsIn(name: string, needle: string) {
  const text = readFileSync(join(PROJECT_ROOT, 'examples', name), 'utf8');
  const doc = (await sharedAnalyzer()).open(name, text);
  try {
    return doc.eventsAt(text.indexOf(needle) + 1);
  } finally {
    doc.dispose();
  }
}

test('a wait under a lock: blocking, the lock and where it was taken, and the warning', async () => {
  const [e] = await eventsIn('wait_under_lock.c', 'break_deleg_wait');
  assert.equal(
    eventMarkdown(e),
    [
      '**break_deleg_wait()** waits for the delegation of `delegated_inode` to be returned — **blocking** (sleeps): call it only with no locks held',
      '',
      'Locks held here:',
      '- `dir` — taken by inode_lock_nested() at line 12',
      '',
      '⚠ Sleeping here with locks held: every other task needing them waits as long as the delegation holder does.',
    ].join('\n'),
  );
});

test('a non-blocking break, a lock call with nothing held, and a change', async () => {
  const [brk] = await eventsIn('correct_unlink.c', 'try_break_deleg(target');
  assert.match(
    eventMarkdown(brk),
    /^\*\*try_break_deleg\(\)\*\* breaks the delegation of `target` — \*\*non-blocking\*\*/,
  );
  assert.match(eventMarkdown(brk), /- `target` — taken by inode_lock\(\) at line 11/);
  const [lock] = await eventsIn('missing_break.c', 'inode_lock');
  assert.match(eventMarkdown(lock), /^\*\*inode_lock\(\)\*\* takes the lock of `inode`\n\nNo locks held here/);
  const [change] = await eventsIn('missing_break.c', 'setattr');
  assert.match(eventMarkdown(change), /changes names or attributes of `d_inode\(dentry\)`/);
});

test('locks held on some paths only are listed apart', async () => {
  const text = `int f(struct inode *inode, bool locked, struct inode **di)
{
	if (locked)
		inode_lock(inode);
	try_break_deleg(inode, di);
	if (locked)
		inode_unlock(inode);
	return 0;
}
`;
  const doc = (await sharedAnalyzer()).open('a.c', text);
  const [e] = doc.eventsAt(text.indexOf('try_break_deleg') + 1);
  doc.dispose();
  assert.match(eventMarkdown(e), /Held on some paths only:\n- `inode` — taken by inode_lock\(\) at line 4/);
});

test('a call that is several events (notify_change requires the lock and changes) is described by its change', async () => {
  const [e] = callEvents(await eventsIn('no_retry.c', 'notify_change'));
  assert.equal(e.kind, 'delegOp');
  assert.match(
    eventMarkdown(e),
    /^\*\*notify_change\(\)\*\* changes `d_inode\(path->dentry\)`; on a delegation it fails with -EWOULDBLOCK[^\n]*\n\nLocks held here:\n- `inode` — taken by inode_lock\(\) at line 11$/,
  );
  const lock = { ...e, kind: 'requireAtCall' };
  assert.match(eventMarkdown(e, [lock]), /\n\nIt also requires `d_inode\(path->dentry\)` locked by the caller\.\n/);
});

test('Show Lock State text', async () => {
  const events = await eventsIn('no_retry.c', 'notify_change');
  assert.equal(
    lockStateText('example_chown', events),
    'example_chown: before notify_change() the locks held are inode. It changes d_inode(path->dentry); on a delegation it fails with -EWOULDBLOCK and records the inode in the delegated_inode argument.',
  );
  assert.equal(lockStateText('f', []), 'f: no lock, break, wait or change call at the cursor.');
  assert.equal(lockStateText(null, []), 'The cursor is not in an analysed function.');
});
