/**
 * The kernel-workflow switches of the CLI, through the built `vfslock` (dist/cli.js) and, where a terminal or the
 * environment must be faked, through `main()` with an injected Io: checkpatch.pl's --terse, --emacs, --showfile,
 * -q, --no-summary and --mailback; GCC note lines read by vim's quickfix; --no-color and NO_COLOR; --exit-zero;
 * --help per command; `check -` with --stdin-filename; `check --kbuild` run by make as kbuild runs $(CHECK); the
 * command line b4 runs per patch (patch on standard input); progress on a terminal; and what a bare start loads.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { buggySetattr } from '../helpers/buggy';
import { makeSeries, type Series } from '../helpers/patch-series';
import { main, type Io } from '../../src/cli/main';
import { parseKbuildArgs } from '../../src/cli/kbuild';
import { withKbuildTree } from '../../src/cli/commands/check';
import { Progress } from '../../src/cli/progress';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

function run(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string | undefined> } = {},
) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: undefined, ...opts.env },
    timeout: 120000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** main() with a fake terminal; what it wrote to each stream. */
async function inProcess(args: string[], io: Partial<Io> = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {}, ...io });
  return { code, out, err };
}

const has = (cmd: string, args: string[] = ['--version']) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;

const CLEAN_F = `int f(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;
	inode_lock(inode);
	error = try_break_deleg(inode, NULL);
	if (!error)
		error = simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}
`;
const BUGGY = '\n' + buggySetattr(); // the finding: line 7, column 10; its note: line 6, column 2
const CLEAN = `int g(void)\n{\n\treturn 0;\n}\n`;
// A function whose SARIF fix declares the delegated inode as the tree's kernel spells it (6.19: a struct).
const ERA_619 = 'struct delegated_inode delegated_inode = { };';
const ERA_OLD = 'struct inode *delegated_inode = NULL;';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-switches-'));
  writeFileSync(join(dir, 'buggy.c'), BUGGY);
  writeFileSync(join(dir, 'clean.c'), CLEAN);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check: checkpatch-style output switches', () => {
  test('--terse: one FILE:LINE: SEVERITY: rule: message line per finding, no note lines', () => {
    const r = run(['check', '--terse', '--no-summary', join(dir, 'buggy.c'), join(dir, 'clean.c')]);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(dir, 'D')),
      [
        `D/buggy.c:7: ERROR: deleg/missing-break: f: simple_setattr changes attributes of inode without first breaking inode's delegation.`,
      ],
    );
    const withSummary = run(['check', '--terse', join(dir, 'buggy.c')]);
    assert.equal(withSummary.out.split('\n').filter(Boolean).length, 2);
    assert.match(withSummary.out, /^1 file\(s\), 1 error\(s\)/m);
  });

  test('-q: a clean run prints nothing; findings still come with the count line', () => {
    const clean = run(['check', '-q', join(dir, 'clean.c')]);
    assert.equal(clean.code, 0);
    assert.equal(clean.out, '');
    const buggy = run(['check', '--quiet', join(dir, 'buggy.c')]);
    assert.equal(buggy.code, 1);
    assert.match(buggy.out, /buggy\.c:7:10: error: /);
    assert.match(buggy.out, /^1 file\(s\), 1 error\(s\)/m);
  });

  test('--no-summary drops the count line; --mailback is silent only when clean', () => {
    const ns = run(['check', '--no-summary', join(dir, 'buggy.c')]);
    assert.doesNotMatch(ns.out, /file\(s\)/);
    assert.equal(ns.out.trimEnd().split('\n').length, 2, 'the finding and its note');
    const mb = run(['check', '--mailback', join(dir, 'clean.c')]);
    assert.equal(mb.code, 0);
    assert.equal(mb.out, '');
    const mbBuggy = run(['check', '--mailback', join(dir, 'buggy.c')]);
    assert.match(mbBuggy.out, /buggy\.c:7:10: error: .*\n.*buggy\.c:6:2: note: .*\n1 file/);
    // An unreadable path is not clean: --mailback still reports it.
    const missing = run(['check', '--mailback', join(dir, 'missing.c')]);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /missing\.c: error: no such file/);
  });

  test('related places are GCC note lines, unindented, with a column', () => {
    const r = run(['check', join(dir, 'buggy.c')]);
    const notes = r.out.split('\n').filter((l) => l.includes(': note: '));
    assert.equal(notes.length, 1);
    assert.equal(notes[0], `${join(dir, 'buggy.c')}:6:2: note: inode locked here (inode_lock)`);
  });
});

describe('colour, exit status, help', () => {
  test('colour on a terminal; off with --no-color, with NO_COLOR set non-empty, and on a pipe; --color forces it', async () => {
    const file = join(dir, 'buggy.c');
    const esc = /\u001b\[/;
    assert.match((await inProcess(['check', file], { isTTY: true })).out, esc);
    assert.doesNotMatch((await inProcess(['check', '--no-color', file], { isTTY: true })).out, esc);
    assert.doesNotMatch((await inProcess(['check', file], { isTTY: true, env: { NO_COLOR: '1' } })).out, esc);
    // no-color.org: an empty NO_COLOR does not count.
    assert.match((await inProcess(['check', file], { isTTY: true, env: { NO_COLOR: '' } })).out, esc);
    assert.doesNotMatch((await inProcess(['check', file], { isTTY: false })).out, esc);
    // Emacs's M-x compile (a pseudo-terminal, INSIDE_EMACS="<version>,compile"): off; its shell (comint) shows colour.
    assert.doesNotMatch(
      (await inProcess(['check', file], { isTTY: true, env: { INSIDE_EMACS: '29.1,compile' } })).out,
      esc,
    );
    assert.match((await inProcess(['check', file], { isTTY: true, env: { INSIDE_EMACS: '29.1,comint' } })).out, esc);
    assert.match((await inProcess(['check', '--color', file], { isTTY: false })).out, esc);
    assert.doesNotMatch(
      (await inProcess(['check', '--color', '--no-color', file], { isTTY: true })).out,
      esc,
      '--no-color wins',
    );
    // The process environment is read when the Io brings none.
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = 'yes';
    try {
      assert.doesNotMatch((await inProcess(['check', file], { isTTY: true, env: undefined })).out, esc);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
    // An explicit --color beats the environment.
    assert.match(run(['check', '--color', file], { env: { NO_COLOR: '1' } }).out, esc);
  });

  test('--exit-zero: findings exit 0 and are still printed; unusable input still exits 2', () => {
    const r = run(['check', '--exit-zero', join(dir, 'buggy.c')]);
    assert.equal(r.code, 0);
    assert.match(r.out, /error: /);
    assert.equal(run(['check', '--exit-zero', join(dir, 'missing.c')]).code, 2);
  });

  test("--help and -h on every command print that command's usage and exit 0", () => {
    for (const [cmd, first] of [
      ['check', /^Usage: vfslock check /],
      ['review', /^Usage: vfslock review /],
      ['simulate', /^Usage:\n {2}vfslock simulate /],
    ] as const) {
      for (const flag of ['--help', '-h']) {
        const r = run([cmd, flag]);
        assert.equal(r.code, 0, `${cmd} ${flag}: ${r.err}`);
        assert.match(r.out, first, `${cmd} ${flag}`);
        assert.equal(r.err, '');
      }
    }
    assert.match(run(['help', 'review']).out, /^Usage: vfslock review /);
    assert.match(run(['check', '--help']).out, /--stdin-filename/);
    assert.match(run(['review', '--help']).out, /--terse .*\n.*--emacs/);
  });

  test('simulate takes --no-color and --exit-zero', () => {
    const v = run(['simulate', 'builtin:rename-vs-grant-pre313', '--no-color']);
    assert.equal(v.code, 1, v.err);
    assert.doesNotMatch(v.out, /\u001b/);
    assert.equal(run(['simulate', 'builtin:rename-vs-grant-pre313', '--exit-zero']).code, 0);
  });
});

describe('check - (standard input)', () => {
  test('the text is read from standard input; --stdin-filename names it in the output', () => {
    const named = run(['check', '-', '--stdin-filename', 'fs/x.c'], { input: BUGGY });
    assert.equal(named.code, 1, named.err);
    assert.match(named.out, /^fs\/x\.c:7:10: error: .*\nfs\/x\.c:6:2: note: /);
    const anon = run(['check', '-'], { input: BUGGY });
    assert.match(anon.out, /^<stdin>:7:10: error: /);
    const clean = run(['check', '-q', '-'], { input: CLEAN });
    assert.equal(clean.code, 0);
    assert.equal(clean.out, '');
  });

  test("--stdin-filename places the text in its kernel tree: the tree's version decides the fix offered", () => {
    const tree = join(dir, 'linux');
    mkdirSync(join(tree, 'fs'), { recursive: true });
    mkdirSync(join(tree, 'include'), { recursive: true });
    writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 19\nSUBLEVEL = 0\n');
    const inTree = run(['check', '--format', 'sarif', '-', '--stdin-filename', 'linux/fs/x.c'], {
      input: BUGGY,
      cwd: dir,
    });
    assert.ok(inTree.out.includes(ERA_619), inTree.out.slice(0, 400));
    const outside = run(['check', '--format', 'sarif', '-', '--stdin-filename', 'elsewhere/x.c'], {
      input: BUGGY,
      cwd: dir,
    });
    assert.ok(outside.out.includes(ERA_OLD) && !outside.out.includes(ERA_619));
  });

  test('misuse is a usage error; binary input is unreadable input', () => {
    assert.equal(run(['check', '-', join(dir, 'clean.c')], { input: CLEAN }).code, 2);
    assert.match(
      run(['check', '--stdin-filename', 'x.c', join(dir, 'clean.c')]).err,
      /--stdin-filename names standard input/,
    );
    const bin = run(['check', '-'], { input: Buffer.from([0x69, 0x6e, 0x74, 0, 0x20]) });
    assert.equal(bin.code, 2);
    assert.match(bin.out, /^<stdin>: error: binary file/m);
  });

  test('standard input over the 4 MB file limit is refused without being kept', () => {
    const t0 = Date.now();
    const big = run(['check', '-'], { input: Buffer.alloc(4 * 1024 * 1024 + 4096, 0x20) });
    assert.equal(big.code, 2);
    assert.match(big.out, /^<stdin>: error: standard input is too large to analyse \(over 4 MB\): not read$/m);
    assert.ok(Date.now() - t0 < 60000);
  });

  test('a hostile --stdin-filename cannot forge a --terse line or reach the terminal', () => {
    const name = 'x.c\nforged.c:1: ERROR: all clear\u001b[2K\u202e';
    const r = run(['check', '--terse', '--no-summary', '-', '--stdin-filename', name], { input: BUGGY });
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.out);
    assert.ok(
      lines[0].startsWith('x.c\\nforged.c:1: ERROR: all clear\\x1b[2K\\u{202E}:7: ERROR: deleg/missing-break: '),
      lines[0],
    );
  });
});

describe('check --kbuild', () => {
  // What scripts/Makefile.build passes: $(CHECK) $(CHECKFLAGS) $(c_flags) $<.
  const CHECKFLAGS =
    '-D__linux__ -Dlinux -D__STDC__ -Dunix -D__unix__ -Wbitwise -Wno-return-void -Wno-unknown-attribute --arch=x86 -mlittle-endian -m64';
  const C_FLAGS = [
    '-Wp,-MMD,fs/.$(notdir $(basename $<)).o.d -nostdinc -I./arch/x86/include -I ./include -isystem /usr/lib/gcc/include',
    '-include ./include/linux/buggy.h -imacros ./include/linux/buggy.h -D__KERNEL__ -D KBUILD_BASENAME=\'"x"\' -U X',
    '-std=gnu11 -fshort-wchar -funsigned-char -fno-common -fno-PIE -fno-strict-aliasing -mno-sse -O2 -Werror',
    '--param=allow-store-data-races=0 --param ssp-buffer-size=4 -x c -MF ./include/linux/buggy.h -o fs/out.o',
    '-DKBUILD_MODFILE=\'"fs/x"\' -DKBUILD_MODNAME=\'"x"\' -D__KBUILD_MODNAME=kmod_x',
  ].join(' ');

  test('flags with a separate argument consume it; the source file is what is left', () => {
    const k = parseKbuildArgs([
      '--kbuild',
      '-D',
      'X',
      '-include',
      'a.c',
      '-I',
      'inc',
      '-Iinc2',
      '--param',
      'p=1',
      '-o',
      'o.c',
      '--arch=x86',
      '-Wp,-MMD,x.d',
      '--kernel',
      '6.12',
      '--rules=r.json',
      'src.c',
    ]);
    assert.ok(typeof k !== 'string');
    assert.deepEqual(k.files, ['src.c']);
    assert.deepEqual(k.includeDirs, ['inc', 'inc2']);
    assert.deepEqual(k.values, { kbuild: true, kernel: '6.12', rules: ['r.json'] });
    assert.equal(parseKbuildArgs(['--kbuild', '--kernel']), '--kernel needs a value');
  });

  const skipMake = !has('make') && 'make is not installed';
  test(
    'through make, as kbuild runs $(CHECK): GCC lines on stderr with the path as given, exit 0 unless --Werror',
    { skip: skipMake },
    () => {
      const k = join(dir, 'kbuild');
      mkdirSync(join(k, 'fs'), { recursive: true });
      mkdirSync(join(k, 'include', 'linux'), { recursive: true });
      writeFileSync(join(k, 'fs', 'a.c'), BUGGY);
      writeFileSync(join(k, 'fs', 'b.c'), CLEAN);
      // Would be reported if an option's argument were taken for a file to check.
      writeFileSync(join(k, 'include', 'linux', 'buggy.h'), buggySetattr('h'));
      writeFileSync(
        join(k, 'Makefile'),
        [
          'CHECK ?= sparse',
          `CHECKFLAGS := ${CHECKFLAGS}`,
          `c_flags = ${C_FLAGS}`,
          'fs/%.o: fs/%.c',
          '\t$(CHECK) $(CHECKFLAGS) $(c_flags) $<',
          '',
        ].join('\n'),
      );
      const make = (check: string) =>
        spawnSync('make', ['-s', '-k', `CHECK=${check}`, 'fs/a.o', 'fs/b.o'], {
          cwd: k,
          encoding: 'utf8',
          timeout: 120000,
          env: { ...process.env, NO_COLOR: undefined },
        });
      const cli = `${process.execPath} ${CLI} check --kbuild`;
      const r = make(cli);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.deepEqual(r.stderr.trimEnd().split('\n'), [
        `fs/a.c:7:10: error: f: simple_setattr changes attributes of inode without first breaking inode's delegation. [deleg/missing-break]`,
        'fs/a.c:6:2: note: inode locked here (inode_lock)',
      ]);
      const w = make(`${cli} --Werror`);
      assert.notEqual(w.status, 0, "make stops on the checker's exit status");
      assert.match(w.stderr, /^fs\/a\.c:7:10: error: /m);
      assert.doesNotMatch(w.stderr + r.stderr, /buggy\.h|fs\/b\.c|out\.o/);
    },
  );

  test('an external module outside the tree takes the version of the tree its -I directories are in', () => {
    const tree = join(dir, 'linux-ext');
    mkdirSync(join(tree, 'fs'), { recursive: true });
    mkdirSync(join(tree, 'include'), { recursive: true });
    writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 19\nSUBLEVEL = 0\n');
    const mod = join(dir, 'module.c');
    assert.equal(withKbuildTree(mod, { kernel: 'auto' }, [join(tree, 'include')]).treeVersion, '6.19');
    assert.equal(withKbuildTree(mod, { kernel: 'auto' }, [join(dir, 'nowhere')]).treeVersion, undefined);
    assert.equal(
      withKbuildTree(mod, { kernel: '3.12' }, [join(tree, 'include')]).treeVersion,
      undefined,
      '--kernel wins',
    );
  });
});

describe('review: checkpatch-style output switches', () => {
  let s: Series;
  let comment: Series;
  before(() => {
    s = makeSeries({ 'fs/a.c': '\n' + CLEAN_F }, [
      { subject: 'fs: drop the break', files: { 'fs/a.c': BUGGY } },
      { subject: 'fs: restore the break', files: { 'fs/a.c': '\n' + CLEAN_F } },
    ]);
    comment = makeSeries({ 'fs/a.c': '\n' + CLEAN_F }, [
      { subject: 'fs: a comment', files: { 'fs/a.c': '/* a comment */\n' + CLEAN_F } },
    ]);
  });
  after(() => {
    s?.cleanup();
    comment?.cleanup();
  });
  /** The patch-input line of the `+` line that adds the unbroken simple_setattr call. */
  const addedAt = () =>
    readFileSync(s.mbox, 'utf8')
      .split('\n')
      .findIndex((l) => l === '+\terror = simple_setattr(&nop_mnt_idmap, dentry, attr);') + 1;
  const MSG = `deleg/missing-break: f: simple_setattr changes attributes of inode without first breaking inode's delegation.`;

  test('--terse: one PATCH:LINE: ERROR: line per introduced finding, then the series count', () => {
    const r = run(['review', '--tree', s.tree, '--terse', s.mbox]);
    assert.equal(r.code, 1, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.out);
    assert.equal(lines[0], `${s.mbox}:${addedAt()}: ERROR: ${MSG}`);
    assert.match(lines[1], /^2 patches \(2 applied\): 1 introduced \(1 error\), 1 fixed, /);
    assert.equal(run(['review', '--tree', s.tree, '--terse', '--no-summary', s.mbox]).out, lines[0] + '\n');
  });

  test('--emacs: each finding starts PATCH:LINE:; --showfile: FILE:LINE: and no #N: FILE: line', () => {
    const e = run(['review', '--tree', s.tree, '--emacs', s.mbox]).out.split('\n');
    const at = e.indexOf(`${s.mbox}:${addedAt()}: ERROR: ${MSG}`);
    assert.ok(at > 0, e.join('\n'));
    assert.match(e[at + 1], /^#\d+: FILE: fs\/a\.c:7:$/);
    assert.ok(
      e.some((l) =>
        new RegExp(`^${s.mbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: FIXED: ${MSG.slice(0, 20)}`).test(l),
      ),
    );
    const f = run(['review', '--tree', s.tree, '--showfile', s.mbox]).out.split('\n');
    const fat = f.indexOf(`fs/a.c:7: ERROR: ${MSG}`);
    assert.ok(fat > 0, f.join('\n'));
    assert.equal(f[fat + 1], '+\terror = simple_setattr(&nop_mnt_idmap, dentry, attr);');
    assert.equal(f[fat + 2], 'fs/a.c:6:2: note: inode locked here (inode_lock)');
    assert.ok(!f.some((l) => /^#\d+: FILE:/.test(l)));
  });

  test('-q: only the patch that introduces something; a clean series prints nothing; --no-summary: no count lines', () => {
    const q = run(['review', '--tree', s.tree, '-q', s.mbox]).out;
    assert.match(q, /^\[PATCH 1\/2\] fs: drop the break/);
    assert.doesNotMatch(q, /PATCH 2\/2|FIXED/);
    const clean = run(['review', '--tree', comment.tree, '-q', comment.mbox]);
    assert.equal(clean.code, 0, clean.err);
    assert.equal(clean.out, '');
    const ns = run(['review', '--tree', s.tree, '--no-summary', s.mbox]).out;
    assert.doesNotMatch(ns, /^total: |^2 patches/m);
    assert.match(ns, /^FIXED: /m);
  });

  test('--mailback: silent when nothing is introduced; a patch that does not apply is reported', () => {
    const clean = run(['review', '--tree', comment.tree, '--mailback', comment.mbox]);
    assert.equal(clean.code, 0);
    assert.equal(clean.out, '');
    const buggy = run(['review', '--tree', s.tree, '--mailback', s.mbox]);
    assert.match(buggy.out, /^ERROR: deleg\/missing-break/m);
    // The fix alone against the base tree: its context is not there.
    const failed = run(['review', '--tree', s.tree, '--mailback', '--terse', s.patches[1]]);
    assert.equal(failed.code, 2);
    assert.match(failed.out, /^.*0002-.*\.patch:\d+: ERROR: patch does not apply: /);
  });

  test('--exit-zero and --no-color on review', () => {
    const r = run(['review', '--tree', s.tree, '--exit-zero', '--no-color', '--color', s.mbox]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.out, /\u001b/);
  });

  test("vim's default errorformat takes every location line: finding heads with --emacs/--showfile/--terse, notes always", () => {
    // The lines that carry a place, and where they point (what the test expects the quickfix list to hold).
    const expected = (out: string) =>
      out
        .split('\n')
        .map((l) => /^(\S+?):(\d+):(?:(\d+):)? (ERROR|FIXED|note):/.exec(l))
        .filter((m) => m)
        .map((m) => `${m![1]}|${m![2]}|${m![3] ?? 0}`);
    const outputs = Object.fromEntries(
      ['', '--emacs', '--showfile', '--terse'].map((o) => [
        o,
        run(['review', '--tree', s.tree, ...(o ? [o] : []), s.mbox]).out,
      ]),
    );
    assert.equal(expected(outputs['']).length, 2, 'the default form: the two note lines');
    assert.equal(expected(outputs['--emacs']).length, 4, 'two heads and two notes');
    assert.equal(expected(outputs['--showfile']).length, 4);
    assert.equal(expected(outputs['--terse']).length, 1);
    if (!has('vim')) return; // the expectations above still hold; vim itself checks them where it is installed
    for (const [opt, out] of Object.entries(outputs)) {
      const file = join(dir, `review${opt}.txt`);
      const qf = join(dir, `qf${opt}.txt`);
      writeFileSync(file, out);
      const v = spawnSync(
        'vim',
        [
          '-N',
          '-u',
          'NONE',
          '-i',
          'NONE',
          '-es',
          '-c',
          `cgetfile ${file}`,
          '-c',
          `call writefile(map(filter(getqflist(), 'v:val.valid'), {_, v -> bufname(v.bufnr) . '|' . v.lnum . '|' . v.col}), '${qf}')`,
          '-c',
          'qa!',
        ],
        { encoding: 'utf8', timeout: 30000 },
      );
      assert.equal(v.status, 0, v.stderr);
      assert.deepEqual(readFileSync(qf, 'utf8').trimEnd().split('\n').filter(Boolean), expected(out), `review ${opt}`);
    }
  });

  test("b4's per-patch check: the configured command, the patch on stdin, run at the top of the tree", () => {
    // b4 (src/b4/__init__.py, LoreMessage.run_local_check) splits the configured command with shlex, runs it in the
    // git top directory with the message on standard input (headers, a blank line, the body: get_msg_as_bytes),
    // and reads each standard output line as `fail` if it contains "ERROR:", else `warning` (a leading "-:" cut);
    // each standard error line as `fail`; no output at all is `success` (or `fail` on a non-zero exit).
    const b4Check = (config: string, message: string, cwd: string) => {
      const argv = config.split(/\s+/).filter(Boolean);
      const r = spawnSync(argv[0], argv.slice(1), {
        cwd,
        input: message,
        encoding: 'utf8',
        timeout: 120000,
        env: { ...process.env, NO_COLOR: undefined },
      });
      const report: [string, string][] = [];
      for (const l of r.stdout.trim() ? r.stdout.trim().split('\n') : [])
        report.push([l.includes('ERROR:') ? 'fail' : 'warning', l.startsWith('-:') ? l.slice(2) : l]);
      for (const l of r.stderr.trim() ? r.stderr.trim().split('\n') : []) report.push(['fail', l]);
      if (!report.length) report.push([r.status ? 'fail' : 'success', `exit ${r.status}`]);
      return report;
    };
    // The message as b4 builds it where b4 is installed (b4 rewrites some headers), and as the test builds it.
    const messages = (patch: string) => [
      asB4Message(readFileSync(patch, 'utf8')),
      ...[b4Message(patch)].filter((m): m is string => m !== null),
    ];
    const am = `${process.execPath} ${CLI} review --tree . -q --terse --no-summary --mailback -`;
    const prep = `${process.execPath} ${CLI} review --tree . -q --terse --no-summary --mailback --showfile -`;
    for (const m of messages(s.patches[0])) {
      const line = m.split('\n').indexOf('+\terror = simple_setattr(&nop_mnt_idmap, dentry, attr);') + 1;
      assert.ok(line > 0);
      assert.deepEqual(b4Check(am, m, s.tree), [['fail', `${line}: ERROR: ${MSG}`]]);
      assert.deepEqual(b4Check(prep, m, s.tree), [['fail', `fs/a.c:7: ERROR: ${MSG}`]]);
    }
    for (const m of messages(comment.patches[0]))
      assert.deepEqual(b4Check(am, m, comment.tree), [['success', 'exit 0']]);
  });
});

/** The message b4 pipes to a per-patch check, made by b4 itself (LoreMessage.get_msg_as_bytes), or null without b4. */
function b4Message(patchFile: string): string | null {
  const py = `import sys, email, b4\nmsg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=b4.emlpolicy)\nsys.stdout.buffer.write(b4.LoreMessage.get_msg_as_bytes(msg))`;
  // b4's own interpreter (its script's #! line), else python3 on the PATH.
  const b4 = spawnSync('sh', ['-c', 'command -v b4'], { encoding: 'utf8' }).stdout.trim();
  const shebang = b4 ? /^#!\s*(\S+)/.exec(readFileSync(b4, 'utf8').split('\n', 1)[0])?.[1] : undefined;
  for (const python of [...(shebang ? [shebang] : []), 'python3']) {
    const r = spawnSync(python, ['-c', py, patchFile], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout;
  }
  return null;
}

/** A `git format-patch` file as b4 pipes it: headers and body without the mbox `From ` line. */
function asB4Message(patch: string): string {
  const lines = patch.split('\n');
  if (lines[0].startsWith('From ')) lines.shift();
  let text = lines.join('\n');
  if (!text.endsWith('\n')) text += '\n';
  return text;
}

describe('editor and hook set-ups (docs/editors.md)', () => {
  // The errorformat docs/editors.md gives nvim-lint (lint.parser.from_errorformat reads it through getqflist()).
  const EFM = '%f:%l:%c: %trror: %m,%f:%l:%c: %tarning: %m,%f:%l:%c: %tote: %m';

  test(
    "the nvim-lint errorformat reads check's lines with their type (where vim is installed)",
    { skip: !has('vim') && 'vim is not installed' },
    () => {
      const out = join(dir, 'check-out.txt');
      writeFileSync(
        out,
        run(['check', '--no-color', '--no-summary', '-', '--stdin-filename', 'fs/x.c'], { input: BUGGY }).out,
      );
      const qf = join(dir, 'qf-efm.txt');
      const v = spawnSync(
        'vim',
        [
          '-N',
          '-u',
          'NONE',
          '-i',
          'NONE',
          '-es',
          '-c',
          `call writefile(map(filter(getqflist({'efm': '${EFM}', 'lines': readfile('${out}')}).items, 'v:val.valid'), {_, v -> bufname(v.bufnr) . '|' . v.lnum . '|' . v.col . '|' . v.type}), '${qf}')`,
          '-c',
          'qa!',
        ],
        { encoding: 'utf8', timeout: 30000 },
      );
      assert.equal(v.status, 0, v.stderr);
      assert.deepEqual(readFileSync(qf, 'utf8').trimEnd().split('\n'), ['fs/x.c|7|10|e', 'fs/x.c|6|2|n']);
    },
  );

  test('the pre-commit hook checks the staged text of each C file and refuses the commit on an error', () => {
    const repo = join(dir, 'hook-repo');
    mkdirSync(join(repo, 'fs'), { recursive: true });
    const git = (...args: string[]) =>
      spawnSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_AUTHOR_NAME: 'T',
          GIT_AUTHOR_EMAIL: 't@example.org',
          GIT_COMMITTER_NAME: 'T',
          GIT_COMMITTER_EMAIL: 't@example.org',
          NO_COLOR: undefined,
        },
      });
    git('init', '-q', '-b', 'main');
    // docs/editors.md, "git hooks", with vfslock spelled as this checkout's CLI.
    const hook = readFileSync(join(PROJECT_ROOT, 'docs', 'editors.md'), 'utf8')
      .split('```sh\n#!/bin/sh\n# .git/hooks/pre-commit')[1]
      ?.split('```')[0];
    assert.ok(hook, 'docs/editors.md has the pre-commit hook');
    writeFileSync(
      join(repo, '.git', 'hooks', 'pre-commit'),
      `#!/bin/sh\nvfslock() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }\n${hook}`,
      { mode: 0o755 },
    );
    writeFileSync(join(repo, 'fs', 'a.c'), CLEAN);
    git('add', '-A');
    const ok = git('commit', '-q', '-m', 'clean');
    assert.equal(ok.status, 0, ok.stderr);
    // The staged text is checked, not the working file: stage the bug, then clean the working copy.
    writeFileSync(join(repo, 'fs', 'a.c'), BUGGY);
    git('add', 'fs/a.c');
    writeFileSync(join(repo, 'fs', 'a.c'), CLEAN);
    const refused = git('commit', '-q', '-m', 'buggy');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /^fs\/a\.c:7: ERROR: deleg\/missing-break: /m);
    assert.equal(git('rev-list', '--count', 'HEAD').stdout.trim(), '1');
  });
});

describe('progress on a terminal', () => {
  test('check: one line rewritten with \\r on standard error, blanked at the end; nothing when not a terminal', async () => {
    const tree = join(dir, 'progress');
    mkdirSync(tree, { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(tree, `f${i}.c`), i === 1 ? BUGGY : CLEAN);
    const tty = await inProcess(['check', tree], { errIsTTY: true });
    assert.equal(tty.code, 1);
    assert.match(tty.err, /^\rvfslock: 1\/3 files, 0 findings/);
    assert.match(tty.err, /\rvfslock: 3\/3 files, 1 finding {0,2}/);
    assert.match(tty.err, /\r {10,}\r$/, 'blanked at the end');
    assert.doesNotMatch(tty.out, /\r/);
    for (const [args, io] of [
      [['check', tree], { errIsTTY: false }],
      [['check', '-q', tree], { errIsTTY: true }],
      [['check', '--terse', tree], { errIsTTY: true }],
      [['check', '--format', 'json', tree], { errIsTTY: true, isTTY: false }],
    ] as const) {
      assert.equal((await inProcess([...args], io)).err, '', args.join(' '));
    }
    const pooled = await inProcess(['check', '-j', '2', tree], { errIsTTY: true });
    assert.match(pooled.err, /3\/3 files, 1 finding/);
  });

  test('the line is throttled: updates within the interval are skipped, the first and the last always shown', () => {
    let err = '';
    let t = 0;
    const p = new Progress({ out: () => {}, err: (s) => (err += s), isTTY: false }, true, 100, () => t);
    for (let i = 1; i <= 50; i++) {
      t += 10;
      p.update(i, 50, 0);
    }
    p.clear();
    const shown = err
      .split('\r')
      .filter((x) => x.startsWith('vfslock:'))
      .map((x) => x.trim());
    assert.equal(shown[0], 'vfslock: 1/50 files, 0 findings');
    assert.equal(shown[shown.length - 1], 'vfslock: 50/50 files, 0 findings');
    assert.ok(shown.length <= 7, `${shown.length} updates`);
  });
});

describe('start-up', () => {
  test('--version loads nothing but the entry; a check without --rules never loads ajv', () => {
    const probe = (code: string) =>
      spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 60000 });
    // The executable as a shell runs it, with a preloaded module that lists, at exit, every module loaded.
    const lister = join(dir, 'list-modules.js');
    writeFileSync(
      lister,
      `process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));`,
    );
    const v = spawnSync(process.execPath, ['-r', lister, CLI, '--version'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(v.stdout, 'vfslock 0.1.0\n');
    assert.deepEqual(
      JSON.parse(v.stderr).filter((p: string) => p !== lister),
      [CLI],
    );
    const h = spawnSync(process.execPath, ['-r', lister, CLI, 'check', '--help'], { encoding: 'utf8', timeout: 60000 });
    assert.ok(
      JSON.parse(h.stderr).includes(join(PROJECT_ROOT, 'dist', 'cli-main.js')),
      'the check: it does see a loaded CLI',
    );
    const c = probe(`const { main } = require('./out/src/cli/main.js');
      main(['check', '-q', ${JSON.stringify(join(dir, 'clean.c'))}]).then((code) => {
        console.log(code, Object.keys(require.cache).some((p) => p.includes('/node_modules/ajv/')));
      });`);
    assert.equal(c.stdout.trim(), '0 false', c.stderr);
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ version: 1, apis: [] }));
    const withRules = probe(`const { main } = require('./out/src/cli/main.js');
      main(['check', '-q', '--rules', ${JSON.stringify(rules)}, ${JSON.stringify(join(dir, 'clean.c'))}], { out() {}, err(s) { process.stderr.write(s); }, isTTY: false }).then(() => {
        console.log(Object.keys(require.cache).some((p) => p.includes('/node_modules/ajv/')));
      });`);
    assert.equal(withRules.stdout.trim(), 'true', 'the validator loads when a rules file is given');
  });
});
