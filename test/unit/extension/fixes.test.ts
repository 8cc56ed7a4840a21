/**
 * Quick-fix text in each kernel era (src/core/fixes/writer.ts through the analysis Session the extension uses):
 * the exact code written, and the analyzer's verdict on the fixed file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, sharedAnalyzer } from '../../helpers/corpus';
import { Session } from '../../../src/service/session';
import { applyEdits } from '../../../src/service/lines';
import { indentUnit, waitRetryLines } from '../../../src/core/fixes/writer';
import type { CheckOptions } from '../../../src/core/engine';

const example = (name: string) => readFileSync(join(PROJECT_ROOT, 'examples', name), 'utf8');

/** The fixes for the first error/warning finding, each applied to the text, and the findings after applying. */
async function fixed(text: string, options: CheckOptions = {}, ruleId?: string) {
  const s = new Session(await sharedAnalyzer());
  s.open({ uri: 'mem:a.c', file: 'a.c', text, version: 1, options, catalogue: '' });
  const r = s.result('mem:a.c')!.result;
  const f = r.findings.find((x) => (ruleId ? x.ruleId === ruleId : x.severity !== 'info'));
  assert.ok(f, 'a finding to fix');
  const out = s.fixes('mem:a.c', { ruleId: f.ruleId, start: f.start, end: f.end })!;
  s.dispose();
  const a = await sharedAnalyzer();
  return out.fixes.map((x) => {
    const after = applyEdits(text, x.edits);
    return {
      title: x.title,
      verified: x.verified,
      text: after,
      findings: a
        .check('a.c', after, options)
        .findings.filter((y) => y.severity !== 'info')
        .map((y) => y.ruleId),
    };
  });
}

/** The function containing `name` in `text` (from its line to the closing brace at column 0). */
function fn(text: string, name: string): string {
  const at = text.indexOf(name);
  const start = text.lastIndexOf('\n', at) + 1;
  return text.slice(start, text.indexOf('\n}\n', at) + 3);
}

test('missing break, 3.13–6.18, no out-parameter: local delegated_inode, break under the lock, wait and retry after unlocking', async () => {
  const [fix, ...rest] = await fixed(example('missing_break.c'));
  assert.equal(rest.length, 0);
  assert.equal(fix.title, 'Break the delegation of inode first, then wait and retry after unlocking');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.equal(
    fn(fix.text, 'int example_set_mode'),
    `int example_set_mode(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;
	struct inode *delegated_inode = NULL;

retry_deleg:
	inode_lock(inode);
	error = try_break_deleg(inode, &delegated_inode);
	if (!error)
		error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}
`,
  );
});

test('missing break, 6.19+: struct delegated_inode and is_delegated()', async () => {
  const [fix] = await fixed(example('missing_break.c'), { kernel: '6.19' });
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(fix.text, /\tstruct delegated_inode delegated_inode = \{ \};\n/);
  assert.match(fix.text, /\terror = try_break_deleg\(inode, &delegated_inode\);\n/);
  assert.match(
    fix.text,
    /\tinode_unlock\(inode\);\n\tif \(is_delegated\(&delegated_inode\)\) \{\n\t\terror = break_deleg_wait\(&delegated_inode\);\n/,
  );
});

test('missing break, 3.12 (before delegation breaking): written in the 3.13 protocol that fixed it', async () => {
  const [fix] = await fixed(example('missing_break.c'), { kernel: '3.12' });
  assert.match(fix.text, /struct inode \*delegated_inode = NULL;/);
  assert.match(fix.text, /if \(delegated_inode\) \{/);
});

test('directory entry, 6.19, with an out-parameter: break and return, the caller retries', async () => {
  const [fix] = await fixed(example('dir_create_619.c'));
  assert.equal(fix.title, 'Break the delegation of dir first: try_break_deleg(dir, delegated_inode)');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(
    fix.text,
    /\t\treturn error;\n\terror = try_break_deleg\(dir, delegated_inode\);\n\tif \(error\)\n\t\treturn error;\n\treturn dir->i_op->mknod/,
  );
});

test('break dropped before the change: break again after relocking', async () => {
  const [fix] = await fixed(example('break_after_unlock.c'));
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(
    fix.text,
    /\tinode_lock\(inode\);\n\terror = try_break_deleg\(inode, delegated_inode\);\n\tif \(!error\)\n\t\terror = dir->i_op->link\(old_dentry, dir, new_dentry\);\n\tinode_unlock\(inode\);/,
  );
});

test('unhandled delegated_inode: a retry label before the lock, the wait after the unlock', async () => {
  const [fix] = await fixed(example('no_retry.c'));
  assert.equal(fix.title, 'Wait for the delegation of delegated_inode after unlocking, then retry');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(
    fix.text,
    /\tint error;\n\nretry_deleg:\n\tinode_lock\(inode\);\n\terror = notify_change\(&nop_mnt_idmap, path->dentry, attr, &delegated_inode\);\n\tinode_unlock\(inode\);\n\tif \(delegated_inode\) \{\n\t\terror = break_deleg_wait\(&delegated_inode\);\n\t\tif \(!error\)\n\t\t\tgoto retry_deleg;\n\t\}\n\treturn error;/,
  );
});

test('wait under a lock: the wait block moves after the unlock and reuses the retry label', async () => {
  const [fix] = await fixed(example('wait_under_lock.c'));
  assert.equal(fix.title, 'Move break_deleg_wait() after the unlock and retry');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.equal(
    fn(fix.text, 'int example_rmfile'),
    `int example_rmfile(struct path *parent, struct dentry *dentry)
{
	struct inode *delegated_inode = NULL;
	struct inode *dir = parent->dentry->d_inode;
	int error;

retry:
	inode_lock_nested(dir, I_MUTEX_PARENT);
	error = vfs_unlink(&nop_mnt_idmap, dir, dentry, &delegated_inode);
	inode_unlock(dir);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry;
	}
	return error;
}
`,
  );
});

test('leaked lock: unlock before the return, with braces around an unbraced if-body', async () => {
  const [fix] = await fixed(example('leaked_lock.c'));
  assert.equal(fix.title, 'Release the lock before returning: inode_unlock(inode);');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(
    fix.text,
    /\tif \(IS_IMMUTABLE\(inode\)\) \{\n\t\tinode_unlock\(inode\);\n\t\treturn -EPERM;\n\t\}\n\terror = try_break_deleg/,
  );
});

test('blocking break under the inode lock: try_break_deleg() with the out-parameter', async () => {
  const text = `int f(struct inode *inode, struct iattr *attr, struct inode **delegated_inode)
{
	int error;

	inode_lock(inode);
	error = break_deleg(inode, O_WRONLY);
	if (error)
		goto out;
	error = notify_change(&nop_mnt_idmap, NULL, attr, delegated_inode);
out:
	inode_unlock(inode);
	return error;
}
`;
  const [fix] = await fixed(text, {}, 'deleg/blocking-break-locked');
  assert.equal(fix.title, 'Use try_break_deleg(inode, delegated_inode) under the lock (the caller waits and retries)');
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(fix.text, /\terror = try_break_deleg\(inode, delegated_inode\);\n\tif \(error\)\n\t\tgoto out;/);
});

test('a change in an unbraced if-branch: braces, and `} else` kept on one line', async () => {
  const text = `int g(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
	if (attr->ia_valid)
		error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	else
		error = 0;
	inode_unlock(inode);
	return error;
}
`;
  const [fix] = await fixed(text);
  assert.equal(fix.verified, true);
  assert.deepEqual(fix.findings, []);
  assert.match(
    fix.text,
    /\tif \(attr->ia_valid\) \{\n\t\terror = try_break_deleg\(inode, delegated_inode\);\n\t\tif \(!error\)\n\t\t\terror = inode->i_op->setattr\(&nop_mnt_idmap, dentry, attr\);\n\t\} else\n\t\terror = 0;/,
  );
});

test('a function indented with spaces gets spaces; an existing err variable is reused', async () => {
  const text = `int h(struct dentry *dentry, struct iattr *attr, struct inode **deleg)
{
    struct inode *inode = d_inode(dentry);
    int err;

    inode_lock(inode);
    simple_setattr(&nop_mnt_idmap, dentry, attr);
    inode_unlock(inode);
    return 0;
}
`;
  assert.equal(indentUnit(text), '    ');
  const [fix] = await fixed(text);
  assert.match(
    fix.text,
    /\n    err = try_break_deleg\(inode, deleg\);\n    if \(!err\)\n        simple_setattr\(&nop_mnt_idmap, dentry, attr\);\n/,
  );
  assert.deepEqual(fix.findings, []);
});

test('no fix where the remedy is a design change (grant without trylock, open without break_lease)', async () => {
  assert.deepEqual(await fixed(example('grant_without_trylock.c')), []);
  assert.deepEqual(await fixed(example('open_without_break.c')), []);
});

test('the wait-and-retry block in both eras', () => {
  assert.deepEqual(waitRetryLines('3.13', 'delegated_inode', 'error', 'retry_deleg'), [
    'if (delegated_inode) {',
    '\terror = break_deleg_wait(&delegated_inode);',
    '\tif (!error)',
    '\t\tgoto retry_deleg;',
    '}',
  ]);
  assert.deepEqual(waitRetryLines('6.19', 'di', 'err', 'retry', '  ')[0], 'if (is_delegated(&di)) {');
});
