/** `vfslock check --format sarif` carries verified fixes and the finding's detail, through the built CLI. */
import { UNLINK_WITHOUT_BREAK } from '../helpers/snippets';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

// A 3.13-era unlink helper changing a name under the victim's lock, with its own out-parameter.
const CODE = UNLINK_WITHOUT_BREAK;

/** Applies SARIF replacements (1-based line/column regions) to a text. */
function applySarif(
  text: string,
  replacements: {
    deletedRegion: { startLine: number; startColumn: number; endLine: number; endColumn: number };
    insertedContent: { text: string };
  }[],
): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (line: number, col: number) => starts[line - 1] + col - 1;
  const edits = replacements.map((r) => ({
    start: off(r.deletedRegion.startLine, r.deletedRegion.startColumn),
    end: off(r.deletedRegion.endLine, r.deletedRegion.endColumn),
    text: r.insertedContent.text,
  }));
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

test('SARIF results carry verified fixes that, applied, leave the file clean; --jobs gives the same fixes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-sarif-'));
  try {
    const file = join(dir, 'u.c');
    writeFileSync(file, CODE);
    const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'sarif', file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const result = JSON.parse(r.stdout).runs[0].results.find(
      (x: { ruleId: string }) => x.ruleId === 'deleg/missing-break',
    );
    assert.ok(result);
    assert.ok(result.message.markdown.startsWith(result.message.text), 'markdown = headline + detail');
    assert.match(result.properties.detail, /try_break_deleg\(target, delegated_inode\)/);
    assert.equal(result.fixes.length, 1);
    const fix = result.fixes[0];
    assert.match(fix.description.text, /try_break_deleg\(target, delegated_inode\)/);
    const fixed = applySarif(CODE, fix.artifactChanges[0].replacements);
    assert.match(fixed, /try_break_deleg\(target, delegated_inode\)/);
    writeFileSync(file, fixed);
    const again = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', file], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stdout);
    assert.deepEqual(
      JSON.parse(again.stdout).findings.filter((f: { severity: string }) => f.severity !== 'info'),
      [],
    );
    // The same check with --jobs (worker threads) carries the same fixes.
    writeFileSync(file, CODE);
    writeFileSync(join(dir, 'v.c'), CODE.replace('my_unlink', 'my_unlink2'));
    const pooled = spawnSync(
      process.execPath,
      [CLI, 'check', '--format', 'sarif', '--jobs', '2', file, join(dir, 'v.c')],
      { encoding: 'utf8' },
    );
    const results = JSON.parse(pooled.stdout).runs[0].results.filter(
      (x: { ruleId: string }) => x.ruleId === 'deleg/missing-break',
    );
    assert.equal(results.length, 2);
    for (const x of results)
      assert.deepEqual(
        x.fixes,
        result.fixes.map((f: { artifactChanges: { artifactLocation: unknown }[] }) => ({
          ...f,
          artifactChanges: f.artifactChanges.map((c) => ({
            ...c,
            artifactLocation: x.fixes[0].artifactChanges[0].artifactLocation,
          })),
        })),
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
