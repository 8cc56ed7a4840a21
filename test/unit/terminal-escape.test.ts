/**
 * Terminal and annotation injection through `vfslock check` and `vfslock simulate` text output: file names,
 * messages quoting the source, scenario titles and step texts are shown escaped (src/core/text/escape.ts); JSON
 * keeps the exact strings. Hostile names and scenarios are made here, on the fly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { escapeForTerminal } from '../../src/core/text/escape';
import { toText } from '../../src/core/report/printers';
import type { FileResult, LocatedFinding } from '../../src/core/engine';
import { buggySetattr } from '../helpers/buggy';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
let dir = '';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Characters that must never reach a terminal raw: ESC, CR, the other C0 controls, DEL, C1 (CSI), bidi and zero-width controls. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

/** A line a GCC-style problem matcher (CI annotations, editors) would take for a finding. */
const FINDING_LINE = /^[^\s:][^:]*:\d+:\d+: (error|warning|note):/;

const BUGGY = buggySetattr();

// A file name that ends the real line, forges a finding for another file, clears the screen, retitles the
// terminal and reverses what follows.
const FORGED = 'x.c:1:1: error: all clear, nothing to see [missing-break]';
const HOSTILE_NAME = `a\n${FORGED}\r\u001b[2K\u001b]0;pwned\u0007\u202eevil\u2066.c`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-esc-'));
  writeFileSync(join(dir, HOSTILE_NAME), BUGGY);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('escapeForTerminal: controls as \\xNN / \\r \\n \\t, bidi and zero-width as \\u{XXXX}, everything else unchanged', () => {
  assert.equal(escapeForTerminal('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(escapeForTerminal('\u0000\u0007\u001b[31m\u007f\u0085\u009b'), '\\x00\\x07\\x1b[31m\\x7f\\x85\\x9b');
  assert.equal(
    escapeForTerminal('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c'),
    '\\u{202A}\\u{202B}\\u{202C}\\u{202D}\\u{202E}\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{200E}\\u{200F}\\u{61C}',
  );
  assert.equal(escapeForTerminal('\u200b\u200c\u200d\u2060\ufeff'), '\\u{200B}\\u{200C}\\u{200D}\\u{2060}\\u{FEFF}');
  const plain = 'fs/namei.c: d_inode(dentry)->i_flctx — «é» 日本 😀 [x] \\x41 %s';
  assert.equal(escapeForTerminal(plain), plain);
  // Every code unit from U+0000 to U+FFFF: the result never holds a raw dangerous character.
  let all = '';
  for (let c = 0; c < 0x10000; c++) all += String.fromCharCode(c);
  assert.ok(!RAW.test(escapeForTerminal(all)));
});

test('check, text: a hostile file name cannot forge, hide or reorder a finding line; JSON keeps it exact', () => {
  const file = join(dir, HOSTILE_NAME);
  const text = run(['check', file]);
  assert.equal(text.code, 1, text.err);
  assert.ok(!RAW.test(text.out), JSON.stringify(text.out));
  const lines = text.out.trimEnd().split('\n');
  // One finding, its one related note (a GCC note line) and the summary: nothing else became a line, and every
  // line with a place starts with the real (escaped) name.
  assert.equal(lines.length, 3, text.out);
  assert.deepEqual(lines.filter((l) => FINDING_LINE.test(l)).length, 2);
  assert.ok(lines.filter((l) => FINDING_LINE.test(l)).every((l) => l.startsWith(escapeForTerminal(file) + ':')));
  assert.ok(lines[1].startsWith(escapeForTerminal(file) + ':5:2: note: '), lines[1]);
  assert.ok(lines[0].startsWith(escapeForTerminal(file) + ':6:10: error: '), lines[0]);
  assert.ok(lines[0].includes('\\n' + FORGED + '\\r\\x1b[2K\\x1b]0;pwned\\x07\\u{202E}evil\\u{2066}.c:6:10'), lines[0]);
  const json = JSON.parse(run(['check', '--format', 'json', file]).out);
  assert.equal(json.findings[0].file, file, 'JSON carries the exact name');
  const sarif = JSON.parse(run(['check', '--format', 'sarif', file]).out);
  assert.equal(decodeURIComponent(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri), file);
});

test('check, text: a message quoting the source is one line, controls escaped (printer)', () => {
  const finding = {
    ruleId: 'deleg/missing-break',
    severity: 'error',
    line: 3,
    column: 2,
    endLine: 3,
    endColumn: 9,
    function: 'f',
    inode: 'i',
    message: `f: x changes ${'d_inode(d)\nfs/other.c:1:1: error: forged [lock/imbalance]\u001b[8m'} without first breaking its delegation.`,
    relatedLocated: [{ line: 2, column: 1, message: 'locked here\r\u202e(inode_lock)' }],
  } as unknown as LocatedFinding;
  const res = { file: 'fs/x.c', findings: [finding], functions: [] } as unknown as FileResult;
  const out = toText(
    { results: [res], errors: [{ file: 'b\n.c', message: 'cannot read: \u001b[2J' }], ms: 1 },
    { color: true },
  );
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 4, out);
  assert.ok(lines[0].includes('d_inode(d)\\nfs/other.c:1:1: error: forged [lock/imbalance]\\x1b[8m without'), lines[0]);
  assert.ok(lines[1].endsWith('locked here\\r\\u{202E}(inode_lock)'), lines[1]);
  assert.ok(lines[2].startsWith('b\\n.c: ') && lines[2].endsWith('cannot read: \\x1b[2J'), lines[2]);
  // The printer's own colours are the only escape sequences left.
  assert.deepEqual(
    out.match(/\u001b\[[0-9;]*m/g)?.every((m) => /^\u001b\[(1|1;31|1;35|1;36|0)m$/.test(m)),
    true,
  );
  assert.ok(!/\u001b(?!\[(1|1;31|1;35|1;36|0)m)/.test(out), out);
});

test('simulate, text: a hostile scenario title, file name and step text are escaped; JSON keeps them', () => {
  const title = `T\u001b]0;pwned\u0007 \u202eevil\u2066 \u001b[1A\u001b[2KSAFE: all fine`;
  const scenario = `scenario "${title}"
inode f : file
lock m : mutex
thread t {
  lock m
  sleep 5ms "why \u001b[31mred\u202e"
}
check lock-balance
`;
  const file = join(dir, `s\n${FORGED}\u001b[2J.vfsrace`);
  writeFileSync(file, scenario);
  const r = run(['simulate', file]);
  assert.equal(r.code, 1, r.err);
  assert.ok(!RAW.test(r.out), JSON.stringify(r.out));
  const lines = r.out.split('\n');
  assert.equal(lines[0], `vfslock simulate ${escapeForTerminal(file)}: ${escapeForTerminal(title)} (kernel 6.12)`);
  assert.match(lines[1], /^VIOLATION \[lock-balance\] /);
  assert.ok(r.out.includes('why \\x1b[31mred\\u{202E}'), r.out);
  assert.ok(!lines.some((l) => l.startsWith(FORGED)), 'no line starts with the forged finding');
  assert.equal(
    lines.filter((l) => l.includes(FORGED)).length,
    3,
    'the name shows (escaped) in the heading and the two conflicting events only',
  );
  const json = JSON.parse(run(['simulate', '--format', 'json', file]).out);
  assert.equal(json.title, title);
  assert.equal(json.scenario, file);
  // A diagnostic (GCC-style, on stderr) about a hostile token is one escaped line too.
  const bad = join(dir, `d\n${FORGED}.vfsrace`);
  writeFileSync(bad, 'inode f : file\nthread t {\n  unlock \u202em\n}\n');
  const d = run(['simulate', bad]);
  assert.equal(d.code, 2);
  assert.ok(!RAW.test(d.err), JSON.stringify(d.err));
  assert.ok(!d.err.split('\n').some((l) => l.startsWith(FORGED)), d.err);
  assert.ok(d.err.includes(`${escapeForTerminal(bad)}:3:10: error: unexpected character '\\u{202E}'`), d.err);
});
