/**
 * Where the rules added after expectations.json (shared, read-only) fire in the corpus: exactly these functions.
 * deleg/dir-self-break: 6.19+ vfs_rename (a moved/replaced directory) and vfs_rmdir (its victim).
 * lease/otrunc-read-lease: handle_truncate() of every release (open(O_RDONLY|O_TRUNC) keeps F_RDLCK leases).
 * lease/server-open-blocks: nowhere (every release's nfsd opens after nfsd_open_break_lease()).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORPUS, corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';

const NEW = ['deleg/dir-self-break', 'lease/otrunc-read-lease', 'lease/server-open-blocks'];
const RELEASES = ['v3.10.99', 'v3.13', 'v4.19.1', 'v5.15.135', 'v6.12', 'v6.19', 'v7.0', 'v7.1.5'];
const EXPECTED = [
  ...RELEASES.map((v) => `${v}/fs/namei.c handle_truncate lease/otrunc-read-lease`),
  ...['v6.19', 'v7.0', 'v7.1.5'].flatMap((v) => [
    `${v}/fs/namei.c vfs_rename deleg/dir-self-break`,
    `${v}/fs/namei.c vfs_rmdir deleg/dir-self-break`,
  ]),
].sort();

function cFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? cFiles(p) : p.endsWith('.c') ? [p] : [];
  });
}

test(
  'new warnings fire exactly where the corpus shows the behaviour',
  { skip: !corpusAvailable() ? 'no corpus' : false },
  async () => {
    const a = await sharedAnalyzer();
    const got = new Set<string>();
    for (const abs of cFiles(CORPUS)) {
      const rel = relative(CORPUS, abs);
      for (const f of a.check(rel, corpusFile(rel)).findings) {
        if (NEW.includes(f.ruleId)) {
          assert.equal(f.severity, 'warning');
          got.add(`${rel} ${f.function} ${f.ruleId}`);
        }
      }
    }
    assert.deepEqual([...got].sort(), EXPECTED);
  },
);
