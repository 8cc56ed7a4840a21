/**
 * Hostile files and file trees (issue 12, items 2, 4, 5 and 9): each input is generated here, and every slow case runs
 * under a time limit, so a regression fails instead of hanging.
 *  - a file that makes the parser's wasm abort does not poison the files after it (CLI, --jobs, editor session);
 *  - a file nested millions of brackets deep, or too large, is refused before it is parsed or read;
 *  - devices, FIFOs and sockets (also behind symbolic links, also as --rules) are refused without being read;
 *  - `check DIR` does not follow directory symlinks, nor file symlinks out of DIR;
 *  - the parser's budget does not depend on the clock; a rules file may start with a byte-order mark.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  closeSync,
  openSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer, MAX_FILE_BYTES, MAX_NESTING, nestingBeyond } from '../../src/core/engine';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';
import { ParseBudgetError, parseReportBudget } from '../../src/core/parse/parser';
import { readRegularFile, readRegularText } from '../../src/core/node-read';
import { collectFiles } from '../../src/cli/files';
import { Session } from '../../src/service/session';
import { PROJECT_ROOT } from '../helpers/corpus';
import { buggySetattr } from '../helpers/buggy';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

function run(args: string[], timeoutMs = 60000) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

interface Report {
  findings: { ruleId: string; file: string }[];
  errors: { file: string; message: string }[];
  stats: { files: number };
}

function runJson(args: string[], timeoutMs = 60000): Report & { code: number | null } {
  const r = run(['check', '--format', 'json', ...args], timeoutMs);
  assert.equal(r.signal, null, `no hang (${timeoutMs} ms): ${r.err}`);
  assert.ok(r.out, `output expected; stderr: ${r.err}`);
  return { ...(JSON.parse(r.out) as Report), code: r.code };
}

/** A function the analysis flags (deleg/missing-break). */
const BUGGY = buggySetattr('buggy');

/** The input: `int f(void){ return ` + 12,000,000 `(` + `1; }` (12 MB). */
const nested = (n: number) => 'int f(void){ return ' + '('.repeat(n) + '1; }\n';
/**
 * Within the size and nesting limits, but dense enough that the parser's heap passes its 512 MB limit (a chain of
 * unary operators: ~270 bytes of parser memory per character), so the wasm side aborts.
 */
// It mentions a catalogued call, so that the check parses it (a file mentioning nothing the rules know is not parsed).
const ABORTING = 'int f(struct inode *inode){ inode_lock(inode); return ' + '!'.repeat(3_000_000) + '1; }\n';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-hostile-'));
  writeFileSync(join(dir, 'buggy.c'), BUGGY);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe('item 2: one file does not poison the parser for the rest of the process', () => {
  test(
    'the 12 MB file of 12 million "(" and then a normal file, in one CLI run: refused, the next has its findings',
    { timeout: 60000 },
    () => {
      const d = fresh('nested12m');
      writeFileSync(join(d, 'a-hostile.c'), nested(12_000_000));
      writeFileSync(join(d, 'b-normal.c'), BUGGY);
      const t0 = Date.now();
      const j = runJson([d]);
      assert.deepEqual(
        j.findings.map((f) => [f.file.split('/').pop(), f.ruleId]),
        [['b-normal.c', 'deleg/missing-break']],
      );
      assert.deepEqual(
        j.errors.map((e) => e.file.split('/').pop()),
        ['a-hostile.c'],
      );
      // In a folder a file of up to 32 MB is read for the token scan (nothing to report if it mentions nothing the
      // analysis tracks); this one cannot even be scanned, so the analyzer refuses it by its size, unparsed.
      assert.match(
        j.errors[0].message,
        /^file is too large to analyse \(11\.4 MB; the limit is 4 MB: parsing and analysing a file takes/,
      );
      assert.ok(Date.now() - t0 < 30000, `took ${Date.now() - t0} ms`);
    },
  );

  test('edits that nest too deeply are refused; edits that cannot deepen the nesting skip counting it', async () => {
    const analyzer = await Analyzer.create(nodeWasmSource());
    const doc = analyzer.open('edited.c', 'int f(void)\n{\n\treturn 0;\n}\n');
    try {
      assert.equal(doc.result().error, undefined);
      const at = doc.source.indexOf('0;');
      doc.edit(at, at, 'x + ');
      assert.equal(doc.result().error, undefined);
      // Opening brackets typed in: counted again.
      doc.edit(at, at, '('.repeat(MAX_NESTING + 5));
      assert.match(doc.result().error ?? '', /^too deeply nested: more than \d+ brackets are open at line 3/);
      doc.edit(at, at + MAX_NESTING + 5, '');
      assert.equal(doc.result().error, undefined);
      // Closing brackets deleted: `(` × 600 `)` × 600 `(` × 600 nests 600 deep; without the `)` it nests 1,200 deep.
      const half = MAX_NESTING * 0.6;
      const deepOnDelete = '('.repeat(half) + ')'.repeat(half) + '('.repeat(half);
      doc.edit(at, at, deepOnDelete + ')'.repeat(2 * half));
      assert.equal(doc.result().error, undefined);
      doc.edit(at + half, at + 2 * half, '');
      assert.match(doc.result().error ?? '', /^too deeply nested/);
    } finally {
      doc.dispose();
    }
  });

  test(
    'within the size limit, 4 million "(" are refused before parsing, with the line and column',
    { timeout: 60000 },
    async () => {
      const text = nested(4_000_000);
      assert.ok(text.length <= MAX_FILE_BYTES);
      const analyzer = await Analyzer.create(nodeWasmSource());
      const t0 = performance.now();
      const r = analyzer.check('deep.c', text);
      assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
      // "int f(void){ return " is 20 characters; the `{` is the first level, so the 1000th "(" is one too many.
      assert.equal(
        r.error,
        `too deeply nested: more than ${MAX_NESTING} brackets are open at line 1, column ${20 + 1000}; ` +
          'the file is not parsed (kernel C nests a few levels deep, and each level costs the parser memory)',
      );
      assert.equal(nestingBeyond('{'.repeat(MAX_NESTING) + '}'.repeat(MAX_NESTING), MAX_NESTING), -1);
      assert.equal(nestingBeyond(')]}' + '[('.repeat(MAX_NESTING / 2) + '{', MAX_NESTING), 3 + MAX_NESTING);
      assert.deepEqual(
        analyzer.check('b.c', BUGGY).findings.map((f) => f.ruleId),
        ['deleg/missing-break'],
      );
    },
  );

  test(
    'a parser abort (heap limit) discards the wasm instance: the files after it parse on a new one',
    { timeout: 120000 },
    async () => {
      const analyzer = await Analyzer.create(nodeWasmSource());
      // An editor document parsed before the abort: its tree belongs to the instance that is about to go.
      const doc = analyzer.open('open.c', BUGGY);
      assert.deepEqual(
        doc.result().findings.map((f) => f.ruleId),
        ['deleg/missing-break'],
      );
      const t0 = performance.now();
      const bad = analyzer.check('abort.c', ABORTING);
      assert.ok(performance.now() - t0 < 60000, `took ${performance.now() - t0} ms`);
      assert.equal(
        bad.error,
        'cannot parse: the parser ran out of memory (its limit is 512 MB); a new parser was started for what comes next',
      );
      await analyzer.ready();
      assert.equal(analyzer.parser.restarts, 1);
      for (let i = 0; i < 3; i++)
        assert.deepEqual(
          analyzer.check(`next${i}.c`, BUGGY).findings.map((f) => f.ruleId),
          ['deleg/missing-break'],
        );
      // The open document is edited on the new instance (its old tree is dropped, not edited).
      const at = BUGGY.indexOf('inode_unlock');
      doc.edit(at, at, 'x = 1;\n\t');
      assert.deepEqual(
        doc.result().findings.map((f) => f.ruleId),
        ['deleg/missing-break'],
      );
      assert.equal(doc.result().error, undefined);
      doc.dispose();
    },
  );

  test(
    'the editor session answers the requests after a document that made the parser abort',
    { timeout: 120000 },
    async () => {
      const session = await Session.create(nodeWasmSource());
      session.open({
        uri: 'file:///abort.c',
        file: '/abort.c',
        text: ABORTING,
        version: 1,
        options: {},
        catalogue: '',
      });
      assert.match(session.result('file:///abort.c')?.result.error ?? '', /ran out of memory/);
      await session.ready();
      session.open({ uri: 'file:///b.c', file: '/b.c', text: BUGGY, version: 1, options: {}, catalogue: '' });
      assert.deepEqual(
        session.result('file:///b.c')?.result.findings.map((f) => f.ruleId),
        ['deleg/missing-break'],
      );
      session.dispose();
    },
  );

  test(
    'CLI, one thread and --jobs 2: the aborting file has an error entry, the files after it their findings',
    { timeout: 180000 },
    () => {
      const d = fresh('abort');
      writeFileSync(join(d, 'a-abort.c'), ABORTING);
      for (const n of ['b', 'c', 'd']) writeFileSync(join(d, `${n}.c`), BUGGY.replace('buggy', `buggy_${n}`));
      for (const jobs of ['1', '2']) {
        const j = runJson(['--jobs', jobs, d], 90000);
        assert.equal(j.code, 2);
        assert.deepEqual(
          j.findings.map((f) => f.file.split('/').pop()),
          ['b.c', 'c.c', 'd.c'],
          `--jobs ${jobs}`,
        );
        assert.deepEqual(
          j.errors.map((e) => [e.file.split('/').pop(), e.message]),
          [
            [
              'a-abort.c',
              'cannot parse: the parser ran out of memory (its limit is 512 MB); a new parser was started for what comes next',
            ],
          ],
        );
      }
    },
  );
});

describe('item 4: devices, FIFOs and sockets are refused, not read; sizes are checked before reading', () => {
  const hasDevZero = existsSync('/dev/zero');
  const mkfifo = (p: string) => spawnSync('mkfifo', [p]).status === 0;

  test(
    'a .c symlink to /dev/zero in a checked folder, as a PATH and as --rules',
    { skip: !hasDevZero && 'no /dev/zero', timeout: 60000 },
    () => {
      const d = fresh('devzero');
      symlinkSync('/dev/zero', join(d, 'zero.c'));
      writeFileSync(join(d, 'real.c'), BUGGY);
      const j = runJson([d], 30000);
      assert.deepEqual(
        j.findings.map((f) => f.ruleId),
        ['deleg/missing-break'],
      );
      assert.deepEqual(
        j.errors.map((e) => [e.file.split('/').pop(), e.message]),
        [['zero.c', 'not a regular file (symbolic link to a character device): not read']],
      );
      const direct = runJson([join(d, 'zero.c')], 30000);
      assert.deepEqual(
        direct.errors.map((e) => e.message),
        ['not a regular file (a character device): not read'],
      );
      symlinkSync('/dev/zero', join(d, 'rules.json'));
      const rules = run(['check', '--rules', join(d, 'rules.json'), join(d, 'real.c')], 30000);
      assert.equal(rules.signal, null, 'no hang');
      assert.equal(rules.code, 2);
      assert.equal(
        rules.err,
        `vfslock check: cannot read rules file ${join(d, 'rules.json')}: not a regular file (a character device): not read\n`,
      );
    },
  );

  test('a FIFO named like a source file, given as a PATH and as --rules, does not hang', { timeout: 60000 }, (t) => {
    const d = fresh('fifo');
    if (!mkfifo(join(d, 'pipe.c')) || !mkfifo(join(d, 'rules.json'))) {
      t.skip('mkfifo is not available');
      return;
    }
    writeFileSync(join(d, 'real.c'), BUGGY);
    const j = runJson([d], 30000);
    assert.deepEqual(
      j.findings.map((f) => f.ruleId),
      ['deleg/missing-break'],
    );
    assert.deepEqual(
      j.errors.map((e) => [e.file.split('/').pop(), e.message]),
      [['pipe.c', 'not a regular file (a FIFO (named pipe)): not read']],
    );
    assert.deepEqual(
      runJson([join(d, 'pipe.c')], 30000).errors.map((e) => e.message),
      ['not a regular file (a FIFO (named pipe)): not read'],
    );
    const rules = run(['check', '--rules', join(d, 'rules.json'), join(d, 'real.c')], 30000);
    assert.equal(rules.signal, null, 'no hang');
    assert.match(rules.err, /cannot read rules file .*: not a regular file \(a FIFO \(named pipe\)\): not read/);
  });

  test(
    'a socket named like a source file is refused',
    { skip: process.platform === 'win32' && 'no Unix sockets on paths', timeout: 60000 },
    async () => {
      const d = fresh('socket');
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(join(d, 'sock.c'), resolve));
      try {
        const r = readRegularFile(join(d, 'sock.c'), 1024);
        assert.deepEqual(r, { error: 'not a regular file (a socket): not read', kind: 'not-regular' });
        const c = collectFiles([d]);
        assert.deepEqual([c.files, c.errors.map((e) => e.message)], [[], ['not a regular file (a socket): not read']]);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );

  test('a 2 GB (sparse) .c file is refused from its size, before any of it is read', { timeout: 60000 }, () => {
    const d = fresh('huge');
    const f = join(d, 'huge.c');
    closeSync(openSync(f, 'w'));
    truncateSync(f, 2 * 1024 * 1024 * 1024);
    const t0 = Date.now();
    const j = runJson([f], 30000);
    assert.deepEqual(
      j.errors.map((e) => e.message),
      ['file is too large to analyse (2048.0 MB; the limit is 4 MB): not read'],
    );
    assert.ok(Date.now() - t0 < 20000);
  });

  test(
    "the editor's workspace check, reading local files on its worker, refuses the same files by path",
    { timeout: 60000 },
    async (t) => {
      const d = fresh('session-paths');
      writeFileSync(join(d, 'real.c'), BUGGY);
      const session = await Session.create(nodeWasmSource());
      const check = (path: string) =>
        session.check({ file: path.slice(d.length + 1), path, options: {}, catalogue: '', positions: true });
      // Without a reader (the browser host's worker) a path is not read, and says so.
      assert.equal(check(join(d, 'real.c')).error, 'cannot read: this host cannot read files by path');
      session.setSourceReader(readRegularText);
      const real = check(join(d, 'real.c'));
      assert.deepEqual([real.error, real.findings.map((f) => f.ruleId)], [undefined, ['deleg/missing-break']]);
      // The same findings, positions included, as for the text itself (the time aside).
      const fromText = session.check({ file: 'real.c', text: BUGGY, options: {}, catalogue: '', positions: true });
      assert.deepEqual({ ...real, ms: 0 }, { ...fromText, ms: 0 });
      if (hasDevZero) {
        symlinkSync('/dev/zero', join(d, 'zero.c'));
        assert.equal(check(join(d, 'zero.c')).error, 'cannot read: not a regular file (a character device): not read');
      }
      if (mkfifo(join(d, 'pipe.c')))
        assert.equal(check(join(d, 'pipe.c')).error, 'cannot read: not a regular file (a FIFO (named pipe)): not read');
      else t.diagnostic('mkfifo is not available: FIFO case skipped');
      assert.equal(check(join(d, 'gone.c')).error, 'cannot read: no such file or directory');
      session.dispose();
    },
  );

  test(
    'the read stops one byte past the limit whatever size the file reports (/proc reports 0)',
    { skip: !existsSync('/proc/self/status') && 'no /proc', timeout: 10000 },
    () => {
      const r = readRegularFile('/proc/self/status', 64);
      assert.deepEqual(r, {
        error: 'file is too large (65 bytes; the limit is 64 bytes): not read',
        kind: 'too-large',
        size: 65,
      });
      const ok = readRegularFile('/proc/self/status', 1024 * 1024);
      assert.ok('bytes' in ok && ok.bytes.toString('utf8').includes('Name:'));
    },
  );
});

describe('item 5: check DIR does not follow directory symlinks', () => {
  test(
    'links to /, to the parent, to a directory outside and back into the tree: each real file once, none outside',
    { timeout: 60000 },
    () => {
      const root = fresh('walk');
      const outside = fresh('outside');
      writeFileSync(join(outside, 'secret.c'), BUGGY.replace('buggy', 'outside_fn'));
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'top.c'), BUGGY.replace('buggy', 'top_fn'));
      writeFileSync(join(root, 'sub', 'inner.c'), BUGGY.replace('buggy', 'inner_fn'));
      symlinkSync('/', join(root, 'rootfs'));
      symlinkSync('..', join(root, 'sub', 'up'));
      symlinkSync(outside, join(root, 'out'));
      symlinkSync(join(root, 'sub'), join(root, 'again'));
      // File links: one to a file of the tree (followed, but the file is checked once), one out of it (not followed).
      symlinkSync(join(root, 'sub', 'inner.c'), join(root, 'alias.c'));
      symlinkSync(join(outside, 'secret.c'), join(root, 'leak.c'));
      const t0 = Date.now();
      const c = collectFiles([root]);
      assert.ok(Date.now() - t0 < 5000, `walk took ${Date.now() - t0} ms`);
      // alias.c comes before sub/ in name order: sub/inner.c, the same real file, is then not checked a second time.
      assert.deepEqual(c.files.map((f) => f.slice(root.length + 1)).sort(), ['alias.c', 'top.c']);
      assert.deepEqual(
        c.errors.map((e) => [e.file.slice(root.length + 1), e.message.replace(outside, 'OUTSIDE')]),
        [['leak.c', `symbolic link to a file outside ${root} (OUTSIDE/secret.c): not followed`]],
      );
      const j = runJson([root], 30000);
      assert.deepEqual(j.findings.map((f) => f.file.slice(root.length + 1)).sort(), ['alias.c', 'top.c']);
      // A link given explicitly is followed: that is what was asked for.
      assert.deepEqual(
        collectFiles([join(root, 'out')]).files.map((f) => f.split('/').pop()),
        ['secret.c'],
      );
    },
  );
});

describe('item 9: parse budget, size per file, rules file BOM', () => {
  test(
    'the parse budget is parser work, not time: a clock jumping an hour per reading changes nothing',
    { timeout: 60000 },
    async () => {
      const analyzer = await Analyzer.create(nodeWasmSource());
      const text = Array.from({ length: 1500 }, (_, i) => BUGGY.replace('buggy', `f${i}`)).join('\n');
      const expected = analyzer.check('a.c', text, { analysisBudgetMs: 0 }).findings.length;
      assert.equal(expected, 1500);
      const realDate = Date.now;
      const realPerf = performance.now.bind(performance);
      let skew = 0;
      Date.now = () => realDate() + (skew += 3_600_000);
      performance.now = () => realPerf() + (skew += 3_600_000);
      try {
        const r = analyzer.check('a.c', text, { analysisBudgetMs: 0 });
        assert.equal(r.error, undefined);
        assert.equal(r.findings.length, expected);
      } finally {
        Date.now = realDate;
        performance.now = realPerf;
      }
    },
  );

  test('the work budget stops a parse at the same point every time, with the reason', { timeout: 60000 }, async () => {
    const analyzer = await Analyzer.create(nodeWasmSource());
    const text = Array.from({ length: 200 }, (_, i) => BUGGY.replace('buggy', `f${i}`)).join('\n');
    const messages = new Set<string>();
    for (let i = 0; i < 3; i++) {
      assert.throws(
        () => analyzer.parser.parse(text, null, undefined, 50),
        (e) => {
          assert.ok(e instanceof ParseBudgetError);
          messages.add(e.message);
          return true;
        },
      );
    }
    assert.deepEqual(
      [...messages],
      [
        "the parser's work exceeded its budget for a text of this length (50 × 100 operations); C parses in a time linear in its length, well within it",
      ],
    );
    // The default budget leaves room for the densest C (73 reports per KB measured); kernel C needs about 7.
    assert.ok(parseReportBudget(4 * 1024 * 1024) > 3 * 73 * 4096);
    const tree = analyzer.parser.parse(text);
    assert.equal(tree.rootNode.hasError, false);
    analyzer.parser.free(tree);
  });

  test('a 16 MB generated file is refused before it is read, in little memory', { timeout: 60000 }, () => {
    const f = join(fresh('big16'), 'big.c');
    const unit = BUGGY.replace('buggy', 'fXXXXXXX');
    const parts: string[] = [];
    for (let i = 0, size = 0; size < 16 * 1024 * 1024; i++, size += unit.length)
      parts.push(unit.replace('XXXXXXX', String(i).padStart(7, '0')));
    writeFileSync(f, parts.join(''));
    const script =
      `require(${JSON.stringify(CLI)}).main(['check', '--format', 'json', ${JSON.stringify(f)}], { out: (s) => process.stdout.write(s), err: () => {}, isTTY: false })` +
      '.then(() => process.stderr.write(String(process.resourceUsage().maxRSS)))';
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.signal, null, 'no hang');
    const j = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      j.errors.map((e) => e.message),
      ['file is too large to analyse (16.0 MB; the limit is 4 MB): not read'],
    );
    const peakMb = Number(r.stderr) / 1024;
    // 1.1-1.5 GB when such a file was parsed and analysed; now it is never read.
    assert.ok(peakMb < 300, `peak RSS ${peakMb.toFixed(0)} MB`);
  });

  test(
    'in a directory, a large generated header that mentions nothing tracked is scanned, not refused',
    { timeout: 60000 },
    () => {
      // Written for this test, in the shape of drivers/gpu/drm/amd/include/asic_reg/*_sh_mask.h: 6 MB of #defines.
      const d = fresh('regs');
      const defines: string[] = [];
      for (let i = 0, size = 0; size < 6 * 1024 * 1024; i++) {
        const line = `#define REG_${i}__FIELD_${i % 97}_MASK 0x${((i * 2654435761) % 4294967296).toString(16)}L\n`;
        defines.push(line);
        size += line.length;
      }
      writeFileSync(join(d, 'regs_sh_mask.h'), defines.join(''));
      // The same size, but with functions that lock inodes: it could matter, so it is refused as before.
      const unit = BUGGY.replace('buggy', 'fXXXXXXX');
      const parts: string[] = [];
      for (let i = 0, size = 0; size < 6 * 1024 * 1024; i++, size += unit.length)
        parts.push(unit.replace('XXXXXXX', String(i).padStart(7, '0')));
      writeFileSync(join(d, 'big.c'), parts.join(''));
      writeFileSync(join(d, 'small.c'), BUGGY);
      for (const jobs of ['1', '2']) {
        const r = run(['check', '--format', 'json', '--jobs', jobs, d]);
        const j = JSON.parse(r.out) as Report;
        assert.deepEqual(
          j.errors.map((e) => `${e.file.split('/').pop()}: ${e.message}`),
          [
            'big.c: file is too large to analyse (6.0 MB; the limit is 4 MB: parsing and analysing a file takes over 100 bytes of memory per character)',
          ],
          `--jobs ${jobs}`,
        );
        assert.deepEqual(
          j.findings.map((f) => f.file.split('/').pop()),
          ['small.c'],
          `--jobs ${jobs}`,
        );
      }
      // Without the header of functions, nothing is refused: the exit status says only what was found.
      rmSync(join(d, 'big.c'));
      const r = run(['check', '--jobs', '2', d]);
      assert.equal(r.code, 1, r.err);
      assert.doesNotMatch(r.out + r.err, /too large/);
    },
  );

  test(
    'a rules file starting with a UTF-8 byte-order mark is accepted; invisible characters in a JSON error are named',
    { timeout: 60000 },
    () => {
      const d = fresh('bom');
      const custom = BUGGY.replace('inode_lock(inode)', 'myfs_lock(inode)').replace(
        'inode_unlock(inode)',
        'myfs_unlock(inode)',
      );
      writeFileSync(join(d, 'custom.c'), custom);
      const catalogue = JSON.stringify({
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
      });
      writeFileSync(join(d, 'rules.json'), '\ufeff' + catalogue);
      const j = runJson(['--rules', join(d, 'rules.json'), join(d, 'custom.c')]);
      assert.deepEqual([j.code, j.findings.map((f) => f.ruleId), j.errors], [1, ['deleg/missing-break'], []]);
      writeFileSync(join(d, 'zwsp.json'), '\u200b' + catalogue);
      const bad = run(['check', '--rules', join(d, 'zwsp.json'), join(d, 'custom.c')]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /not valid JSON: .*\\u\{200B\}/);
      assert.doesNotMatch(bad.err, /\u200b/);
      assert.ok(readFileSync(join(d, 'rules.json'))[0] === 0xef);
    },
  );
});
