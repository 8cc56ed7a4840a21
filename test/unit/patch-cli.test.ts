/**
 * The `vfslock review` contract through the built CLI: checkpatch-like text, JSON version 1, SARIF valid against the
 * 2.1.0 schema, exit status; and the editor's diagnostics on patch lines. Series are made from the corpus at test
 * time (see helpers/patch-series.ts).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { PROJECT_ROOT, corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';
import { Mutator } from '../helpers/mutate';
import { makeSeries, type Series } from '../helpers/patch-series';
import { readPatchInput } from '../../src/patch/mbox';
import { DirectoryTree } from '../../src/patch/node-tree';
import { reviewSeries } from '../../src/patch/review';
import { patchDiagnostics } from '../../src/patch/diagnostics';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const skip = !corpusAvailable() && 'kernel corpus not available';

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input,
    timeout: 120000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function sarifValidator() {
  const schema = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8'),
  );
  // The published schema's `language` pattern is not a valid unicode-mode regular expression.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

let s: Series;
let comment: Series;

before(async () => {
  if (skip) return;
  const analyzer = await sharedAnalyzer();
  const base = corpusFile('v6.12/fs/namei.c');
  const m = new Mutator(analyzer, base, 'vfs_unlink');
  const c = m.calls('try_break_deleg')[0];
  const broken = m.replace(c.start, c.end, '0').result();
  s = makeSeries(
    { 'fs/namei.c': base },
    [
      { subject: 'vfs: drop the delegation break from vfs_unlink', files: { 'fs/namei.c': broken } },
      { subject: 'vfs: restore the delegation break in vfs_unlink', files: { 'fs/namei.c': base } },
    ],
    { cover: true },
  );
  const c2 = new Mutator(analyzer, base, 'vfs_link');
  const note = c2.calls('inode_lock')[0];
  comment = makeSeries({ 'fs/namei.c': base }, [
    {
      subject: 'vfs: a comment in vfs_link',
      files: {
        'fs/namei.c': c2
          .insert(note.stmtStart, '/* the source is locked: no delegation can be granted */\n\t')
          .result(),
      },
    },
  ]);
});
after(() => {
  s?.cleanup();
  comment?.cleanup();
});

describe('vfslock review output', { skip }, () => {
  test('text: checkpatch-like, the patch line quoted under its #line, a summary per patch', () => {
    const r = run(['review', '--tree', s.tree, s.mbox]);
    assert.equal(r.code, 1, r.err);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('ERROR: deleg/missing-break: vfs_unlink: '));
    assert.ok(at > 0, r.out);
    assert.match(lines[0], /^\[PATCH 1\/2\] vfs: drop the delegation break from vfs_unlink {2}\(.*series\.mbox:\d+\)$/);
    const where = /^#(\d+): FILE: fs\/namei\.c:(\d+):$/.exec(lines[at + 1]);
    assert.ok(where, lines[at + 1]);
    const mbox = readFileSync(s.mbox, 'utf8').split('\n');
    assert.equal(lines[at + 2], mbox[+where[1] - 1], 'the quoted line is the patch line itself');
    assert.equal(lines[at + 2].slice(1), corpusFile('v6.12/fs/namei.c').split('\n')[+where[2] - 1]);
    assert.ok(lines.includes('total: 1 introduced, 0 fixed, 0 remaining in function vfs_unlink()'));
    assert.ok(lines.some((l) => /^FIXED: deleg\/missing-break: vfs_unlink: /.test(l)));
    assert.ok(lines.includes('total: 0 introduced, 1 fixed, 0 remaining in function vfs_unlink()'));
    assert.ok(lines.some((l) => /^skipped: \[PATCH 0\/2\] \*\*\* SUBJECT HERE \*\*\* \(cover letter; /.test(l)));
    assert.match(
      lines.filter((l) => l).pop()!,
      /^2 patches \(2 applied\): 1 introduced \(1 error\), 1 fixed, against .* in \d+ ms$/,
    );
  });

  test('json: version 1, per patch index/subject/files/functions/applied and findings shaped as in vfslock check', () => {
    const r = run(['review', '--format', 'json', '--tree', s.tree, ...s.patches]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.version, 1);
    assert.equal(j.patches.length, 2);
    const [p1, p2] = j.patches;
    for (const k of ['index', 'subject', 'files', 'functions', 'applied', 'introduced', 'fixed', 'remaining'])
      assert.ok(k in p1, k);
    assert.deepEqual(
      [p1.index, p1.subject, p1.files, p1.functions, p1.applied],
      [1, '[PATCH 1/2] vfs: drop the delegation break from vfs_unlink', ['fs/namei.c'], ['vfs_unlink'], true],
    );
    assert.equal(p1.error, undefined);
    const f = p1.introduced[0];
    // Every key of a `vfslock check` finding, plus where it shows in the patch.
    for (const k of [
      'column',
      'endColumn',
      'endLine',
      'file',
      'function',
      'inode',
      'line',
      'message',
      'related',
      'ruleId',
      'severity',
    ])
      assert.ok(k in f, k);
    assert.deepEqual(
      [f.ruleId, f.function, f.file, f.side, f.inPatch],
      ['deleg/missing-break', 'vfs_unlink', 'fs/namei.c', 'after', true],
    );
    assert.equal(typeof f.patchLine, 'number');
    assert.deepEqual(
      p2.fixed.map((x: { ruleId: string; side: string }) => [x.ruleId, x.side]),
      [['deleg/missing-break', 'before']],
    );
    assert.match(j.skipped[0].reason, /cover letter/);
  });

  test('sarif: valid against the SARIF 2.1.0 schema, with baseline states and the patch line as a related location', () => {
    const validate = sarifValidator();
    const r = run(['review', '--format', 'sarif', '--tree', s.tree, s.mbox]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const log: Record<string, any> = JSON.parse(r.out);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));
    const results = log.runs[0].results;
    assert.deepEqual(
      results.map((x: { baselineState: string; level: string }) => [x.baselineState, x.level]),
      [
        ['new', 'error'],
        ['absent', 'none'],
      ],
    );
    assert.equal(results[0].properties.patch, 1);
    assert.equal(results[0].locations[0].physicalLocation.artifactLocation.uriBaseId, 'SRCROOT');
    assert.match(log.runs[0].originalUriBaseIds.SRCROOT.uri, /^file:\/\/.*\/tree\/$/);
    assert.ok(
      results[0].relatedLocations.some((l: { physicalLocation: { artifactLocation: { uri: string } } }) =>
        l.physicalLocation.artifactLocation.uri.endsWith('series.mbox'),
      ),
    );
    // A patch that does not apply is a tool execution notification, still valid SARIF.
    const broken = readFileSync(s.patches[2], 'utf8').replace(/^ (\t+error = dir->i_op->unlink)/m, ' $1 ');
    writeFileSync(join(s.dir, 'broken.patch'), broken);
    const r2 = run(['review', '--format', 'sarif', '--tree', s.tree, s.patches[1], join(s.dir, 'broken.patch')]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const log2: Record<string, any> = JSON.parse(r2.out);
    assert.ok(validate(log2), JSON.stringify(validate.errors, null, 1));
    assert.equal(log2.runs[0].invocations[0].executionSuccessful, false);
    assert.match(log2.runs[0].invocations[0].toolExecutionNotifications[0].message.text, /does not apply/);
  });

  test('sarif of vfslock check is valid against the same schema', () => {
    const r = run(['check', '--format', 'sarif', join(s.tree, 'fs', 'namei.c')]);
    const validate = sarifValidator();
    assert.ok(validate(JSON.parse(r.out)), JSON.stringify(validate.errors, null, 1));
  });
});

describe('vfslock review exit status', { skip }, () => {
  test('0 when nothing is introduced, 1 when an error is, and patches read from standard input', () => {
    assert.equal(run(['review', '--tree', comment.tree, comment.patches[0]]).code, 0);
    assert.equal(run(['review', '--tree', s.tree, s.patches[1]]).code, 1);
    const r = run(['review', '--format', 'json', '--tree', s.tree, '-'], readFileSync(s.patches[1], 'utf8'));
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.out).patches[0].source.file, '<stdin>');
  });

  test('2 for a patch that does not apply, naming the file and hunk; the rest is not checked', () => {
    const broken = readFileSync(s.patches[1], 'utf8').replace(/^ (\t+error = dir->i_op->unlink)/m, ' $1 ');
    writeFileSync(join(s.dir, 'broken1.patch'), broken);
    const r = run(['review', '--tree', s.tree, join(s.dir, 'broken1.patch'), s.patches[2]]);
    assert.equal(r.code, 2);
    assert.match(
      r.out,
      /^ERROR: patch does not apply: fs\/namei\.c: hunk #1 \(@@ .* @@ .*\) does not apply: patch failed: fs\/namei\.c:\d+: that line differs from what patch line \d+ expects/m,
    );
    assert.match(r.out, /^not checked: patch 1 did not apply$/m);
  });

  test('2 for usage errors and unreadable or malformed input', () => {
    const p = s.patches[1];
    assert.equal(run(['review', p]).code, 2);
    assert.match(run(['review', p]).err, /--tree DIR is required/);
    assert.equal(run(['review', '--tree', join(s.tree, 'fs', 'namei.c'), p]).code, 2);
    assert.equal(run(['review', '--tree', s.tree]).code, 2);
    assert.equal(run(['review', '--format', 'xml', '--tree', s.tree, p]).code, 2);
    assert.equal(run(['review', '--kernel', 'latest', '--tree', s.tree, p]).code, 2);
    assert.equal(run(['review', '--tree', s.tree, join(s.dir, 'missing.patch')]).code, 2);
    const bad = readFileSync(p, 'utf8').replace(/^ (\t+error = dir->i_op->unlink)/m, '*$1');
    writeFileSync(join(s.dir, 'malformed.patch'), bad);
    const r = run(['review', '--tree', s.tree, join(s.dir, 'malformed.patch')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /malformed\.patch:\d+: fs\/namei\.c: hunk #1 .* is malformed at patch line \d+/);
    const cover = run(['review', '--tree', s.tree, s.patches[0]]);
    assert.equal(cover.code, 2);
    assert.match(cover.err, /no patch found .*cover letter/);
    assert.equal(run(['review', '--help']).code, 0);
  });
});

describe('diagnostics on the patch', { skip }, () => {
  test('introduced findings on their patch line and columns, fixed ones as hints, a failing hunk on its header', async () => {
    const analyzer = await sharedAnalyzer();
    const text = readFileSync(s.mbox, 'utf8');
    const input = await readPatchInput(text, 'series.mbox');
    const review = await reviewSeries(analyzer, new DirectoryTree(s.tree), input.patches, {}, input.skipped);
    const diags = patchDiagnostics(review, 'series.mbox');
    assert.deepEqual(
      diags.map((d) => [d.severity, d.ruleId, d.patchIndex]),
      [
        ['error', 'deleg/missing-break', 1],
        ['hint', 'deleg/missing-break', 2],
      ],
    );
    const lines = text.split('\n');
    const d = diags[0];
    const f = d.finding!;
    assert.equal(lines[d.line], ' ' + f.sourceLine);
    // Columns on the patch line are the source columns shifted by the one-character marker.
    assert.equal(
      lines[d.line].slice(d.start, d.end!),
      f.sourceLine.slice(f.finding.column - 1, f.finding.endColumn - 1),
    );
    assert.match(lines[d.line].slice(d.start, d.end!), /^dir->i_op->unlink\(dir, dentry\)$/);
    assert.match(diags[1].message, /^fixed by this patch: /);

    const broken = text.replace(/^ (\t+error = dir->i_op->unlink)/m, ' $1 ');
    const input2 = await readPatchInput(broken, 'broken.mbox');
    const review2 = await reviewSeries(analyzer, new DirectoryTree(s.tree), input2.patches, {});
    const d2 = patchDiagnostics(review2, 'broken.mbox');
    assert.equal(d2[0].severity, 'error');
    assert.match(d2[0].message, /^patch does not apply: fs\/namei\.c: hunk #1/);
    assert.match(broken.split('\n')[d2[0].line], /^@@ /);
    assert.deepEqual(
      d2.slice(1).map((x) => [x.severity, x.message]),
      [['info', 'not checked: patch 1 did not apply']],
    );
  });
});

test('the example series in examples/patches: patch 1 introduces the unlocked break, patch 2 fixes it', () => {
  const dir = join(PROJECT_ROOT, 'examples', 'patches');
  const patches = readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => join(dir, f));
  assert.equal(patches.length, 2);
  const r = run(['review', '--format', 'json', '--tree', join(PROJECT_ROOT, 'examples'), ...patches]);
  assert.equal(r.code, 1, r.err);
  const report = JSON.parse(r.out) as { patches: { introduced: { ruleId: string }[]; fixed: { ruleId: string }[] }[] };
  assert.deepEqual(
    report.patches.map((p) => p.introduced.map((f) => f.ruleId)),
    [['deleg/break-unlocked', 'deleg/break-unlocked'], []],
  );
  assert.deepEqual(
    report.patches.map((p) => p.fixed.map((f) => f.ruleId)),
    [[], ['deleg/break-unlocked', 'deleg/break-unlocked']],
  );
});
