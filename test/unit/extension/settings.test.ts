/** Settings parsing and include/exclude globs (src/service/settings.ts, src/core/glob.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  analysisChanged,
  checkOptionsOf,
  DEFAULT_SETTINGS,
  effectiveSetting,
  FileFilter,
  MAX_PATTERNS,
  notificationText,
  parseSettings,
  workspaceRelativePath,
} from '../../../src/service/settings';
import { Glob, GlobError, MAX_GLOB_LENGTH } from '../../../src/core/glob';

const globToRegExp = (g: string) => ({ test: (p: string) => Glob.compile(g).matches(p) });

test('defaults when nothing is set', () => {
  const { settings, problems } = parseSettings({});
  assert.deepEqual(settings, { ...DEFAULT_SETTINGS });
  assert.deepEqual(problems, []);
  assert.deepEqual(checkOptionsOf(settings), { kernel: 'auto', severity: {} });
});

test('values as VS Code returns them', () => {
  const { settings, problems } = parseSettings({
    enable: false,
    kernel: ' 6.19 ',
    rulesFile: 'rules/myfs.json',
    severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' },
    include: ['fs/**/*.c'],
    exclude: [],
    debounceMs: 100.4,
    codeLens: false,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, {
    enable: false,
    kernel: '6.19',
    rulesFile: 'rules/myfs.json',
    rulesFileOrigin: 'user',
    severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' },
    include: ['fs/**/*.c'],
    exclude: [],
    debounceMs: 100,
    codeLens: false,
  });
  assert.deepEqual(checkOptionsOf(settings), {
    kernel: '6.19',
    severity: { 'deleg/null-delegated-inode': 'off', 'lock/imbalance': 'error' },
  });
});

test('bad values fall back to defaults and are reported with the setting name', () => {
  const { settings, problems } = parseSettings({
    enable: 'yes',
    kernel: 'latest',
    severity: { 'deleg/nope': 'off', 'lock/imbalance': 'fatal' },
    include: 'x.c',
    debounceMs: 'soon',
  });
  assert.equal(settings.enable, true);
  assert.equal(settings.kernel, 'auto');
  assert.deepEqual(settings.severity, {});
  assert.deepEqual(settings.include, DEFAULT_SETTINGS.include);
  assert.equal(settings.debounceMs, DEFAULT_SETTINGS.debounceMs);
  assert.deepEqual(
    problems.map((p) => p.setting),
    [
      'vfsLockReview.enable',
      'vfsLockReview.kernel',
      'vfsLockReview.severity',
      'vfsLockReview.severity',
      'vfsLockReview.include',
      'vfsLockReview.debounceMs',
    ],
  );
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

/** The regex translation the extension used before src/core/glob.ts (a reference for small inputs only: it backtracks). */
function referenceRegExp(glob: string): RegExp {
  let re = '';
  let inGroup = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += glob[i + 2] === '/' ? 2 : 1;
          continue;
        }
        i += 1;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inGroup++;
      re += '(?:';
    } else if (c === '}' && inGroup) {
      inGroup--;
      re += ')';
    } else if (c === ',' && inGroup) re += '|';
    else if (c === '[') {
      const j = glob.indexOf(']', i + 1);
      // Classes never match '/' in the new matcher (the old one let `[!a]` or `[/]` match it).
      if (j < 0) re += '\\[';
      else {
        const cls = glob.slice(i + 1, j);
        re += cls.startsWith('!') ? `[^/${cls.slice(1)}]` : `(?!/)[${cls}]`;
        i = j;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

test('globs: the linear matcher agrees with the old RegExp translation on random patterns and paths', () => {
  const token = fc.constantFrom(
    'a',
    'b',
    '.',
    '/',
    '*',
    '**',
    '**/',
    '/**',
    '?',
    '[ab]',
    '[!a]',
    '[a-c]',
    '{a,b}',
    '{a/,}',
    '{*.c,b{a,}}',
    'x+',
    '[',
    '}',
    ',',
  );
  const pattern = fc.array(token, { maxLength: 7 }).map((xs) => xs.join(''));
  const path = fc
    .array(fc.constantFrom('a', 'b', 'c', '.', '/', 'x+', '['), { maxLength: 10 })
    .map((xs) => xs.join(''));
  fc.assert(
    fc.property(pattern, fc.array(path, { minLength: 1, maxLength: 8 }), (g, paths) => {
      const ref = referenceRegExp(g);
      const glob = Glob.compile(g);
      for (const p of paths) assert.equal(glob.matches(p), ref.test(p), `${JSON.stringify(g)} on ${JSON.stringify(p)}`);
    }),
    { numRuns: 3000 },
  );
});

test('globs: "**/" twenty times then "*.q" (13 s per path as a RegExp) is matched in linear time', () => {
  const hostile = '**/'.repeat(20) + '*.q';
  // The paths of 24 opened files, ten folders deep (what the issue measured), then much deeper ones.
  const paths = Array.from({ length: 24 }, (_, i) => `${'a/'.repeat(10)}f${i}.c`);
  const deep = Array.from({ length: 24 }, (_, i) => `${'dir/'.repeat(500)}f${i}.c`);
  const t0 = performance.now();
  const f = new FileFilter([hostile], []);
  for (const p of paths) assert.equal(f.matches(p), false);
  const shallow = performance.now() - t0;
  for (const p of deep) assert.equal(f.matches(p), false);
  assert.equal(f.matches(`${'a/'.repeat(25)}x.q`), true, 'the pattern still matches what it should');
  const all = performance.now() - t0;
  console.log(
    `# ${hostile}: 24 paths 10 folders deep in ${shallow.toFixed(2)} ms; plus 24 paths 500 deep: ${all.toFixed(1)} ms in all`,
  );
  assert.ok(shallow < 250, `24 shallow paths took ${shallow.toFixed(0)} ms`);
  assert.ok(all < 2000, `all paths took ${all.toFixed(0)} ms`);
  // The largest pattern allowed, of nested alternatives and stars, against a 4096-character path: still bounded.
  const big = ('{*a*,**/' + '?'.repeat(8) + '}').repeat(Math.floor(MAX_GLOB_LENGTH / 20));
  const t1 = performance.now();
  assert.equal(Glob.compile(big).matches('ab/'.repeat(1365)), false);
  const bigMs = performance.now() - t1;
  assert.ok(bigMs < 2000, `the largest pattern took ${bigMs.toFixed(0)} ms`);
});

test('globs: a bad pattern is reported naming the setting and left out; the others still apply', () => {
  const { settings, problems } = parseSettings({
    include: ['**/*.c', 'fs/{a,b', '[z-a].c', '[]x', '[!]y'],
    exclude: ['**/gen/**', '{{{'],
  });
  assert.deepEqual(settings.include, ['**/*.c']);
  assert.deepEqual(settings.exclude, ['**/gen/**']);
  assert.deepEqual(
    problems.map((p) => p.setting),
    [
      'vfsLockReview.include',
      'vfsLockReview.include',
      'vfsLockReview.include',
      'vfsLockReview.include',
      'vfsLockReview.exclude',
    ],
  );
  assert.match(
    problems[0].message,
    /^pattern "fs\/\{a,b" is not used: it has a "\{" that is never closed \(column 4\)$/,
  );
  assert.match(problems[1].message, /reversed range "z-a"/);
  assert.match(problems[2].message, /empty character class/);
  const f = new FileFilter(settings.include, settings.exclude);
  assert.ok(f.matches('fs/namei.c') && !f.matches('gen/x.c'));
  // The filter itself never throws on a bad pattern (it used to build an invalid RegExp and stop all diagnostics).
  assert.doesNotThrow(() => new FileFilter(['fs/{a,b', '[z-a]'], ['{']));
  assert.equal(new FileFilter(['fs/{a,b', '**/*.c'], ['{']).matches('fs/x.c'), true);
  assert.throws(() => Glob.compile('a{b'), GlobError);
});

test('globs: too long a pattern, or too many, is reported', () => {
  const long = 'a'.repeat(MAX_GLOB_LENGTH + 1);
  const r = parseSettings({ include: [long, '*.c'] });
  assert.deepEqual(r.settings.include, ['*.c']);
  assert.match(r.problems[0].message, /is longer than 1024 characters/);
  assert.ok(r.problems[0].message.length < 200, 'the message quotes a shortened pattern');
  const many = Array.from({ length: MAX_PATTERNS + 5 }, (_, i) => `f${i}.c`);
  const m = parseSettings({ exclude: many });
  assert.equal(m.settings.exclude.length, MAX_PATTERNS);
  assert.match(m.problems[0].message, /has 69 patterns; only the first 64 are used/);
});

test('untrusted workspace: workspace values of rulesFile/baseTree are ignored, user values kept', () => {
  const both = { globalValue: '/home/me/rules.json', workspaceValue: 'ws.json', workspaceFolderValue: 'folder.json' };
  assert.deepEqual(effectiveSetting(both, true), { value: 'folder.json', origin: 'workspace' });
  assert.deepEqual(effectiveSetting({ ...both, workspaceFolderValue: undefined }, true), {
    value: 'ws.json',
    origin: 'workspace',
  });
  assert.deepEqual(effectiveSetting(both, false), {
    value: '/home/me/rules.json',
    origin: 'user',
    ignored: 'folder.json',
  });
  assert.deepEqual(effectiveSetting({ workspaceValue: '/etc/evil.json' }, false), {
    value: undefined,
    origin: 'default',
    ignored: '/etc/evil.json',
  });
  assert.deepEqual(effectiveSetting({ workspaceValue: '' }, false), { value: undefined, origin: 'default' });
  assert.deepEqual(effectiveSetting(undefined, false), { value: undefined, origin: 'default' });
  // parseSettings keeps the origin, and a change of origin alone re-checks.
  const ws = parseSettings({ rulesFile: 'r.json', rulesFileOrigin: 'workspace' }).settings;
  assert.equal(ws.rulesFileOrigin, 'workspace');
  assert.equal(parseSettings({ rulesFile: '', rulesFileOrigin: 'workspace' }).settings.rulesFileOrigin, 'default');
  assert.ok(analysisChanged(ws, { ...ws, rulesFileOrigin: 'user' }));
});

test('workspace rule files: only relative paths that stay inside the folder', () => {
  const ok = (p: string) => {
    const r = workspaceRelativePath(p);
    assert.ok('segments' in r, `${p}: ${'error' in r ? r.error : ''}`);
    return r.segments.join('/');
  };
  assert.equal(ok('rules.json'), 'rules.json');
  assert.equal(ok('./.vscode/rules.json'), '.vscode/rules.json');
  assert.equal(ok('a/../b/r.json'), 'b/r.json');
  assert.equal(ok('a\\b\\r.json'), 'a/b/r.json');
  const refused: [string, RegExp][] = [
    ['/etc/passwd', /absolute path/],
    ['\\\\server\\share\\r.json', /absolute path/],
    ['C:\\rules.json', /absolute path/],
    ['c:rules.json', /absolute path/],
    ['file:///etc/passwd', /URI/],
    ['https://example.com/r.json', /URI/],
    ['vscode-remote://x/r.json', /URI/],
    ['untitled:r', /URI/],
    ['../outside.json', /leads out of the workspace folder/],
    ['a/../../outside.json', /leads out/],
    ['./..', /leads out/],
    ['~/rules.json', /starts with "~"/],
    ['.', /folder itself/],
    ['a/..', /folder itself/],
    ['r\u0000.json', /control character/],
    ['r\n.json', /control character/],
  ];
  for (const [p, why] of refused) {
    const r = workspaceRelativePath(p);
    assert.ok('error' in r && why.test(r.error), `${JSON.stringify(p)}: ${JSON.stringify(r)}`);
  }
});

test('notification text: a quoted value cannot become a command link, and stays on one line', () => {
  const hostile = 'pattern "[Open](command:workbench.action.terminal.new) [x](https://evil.example)\n\u001b[2J\u202e"';
  const t = notificationText(hostile);
  assert.ok(!/\]\((command|https?|file):/.test(t), t);
  assert.ok(!/[\n\r\u001b\u202e]/.test(t), t);
  assert.match(t, /\[Open\] \(command:workbench/);
});
