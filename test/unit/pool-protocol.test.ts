/**
 * One worker protocol (issue 14): `vfslock check --jobs N` and the background index build run their files on the
 * editor's analysis thread (dist/worker.js), through the same requests, client and session. The thread that serves
 * an editor's documents answers the pool's methods too; they need `poolInit` first; a tree check's tasks see the
 * index the pool sends; and `WorkerPool` over that script gives what a check in this thread gives.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { PROJECT_ROOT, sharedAnalyzer } from '../helpers/corpus';
import type { WorkerClient } from '../../src/service/worker-client';
import { startAnalysisWorker } from '../helpers/analysis-worker';
import type { FileOutcome } from '../../src/service/protocol';
import { WorkerPool } from '../../src/cli/pool';
import { checkFile } from '../../src/cli/files';
import { UNLINK_WITHOUT_BREAK } from '../helpers/snippets';

// Written for this test: an unlink helper that changes a name under the victim's lock without breaking its
// delegation (the fix: try_break_deleg() before the change, handing the inode to the caller), and a setattr caller
// that retries after break_deleg_wait().
const MISSING = `#include <linux/fs.h>\n\n${UNLINK_WITHOUT_BREAK}`;
const CLEAN = `#include <linux/fs.h>

int my_truncate(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct inode *delegated_inode = NULL;
	int error;

retry:
	inode_lock(inode);
	error = notify_change(&nop_mnt_idmap, dentry, attr, &delegated_inode);
	inode_unlock(inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry;
	}
	return error;
}
`;

const ruleIds = (o: FileOutcome) => {
  assert.ok('result' in o, JSON.stringify(o));
  return o.result.findings.map((f) => f.ruleId).sort();
};

describe('the analysis thread serves the pool’s methods', () => {
  let dir: string;
  let worker: Worker;
  let client: WorkerClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vfslock-pool-'));
    writeFileSync(join(dir, 'missing.c'), MISSING);
    writeFileSync(join(dir, 'clean.c'), CLEAN);
    // The editor's thread: no pool role.
    ({ worker, client } = await startAnalysisWorker());
  });
  after(async () => {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pool request before poolInit is refused with a reason; the thread goes on', async () => {
    await assert.rejects(client.call('checkFile', { file: join(dir, 'missing.c') }), /poolInit must come before/);
    await assert.rejects(
      client.call('noSuchMethod' as 'checkFile', { file: join(dir, 'missing.c') }),
      /unknown method noSuchMethod/,
    );
  });

  test('checkFile reads the file on the thread and gives what a check in this thread gives', async () => {
    await client.call('poolInit', { catalogues: [], options: {} });
    const analyzer = await sharedAnalyzer();
    for (const name of ['missing.c', 'clean.c']) {
      const file = join(dir, name);
      const there = await client.call('checkFile', { file });
      const here = checkFile(analyzer, file, {});
      assert.deepEqual(ruleIds(there), ruleIds(here), name);
    }
    assert.ok(ruleIds(await client.call('checkFile', { file: join(dir, 'missing.c') })).length > 0);
    assert.deepEqual(ruleIds(await client.call('checkFile', { file: join(dir, 'clean.c') })), []);
    const gone = await client.call('checkFile', { file: join(dir, 'absent.c') });
    assert.ok('error' in gone && /absent\.c|no such file|ENOENT/i.test(gone.error), JSON.stringify(gone));
  });

  test('with fixes asked, a checked file carries verified fixes', async () => {
    await client.call('poolInit', { catalogues: [], options: {}, withFixes: true });
    const o = await client.call('checkFile', { file: join(dir, 'missing.c') });
    assert.ok('result' in o);
    const withFix = o.result.findings.filter((f) => (f as { fixes?: unknown[] }).fixes?.length);
    assert.ok(withFix.length > 0, JSON.stringify(o.result.findings.map((f) => f.ruleId)));
  });

  test('the session’s own requests still work on the same thread', async () => {
    await client.call('open', {
      uri: 'mem:missing.c',
      file: 'missing.c',
      text: MISSING,
      version: 1,
      options: {},
      catalogue: '',
    });
    const r = await client.call('result', { uri: 'mem:missing.c' });
    assert.ok(r && r.result.findings.length > 0);
  });
});

test('WorkerPool on the analysis thread: the same findings as a check in this thread, in input order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-pool-'));
  try {
    const files = ['missing.c', 'clean.c', 'missing2.c'].map((n) => join(dir, n));
    writeFileSync(files[0], MISSING);
    writeFileSync(files[1], CLEAN);
    writeFileSync(files[2], MISSING.replace('my_unlink', 'my_unlink2'));
    const pool = new WorkerPool(2, {}, [], false, undefined, { script: join(PROJECT_ROOT, 'dist', 'worker.js') });
    try {
      const outcomes = await pool.checkFiles(files);
      const analyzer = await sharedAnalyzer();
      assert.equal(outcomes.length, 3);
      outcomes.forEach((o, i) => {
        assert.ok('result' in o, JSON.stringify(o));
        assert.equal(o.result.file, files[i]);
        assert.deepEqual(ruleIds(o), ruleIds(checkFile(analyzer, files[i], {})));
      });
      assert.equal(pool.restarts, 0);
    } finally {
      await pool.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
