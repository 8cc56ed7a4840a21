/** Settings parsing and include/exclude globs (src/extension/pure/settings.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisChanged, checkOptionsOf, DEFAULT_SETTINGS, FileFilter, globToRegExp, parseSettings } from '../../../src/extension/pure/settings';

test('defaults when nothing is set', () => {
  const { settings, problems } = parseSettings({});
  assert.deepEqual(settings, { ...DEFAULT_SETTINGS });
  assert.deepEqual(problems, []);
  assert.deepEqual(checkOptionsOf(settings), { kernel: 'auto', severity: {} });
});

test('values as VS Code returns them', () => {
  const { settings, problems } = parseSettings({
    enable: false, kernel: ' 6.19 ', rulesFile: 'rules/myfs.json', severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' },
    include: ['fs/**/*.c'], exclude: [], debounceMs: 100.4, codeLens: false,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, {
    enable: false, kernel: '6.19', rulesFile: 'rules/myfs.json', severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' },
    include: ['fs/**/*.c'], exclude: [], debounceMs: 100, codeLens: false,
  });
  assert.deepEqual(checkOptionsOf(settings), { kernel: '6.19', severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' } });
});

test('bad values fall back to defaults and are reported with the setting name', () => {
  const { settings, problems } = parseSettings({
    enable: 'yes', kernel: 'latest', severity: { 'deleg/nope': 'off', 'lock/imbalance': 'fatal' }, include: 'x.c', debounceMs: 'soon',
  });
  assert.equal(settings.enable, true);
  assert.equal(settings.kernel, 'auto');
  assert.deepEqual(settings.severity, {});
  assert.deepEqual(settings.include, DEFAULT_SETTINGS.include);
  assert.equal(settings.debounceMs, DEFAULT_SETTINGS.debounceMs);
  assert.deepEqual(problems.map((p) => p.setting), [
    'vfsLockReview.enable', 'vfsLockReview.kernel', 'vfsLockReview.severity', 'vfsLockReview.severity', 'vfsLockReview.include', 'vfsLockReview.debounceMs',
  ]);
  assert.match(problems[3].message, /"lock\/imbalance": "fatal" is not one of error, warning, info, off/);
});

test('debounce is clamped to 0..5000 ms', () => {
  assert.equal(parseSettings({ debounceMs: -5 }).settings.debounceMs, 0);
  assert.equal(parseSettings({ debounceMs: 1e9 }).settings.debounceMs, 5000);
});

test('which changes need a re-check', () => {
  const a = parseSettings({}).settings;
  assert.equal(analysisChanged(a, { ...a, debounceMs: 10, codeLens: false }), false);
  assert.equal(analysisChanged(a, { ...a, kernel: '6.19' }), true);
  assert.equal(analysisChanged(a, { ...a, severity: { 'lock/imbalance': 'off' } }), true);
  assert.equal(analysisChanged(a, { ...a, exclude: ['**/x/**'] }), true);
});

test('globs: ** spans folders, * and ? stay in one, {a,b} and [..] work', () => {
  assert.ok(globToRegExp('**/*.c').test('fs/namei.c'));
  assert.ok(globToRegExp('**/*.c').test('namei.c'));
  assert.ok(!globToRegExp('**/*.c').test('fs/namei.cc'));
  assert.ok(globToRegExp('fs/*.c').test('fs/namei.c'));
  assert.ok(!globToRegExp('fs/*.c').test('fs/nfsd/vfs.c'));
  assert.ok(globToRegExp('fs/**').test('fs/nfsd/vfs.c'));
  assert.ok(globToRegExp('**/{nfsd,smb}/**').test('fs/smb/server/vfs.c'));
  assert.ok(globToRegExp('v?.c').test('v6.c'));
  assert.ok(globToRegExp('[a-c]*.h').test('attr.h'));
  assert.ok(!globToRegExp('[!a-c]*.h').test('attr.h'));
  assert.ok(globToRegExp('a+b.c').test('a+b.c'));
});

test('include then exclude; patterns without / match the base name', () => {
  const f = new FileFilter(DEFAULT_SETTINGS.include, DEFAULT_SETTINGS.exclude);
  assert.ok(f.matches('fs/namei.c'));
  assert.ok(f.matches('include/linux/fs.h'));
  assert.ok(!f.matches('fs/namei.o'));
  assert.ok(!f.matches('node_modules/x/y.c'));
  assert.ok(!f.matches('.git/a.c'));
  const g = new FileFilter(['*.c'], ['*_test.c', 'drivers/**']);
  assert.ok(g.matches('fs/nfsd/vfs.c'));
  assert.ok(!g.matches('fs/nfsd/vfs_test.c'));
  assert.ok(!g.matches('drivers/x.c'));
  assert.ok(g.matches('./fs\\attr.c'), 'Windows separators and ./ are normalised');
});
