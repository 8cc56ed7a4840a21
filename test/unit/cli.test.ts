/** The `vfslock check` contract: formats, exit status, rule catalogues and bad input, through the built CLI. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, symlinkSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { PROJECT_ROOT } from '../helpers/corpus';
import { longFunction } from '../helpers/generated';
import { buggySetattr } from '../helpers/buggy';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
let dir = '';

function run(args: string[], timeoutMs = 60000) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

const BUGGY = '\n' + buggySetattr();
const CLEAN = `int g(void)\n{\n\treturn 0;\n}\n`;

/** Small functions the analysis looks at (an inode lock and an attribute change each), `bytes` of them. */
function manyFunctions(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const f =
      `static int f${i}(struct dentry *dentry, struct iattr *attr)\n{\n\tstruct inode *inode = d_inode(dentry);\n\tint error;\n` +
      `\tinode_lock(inode);\n\tif (attr->ia_valid & ${i})\n\t\terror = notify_change(&nop_mnt_idmap, dentry, attr, NULL);\n\telse\n\t\terror = 0;\n` +
      `\tinode_unlock(inode);\n\treturn error;\n}\n\n`;
    out.push(f);
    size += f.length;
  }
  return out.join('');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-cli-'));
  writeFileSync(join(dir, 'buggy.c'), BUGGY);
  writeFileSync(join(dir, 'clean.c'), CLEAN);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('formats', () => {
  test('json: version 1 shape with 1-based positions, function and inode', () => {
    const r = run(['check', '--format', 'json', join(dir, 'buggy.c')]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.version, 1);
    assert.deepEqual(Object.keys(j).sort(), ['errors', 'findings', 'stats', 'version']);
    assert.equal(j.findings.length, 1);
    const f = j.findings[0];
    assert.deepEqual(Object.keys(f).sort(), [
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
    ]);
    assert.equal(f.ruleId, 'deleg/missing-break');
    assert.equal(f.severity, 'error');
    assert.equal(f.function, 'f');
    assert.equal(f.line, 7);
    assert.equal(f.column, 10);
    assert.match(f.inode, /inode|d_inode\(dentry\)/);
    assert.ok(f.related.some((x: { line: number; message: string }) => x.line === 6 && /locked/.test(x.message)));
    assert.deepEqual(Object.keys(j.stats).sort(), ['files', 'functions', 'ms']);
    assert.equal(j.stats.files, 1);
  });

  test('text: GCC style line with rule id, related lines indented, summary', () => {
    const r = run(['check', join(dir, 'buggy.c')]); // stdout is a pipe: no colour
    const lines = r.out.trimEnd().split('\n');
    assert.match(
      lines[0],
      /buggy\.c:7:10: error: f: simple_setattr changes attributes of .* \[deleg\/missing-break\]$/,
    );
    assert.match(lines[1], /^[^ ].*buggy\.c:6:2: note: /, 'a GCC note line, unindented');
    assert.match(lines[lines.length - 1], /1 file\(s\), 1 error\(s\)/);
  });

  test('sarif: valid against the SARIF 2.1.0 result shape with rule metadata and help URIs', () => {
    const r = run(['check', '--format', 'sarif', join(dir, 'buggy.c')]);
    const s = JSON.parse(r.out);
    assert.equal(s.version, '2.1.0');
    const run0 = s.runs[0];
    assert.equal(run0.tool.driver.name, 'vfslock');
    const rule = run0.tool.driver.rules[run0.results[0].ruleIndex];
    assert.equal(rule.id, 'deleg/missing-break');
    assert.match(rule.helpUri, /docs\/rules\/deleg-missing-break\.md$/);
    assert.deepEqual(run0.results[0].locations[0].physicalLocation.region, {
      startLine: 7,
      startColumn: 10,
      endLine: 7,
      endColumn: 54,
    });
  });
});

describe('exit status', () => {
  test('0 when clean, 1 with error findings, 2 on usage errors', () => {
    assert.equal(run(['check', join(dir, 'clean.c')]).code, 0);
    assert.equal(run(['check', join(dir, 'buggy.c')]).code, 1);
    assert.equal(run(['check']).code, 2);
    assert.equal(run(['check', '--format', 'xml', join(dir, 'clean.c')]).code, 2);
    assert.equal(run(['check', '--kernel', 'latest', join(dir, 'clean.c')]).code, 2);
    assert.equal(run(['frobnicate']).code, 2);
  });

  test('2 for unreadable input, while the readable files are still reported', () => {
    const r = run(['check', '--format', 'json', join(dir, 'buggy.c'), join(dir, 'missing.c')]);
    assert.equal(r.code, 2);
    const j = JSON.parse(r.out);
    assert.equal(j.findings.length, 1);
    assert.deepEqual(j.errors, [{ file: join(dir, 'missing.c'), message: 'no such file or directory' }]);
  });

  test('directories are searched for .c and .h files', () => {
    const sub = join(dir, 'tree');
    mkdirSync(join(sub, 'fs'), { recursive: true });
    writeFileSync(join(sub, 'fs', 'a.c'), BUGGY);
    writeFileSync(join(sub, 'fs', 'b.h'), CLEAN);
    writeFileSync(join(sub, 'fs', 'notes.txt'), 'not C');
    const j = JSON.parse(run(['check', '--format', 'json', sub]).out);
    assert.equal(j.stats.files, 2);
    assert.equal(j.findings.length, 1);
  });
});

describe('rule catalogues (--rules)', () => {
  test('a user catalogue teaches a new API', () => {
    const custom = `
int f(struct inode *inode, struct dentry *dentry, struct iattr *attr)
{
	myfs_lock(inode);
	simple_setattr(&nop_mnt_idmap, dentry, attr);
	myfs_unlock(inode);
	return 0;
}`;
    writeFileSync(
      join(dir, 'custom.c'),
      custom
        .replace('struct inode *inode, struct dentry *dentry', 'struct dentry *dentry')
        .replace('{\n', '{\n\tstruct inode *inode = dentry->d_inode;\n'),
    );
    writeFileSync(
      join(dir, 'rules.json'),
      JSON.stringify({
        version: 1,
        functions: [
          {
            name: 'myfs_lock',
            variants: [{ params: ['inode'] }],
            effects: [{ op: 'lock', target: 'inode', class: 'inode', mode: 'exclusive' }],
          },
          {
            name: 'myfs_unlock',
            variants: [{ params: ['inode'] }],
            effects: [{ op: 'unlock', target: 'inode', class: 'inode' }],
          },
        ],
      }),
    );
    const without = JSON.parse(run(['check', '--format', 'json', join(dir, 'custom.c')]).out);
    const withRules = JSON.parse(
      run(['check', '--format', 'json', '--rules', join(dir, 'rules.json'), join(dir, 'custom.c')]).out,
    );
    assert.deepEqual(
      without.findings.map((f: { ruleId: string }) => f.ruleId),
      [],
    );
    assert.deepEqual(
      withRules.findings.map((f: { ruleId: string }) => f.ruleId),
      ['deleg/missing-break'],
    );
  });

  test('an invalid catalogue is refused with the problem named (exit 2), and cannot execute code', () => {
    writeFileSync(
      join(dir, 'bad-rules.json'),
      JSON.stringify({ version: 1, functions: [{ name: 'x', effects: [{ op: 'eval', code: 'process.exit(7)' }] }] }),
    );
    const r = run(['check', '--rules', join(dir, 'bad-rules.json'), join(dir, 'clean.c')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /not a valid rule catalogue: .*effects\/0/);
    writeFileSync(join(dir, 'broken.json'), '{ "version": 1, ');
    assert.match(run(['check', '--rules', join(dir, 'broken.json'), join(dir, 'clean.c')]).err, /not valid JSON/);
  });

  test('the built-in catalogue satisfies its own schema', async () => {
    const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'src/core/catalogue/catalogue.schema.json'), 'utf8'));
    const builtin = JSON.parse(readFileSync(join(PROJECT_ROOT, 'src/core/catalogue/kernel.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(builtin), JSON.stringify(validate.errors));
  });
});

describe('bad input never crashes or hangs', () => {
  const cases: [
    string,
    () => string | Buffer,
    (j: { findings: { ruleId: string; function: string; message: string }[]; errors: { message: string }[] }) => void,
  ][] = [
    [
      'binary',
      () => Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(4096, 0)]),
      (j) => assert.match(j.errors[0].message, /binary/),
    ],
    [
      'invalid UTF-8',
      () => Buffer.from([...Buffer.from('int f(void) { return 0; }\n'), ...Array(200).fill(0xff)]),
      (j) => assert.match(j.errors[0].message, /UTF-8/),
    ],
    ['empty', () => '', (j) => assert.deepEqual([j.findings, j.errors], [[], []])],
    [
      'CRLF and BOM',
      () => '\ufeff' + BUGGY.replace(/\n/g, '\r\n'),
      (j) =>
        assert.deepEqual(
          j.findings.map((f) => f.ruleId),
          ['deleg/missing-break'],
        ),
    ],
    [
      'not C at all',
      () => 'Dear reviewer, { ] ) ( inode_lock ;; this is prose.\n',
      (j) => assert.deepEqual(j.errors, []),
    ],
    [
      '20 MB',
      () => 'int f(void) { return 0; }\n'.repeat(800000),
      (j) => assert.match(j.errors[0].message, /too large/),
    ],
    // 20 MB of small functions the analysis would all look at (~74,000): refused before reading, with the reason.
    [
      '20 MB of relevant functions',
      () => manyFunctions(20 * 1024 * 1024),
      (j) => {
        assert.deepEqual(j.findings, []);
        assert.match(j.errors[0].message, /^file is too large to analyse \(20\.0 MB; the limit is 4 MB\): not read$/);
      },
    ],
    // ~14 s and 1.1 GB before the budget; now the function is not started and the note says why.
    [
      '100k-line function',
      () => longFunction(100000),
      (j) => {
        assert.deepEqual(j.errors, []);
        assert.deepEqual(
          j.findings.map((f) => [f.ruleId, f.function]),
          [['analysis/truncated', 'big']],
        );
        assert.match(
          j.findings[0].message,
          /^big: not analysed: with [\d,]+ statements it does not fit in what was left of the analysis budget/,
        );
      },
    ],
    // Nesting past MAX_NESTING (1000) brackets is refused before parsing; up to it, the file is parsed and analysed.
    [
      '10k-deep expression',
      () => `int f(struct inode *i) { x = ${'('.repeat(10000)}1${')'.repeat(10000)}; inode_lock(i); return 0; }\n`,
      (j) =>
        assert.match(
          j.errors[0].message,
          /^too deeply nested: more than 1000 brackets are open at line 1, column 1029;/,
        ),
    ],
    [
      '10k-deep blocks',
      () => `int f(struct inode *i) { ${'if (x) {'.repeat(10000)} inode_lock(i); ${'}'.repeat(10000)} return 0; }\n`,
      (j) => assert.match(j.errors[0].message, /^too deeply nested: more than 1000 brackets are open at line 1, /),
    ],
    [
      '990-deep expression',
      () => `int f(struct inode *i) { x = ${'('.repeat(990)}1${')'.repeat(990)}; inode_lock(i); return 0; }\n`,
      (j) => assert.deepEqual(j.errors, []),
    ],
    [
      '990-deep blocks',
      () => `int f(struct inode *i) { ${'if (x) {'.repeat(990)} inode_lock(i); ${'}'.repeat(990)} return 0; }\n`,
      (j) => {
        assert.deepEqual(j.errors, []);
        assert.ok(j.findings.some((f) => f.ruleId === 'analysis/truncated'));
      },
    ],
  ];
  for (const [name, make, expect] of cases) {
    test(name, () => {
      const file = join(dir, `bad-${name.replace(/\W+/g, '_')}.c`);
      writeFileSync(file, make());
      const r = run(['check', '--format', 'json', file], 120000);
      assert.equal(r.signal, null, 'no hang');
      assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `exit ${r.code}: ${r.err}`);
      expect(JSON.parse(r.out));
    });
  }

  test('--time-budget: what the budget leaves out is named in a note; 0 lifts it; a bad value is a usage error', () => {
    const file = join(dir, 'budget-many.c');
    writeFileSync(file, manyFunctions(300 * 1024));
    const r = run(['check', '--format', 'json', '--time-budget', '1', file], 120000);
    assert.equal(r.signal, null, 'no hang');
    const j = JSON.parse(r.out);
    const notes = j.findings.filter((f: { ruleId: string }) => f.ruleId === 'analysis/truncated');
    assert.equal(notes.length, 1);
    assert.match(
      notes[0].message,
      /^analysis stopped after .*, its budget for this file \(1 ms\): [\d,]+ functions? not analysed \(f\d+/,
    );
    const all = JSON.parse(run(['check', '--format', 'json', '--time-budget', '0', file], 120000).out);
    assert.deepEqual(
      all.findings.filter((f: { ruleId: string }) => f.ruleId === 'analysis/truncated'),
      [],
    );
    assert.ok(all.findings.length > j.findings.length - 1);
    const bad = run(['check', '--time-budget', 'soon', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--time-budget must be a whole number of milliseconds/);
  });

  test('symlink loops and unreadable files are reported, not followed forever', () => {
    const loop = join(dir, 'loop');
    mkdirSync(loop);
    symlinkSync(loop, join(loop, 'again'));
    writeFileSync(join(loop, 'a.c'), CLEAN);
    const noread = join(dir, 'noread.c');
    writeFileSync(noread, CLEAN);
    chmodSync(noread, 0o000);
    const r = run(['check', '--format', 'json', loop, noread]);
    const j = JSON.parse(r.out);
    assert.equal(j.stats.files >= 1, true);
    // root can read anything; elsewhere the unreadable file is an error entry with exit 2.
    if (process.getuid && process.getuid() !== 0) {
      assert.equal(r.code, 2);
      assert.match(j.errors[0].message, /permission denied/);
    }
  });
});

describe('lone files', () => {
  test('a file named on its own is checked with the static inline helpers of the headers it includes', () => {
    const sub = join(dir, 'subsys');
    mkdirSync(sub, { recursive: true });
    // A helper only the header defines takes the directory's lock; the error return keeps it.
    writeFileSync(join(sub, 'subsys.h'), 'static inline void sub_begin(struct inode *dir)\n{\n\tinode_lock(dir);\n}\n');
    const main =
      '#include "subsys.h"\n\nint sub_op(struct inode *dir, int bad)\n{\n\tsub_begin(dir);\n\tif (bad)\n\t\treturn -EINVAL;\n' +
      '\tinode_unlock(dir);\n\treturn 0;\n}\n';
    writeFileSync(join(sub, 'op.c'), main);
    const lone = run(['check', '--format', 'json', join(sub, 'op.c')]);
    const j = JSON.parse(lone.out);
    assert.deepEqual(
      j.findings.map((f: { ruleId: string; function: string; line: number }) => `${f.ruleId} ${f.function} ${f.line}`),
      ['lock/imbalance sub_op 7'],
    );
    // Without the header's summaries (--no-index), the helper is unknown and nothing is reported.
    const alone = JSON.parse(run(['check', '--format', 'json', '--no-index', join(sub, 'op.c')]).out);
    assert.deepEqual(alone.findings, []);
    // A directory, or several files, are checked file by file, as before.
    const asDir = JSON.parse(run(['check', '--format', 'json', sub]).out);
    assert.deepEqual(asDir.findings, []);
    writeFileSync(join(sub, 'other.c'), CLEAN);
    const two = JSON.parse(run(['check', '--format', 'json', join(sub, 'op.c'), join(sub, 'other.c')]).out);
    assert.deepEqual(two.findings, []);
  });
});
