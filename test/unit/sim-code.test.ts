/** Functions from C code as threads (through the analyzer's models), the CLI contract, and the panel protocol. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer } from '../../src/core/engine';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';
import { simulateFunction, simulateBuiltin } from '../../src/sim/simulate';
import { main } from '../../src/cli/main';
import { isHostMessage, isWebviewMessage } from '../../src/webview/protocol';
import { BUILTINS } from '../../src/sim/builtins';
import { displayName } from '../../src/sim/bridge';

const EX = join(__dirname, '..', '..', '..', 'examples');
let analyzer: Analyzer;

before(async () => {
  analyzer = await Analyzer.create(nodeWasmSource());
});

function sim(file: string, fn: string) {
  const path = join(EX, file);
  const o = simulateFunction(analyzer, path, readFileSync(path, 'utf8'), fn);
  assert.ok('result' in o, 'error' in o ? o.error : '');
  return o.result;
}

const EXPECT: [string, string, string | null][] = [
  ['correct_unlink.c', 'example_vfs_unlink', null],
  ['correct_unlink.c', 'example_unlinkat', null],
  ['break_after_unlock.c', 'example_link', 'deleg-change'],
  ['missing_break.c', 'example_set_mode', 'deleg-change'],
  ['wait_under_lock.c', 'example_rmfile', 'sleep-under-lock'],
  ['no_retry.c', 'example_chown', 'leaked-ref'],
  ['grant_without_trylock.c', 'example_add_lease', 'deleg-change'],
  ['open_without_break.c', 'example_dentry_open', 'deleg-writer'],
  ['dir_create_619.c', 'example_vfs_mknod', 'deleg-change'],
];

for (const [file, fn, invariant] of EXPECT) {
  test(`from code: ${file}:${fn} → ${invariant ?? 'safe'}`, () => {
    const r = sim(file, fn);
    console.log(
      `# ${file}:${fn}: ${r.verdict}${r.invariant ? ` [${r.invariant}]` : ''}, ${r.states} states, ${r.ms.toFixed(1)} ms`,
    );
    assert.equal(r.invariant ?? null, invariant, r.message);
    if (!invariant) return;
    // The function's own steps carry its file and line; the violating one is the function's or an opponent's.
    const own = r.trace.filter((s) => s.threadName === fn);
    assert.ok(own.length > 0 && own.every((s) => (s.file === join(EX, file) && (s.line ?? 0) > 0) || s.local));
  });
}

test('from code: the break_after_unlock counterexample points at the change on line 17 and the grant in the unlocked window', () => {
  const r = sim('break_after_unlock.c', 'example_link');
  const [grant, change] = r.conflict!;
  assert.equal(r.trace[change].line, 17);
  assert.equal(r.trace[grant].action, 'locks_insert_lease');
  const unlock = r.trace.findIndex((s) => s.action === 'inode_unlock' && s.threadName === 'example_link');
  assert.ok(unlock >= 0 && unlock < grant, 'the delegation is granted after the first unlock');
});

/** A snippet of C (written for these tests) simulated as one function, with what `check` says of it. */
function simText(fn: string, text: string, kernel?: string) {
  const o = simulateFunction(analyzer, 'snippet.c', text, fn, kernel);
  assert.ok('result' in o, 'error' in o ? o.error : '');
  const findings = analyzer
    .check('snippet.c', text, { kernel: kernel ?? 'auto' })
    .findings.filter((f) => f.severity !== 'info');
  return { r: o.result, findings };
}

const CORRELATED = `
int example_maybe_locked(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	bool is_dir = d_is_dir(dentry);
	int error = 0;

	if (!is_dir)
		inode_lock(inode);
	if (!is_dir) {
		error = try_break_deleg(inode, delegated_inode);
		if (error)
			goto out;
		error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	}
out:
	if (!is_dir)
		inode_unlock(inode);
	return error;
}
`;

test('from code: a condition tested three times is decided once (no lock without its unlock), as check reads it', () => {
  const { r, findings } = simText('example_maybe_locked', CORRELATED);
  assert.deepEqual(
    findings.map((f) => f.ruleId),
    [],
  );
  assert.equal(r.verdict, 'safe', r.message);
  // The thread has one decision on is_dir; the two later tests follow it.
  const ifs = r.program!.threads[0].instrs.filter(
    (i) => (i.op === 'branch' || i.op === 'choose') && i.detail.includes('is_dir'),
  );
  assert.equal(ifs.length, 1, ifs.map((i) => i.detail).join('; '));
});

const CALLER = `
static int example_change(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	int error = try_break_deleg(inode, delegated_inode);
	if (error)
		return error;
	return inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
}

int example_caller(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct inode *delegated_inode = NULL;
	int error;
retry:
	inode_lock(inode);
	error = example_change(dentry, attr, &delegated_inode);
	inode_unlock(inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry;
	}
	return error;
}
`;

test('from code: the caller takes its locks first and releases them after the return; opponents act before, during and after', () => {
  const { r, findings } = simText('example_change', CALLER);
  assert.deepEqual(
    findings.map((f) => f.ruleId),
    [],
  );
  assert.equal(r.verdict, 'safe', r.message);
  const own = r.program!.threads[0].instrs;
  assert.equal(own[0].op, 'lock');
  assert.equal(own[0].action, 'caller: inode_lock(inode)');
  assert.match(own[0].detail, /example_caller\(\)/);
  assert.ok(own.some((i) => i.op === 'unlock' && i.action === 'caller: inode_unlock(inode)'));
  assert.deepEqual(r.program!.threads[0].entryLocks, []);
  // The run shown for a safe verdict steps through the caller's lock as the function's own step.
  assert.ok(r.trace.some((s) => s.thread === 0 && s.action.startsWith('caller: ')));
});

const SPIN = `
int example_vfs_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;

	inode_lock(target);
	spin_lock(&target->i_lock);
	target->i_state |= 1;
	spin_unlock(&target->i_lock);
	error = try_break_deleg(target, delegated_inode);
	if (error)
		goto out;
	error = dir->i_op->unlink(dir, dentry);
out:
	inode_unlock(target);
	return error;
}
`;

test('from code: a spinlock is no reason for a second rename; two sleeping inode locks are', () => {
  const { r } = simText('example_vfs_unlink', SPIN);
  assert.equal(r.verdict, 'safe', r.message);
  assert.ok(!r.program!.threads.some((t) => t.name === 'rename2'), r.program!.threads.map((t) => t.name).join(', '));
  const two = simText(
    'example_vfs_unlink',
    SPIN.replace('\tinode_lock(target);\n', '\tinode_lock(dir);\n\tinode_lock(target);\n').replace(
      '\tinode_unlock(target);\n',
      '\tinode_unlock(target);\n\tinode_unlock(dir);\n',
    ),
  );
  assert.ok(two.r.program!.threads.some((t) => t.name === 'rename2'));
  assert.equal(two.r.verdict, 'safe', two.r.message);
});

test('from code: the kernel of the file decides directory delegations (6.19 yes, 6.12 no)', () => {
  const path = join(EX, 'dir_create_619.c');
  const text = readFileSync(path, 'utf8');
  const auto = simText('example_vfs_mknod', text);
  assert.equal(auto.r.kernel, '6.19');
  assert.equal(auto.r.invariant, 'deleg-change');
  const old = simText('example_vfs_mknod', text, '6.12');
  assert.equal(old.r.kernel, '6.12');
  assert.equal(old.r.program!.options.dirDelegations, false);
  assert.deepEqual(
    old.findings.filter((f) => f.ruleId === 'deleg/dir-missing-break'),
    [],
  );
  assert.equal(old.r.verdict, 'safe', old.r.message);
});

const ATTR_DELEG_SETATTR = `
int example_notify(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	int error = 0;

	inode_lock(inode);
	if (!(attr->ia_valid & ATTR_DELEG)) {
		error = try_break_deleg(inode, delegated_inode);
		if (error)
			goto out;
	}
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
out:
	inode_unlock(inode);
	return error;
}
`;

test('from code: a setattr on behalf of the delegation holder (ATTR_DELEG) does not break and is no violation', () => {
  const { r, findings } = simText('example_notify', ATTR_DELEG_SETATTR);
  assert.deepEqual(
    findings.map((f) => f.ruleId),
    [],
  );
  assert.equal(r.verdict, 'safe', r.message);
  // Without the exemption the unbroken path is a violation, for both.
  const plain = simText('example_notify', ATTR_DELEG_SETATTR.replace('ATTR_DELEG', 'ATTR_MODE'));
  assert.ok(plain.findings.some((f) => f.ruleId === 'deleg/missing-break'));
  assert.equal(plain.r.invariant, 'deleg-change');
});

test('from code: display names are kernel spellings', () => {
  assert.equal(displayName('fh.fh_dentry.d_inode.d_inode'), 'd_inode(fh->fh_dentry)');
  assert.equal(displayName('rd.old_dentry.d_inode'), 'd_inode(rd->old_dentry)');
  assert.equal(displayName('target'), 'target');
  assert.equal(displayName('ctx.flc_lock'), 'ctx->flc_lock');
});

test('from code: an unknown function is an error', () => {
  const path = join(EX, 'missing_break.c');
  const o = simulateFunction(analyzer, path, readFileSync(path, 'utf8'), 'no_such_function');
  assert.ok('error' in o && /no function 'no_such_function'/.test(o.error));
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

test('CLI: exit 1 and the JSON shape for a violation', async () => {
  const { code, out } = await cli(['simulate', 'builtin:rename-vs-grant-pre313', '--format', 'json']);
  assert.equal(code, 1);
  const j = JSON.parse(out);
  assert.equal(j.version, 1);
  assert.equal(j.scenario, 'builtin:rename-vs-grant-pre313');
  assert.equal(j.verdict, 'violation');
  assert.equal(j.invariant, 'deleg-change');
  assert.ok(Number.isInteger(j.states) && typeof j.ms === 'number');
  for (const s of j.trace) {
    assert.deepEqual(
      Object.keys(s).filter((k) => !['thread', 'action', 'detail', 'file', 'line'].includes(k)),
      [],
    );
  }
  assert.equal(j.trace.at(-1).action, 'vfs_rename');
});

test('CLI: exit 0 for a safe scenario, text output names the verdict and the counts', async () => {
  const { code, out } = await cli(['simulate', 'builtin:rename-vs-grant-313']);
  assert.equal(code, 0);
  assert.match(out, /SAFE: 5 invariants hold in every interleaving/);
  assert.match(out, /\d+ states, \d+ transitions, [\d.]+ ms/);
});

test('CLI: --list, --set, --kernel, file.c:function and .vfsrace files', async () => {
  const list = await cli(['simulate', '--list']);
  assert.equal(list.code, 0);
  assert.deepEqual(
    list.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]),
    BUILTINS.map((b) => b.name),
  );
  assert.equal((await cli(['simulate', 'builtin:regrant-window', '--set', 'recall_block=on'])).code, 0);
  assert.equal((await cli(['simulate', 'builtin:open-vs-grant', '--kernel', '4.19'])).code, 0);
  const fn = await cli(['simulate', `${join(EX, 'missing_break.c')}:example_set_mode`, '--format', 'json']);
  assert.equal(fn.code, 1);
  const j = JSON.parse(fn.out);
  assert.ok(
    j.trace.some((s: { file?: string; line?: number }) => s.file === join(EX, 'missing_break.c') && s.line === 11),
  );
  const dir = mkdtempSync(join(tmpdir(), 'vfsrace-'));
  writeFileSync(join(dir, 'ok.vfsrace'), 'inode f : file\nthread t {\n  lock f\n  setattr f\n  unlock f\n}\n');
  assert.equal((await cli(['simulate', join(dir, 'ok.vfsrace')])).code, 0);
});

test('CLI: exit 2 with a message for bad input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vfsrace-'));
  writeFileSync(join(dir, 'bad.vfsrace'), 'inode f : file\nthread t {\n  lokc f\n}\n');
  const bad = await cli(['simulate', join(dir, 'bad.vfsrace')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.vfsrace:3:3: error: unknown statement 'lokc'/);
  for (const args of [
    ['simulate'],
    ['simulate', 'builtin:nope'],
    ['simulate', 'x.txt'],
    ['simulate', join(dir, 'missing.vfsrace')],
    ['simulate', 'builtin:rename-vs-grant-313', '--format', 'xml'],
    ['simulate', 'builtin:rename-vs-grant-313', '--set', 'bogus'],
    ['simulate', 'builtin:rename-vs-grant-313', '--set', 'lease_break_time=soon'],
    ['simulate', 'builtin:inode-field-cost', '--set', 'files=-3'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.ok(r.err.length > 0);
  }
});

test('protocol: messages are validated on receipt', () => {
  const o = simulateBuiltin('rename-vs-grant-pre313');
  assert.ok('result' in o);
  const result = JSON.parse(JSON.stringify(o.result));
  assert.equal(isHostMessage({ type: 'show', result }), true);
  assert.equal(isHostMessage({ type: 'show', result: { ...result, trace: [{ index: 'x' }] } }), false);
  assert.equal(isHostMessage({ type: 'show', result, startStep: 1.5 }), false);
  assert.equal(isHostMessage({ type: 'eval', code: '1' }), false);
  assert.equal(isWebviewMessage({ type: 'reveal', file: 'a.c', line: 3 }), true);
  assert.equal(isWebviewMessage({ type: 'reveal', file: 'a.c', line: 0 }), false);
  assert.equal(isWebviewMessage({ type: 'reveal', file: '', line: 3 }), false);
  assert.equal(isWebviewMessage({ type: 'export', format: 'pdf', content: '', suggestedName: 'x' }), false);
  assert.equal(isWebviewMessage(null), false);
});
