/**
 * Patch review and "the function at the cursor" as requests of the analysis worker (issues 12 and 14): the built
 * dist/worker.js reviews a patch while the base tree is read through host callbacks (a fake tree here), answers the
 * host's progress handler, stops at the next analysis step when cancelled, and reports a missing file, a host read
 * error and an unreadable patch. The browser host's inline session answers the same requests the same way.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { createTwoFilesPatch } from 'diff';
import { sharedAnalyzer } from '../../helpers/corpus';
import type { WorkerClient } from '../../../src/service/worker-client';
import { startAnalysisWorker } from '../../helpers/analysis-worker';
import { directChannel, dispatch, type HostHandlers, type ReviewOutcome } from '../../../src/service/protocol';
import { Session } from '../../../src/service/session';

// Written for this test: an unlink that breaks the victim's delegation under its lock, and a caller that retries.
const UNLINK = `#include <linux/fs.h>

int my_vfs_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;

	inode_lock(target);
	error = try_break_deleg(target, delegated_inode);
	if (error)
		goto out;
	error = dir->i_op->unlink(dir, dentry);
out:
	inode_unlock(target);
	return error;
}
`;
const CALLER = `#include <linux/fs.h>

int my_unlinkat(struct inode *dir, struct dentry *dentry)
{
	struct inode *delegated_inode = NULL;
	int error;

retry:
	inode_lock(dir);
	error = my_vfs_unlink(dir, dentry, &delegated_inode);
	inode_unlock(dir);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry;
	}
	return error;
}
`;
const DROPPED = UNLINK.replace('error = try_break_deleg(target, delegated_inode);', 'error = 0;');
const PATCH = `Subject: [PATCH] fs: drop the victim break\n\n---\n${createTwoFilesPatch('a/fs/unlink.c', 'b/fs/unlink.c', UNLINK, DROPPED, undefined, undefined, { context: 3 })}`;

/** A fake host tree: files as bytes or (as an editor's unsaved text) as text; every callback recorded. */
function fakeTree(files: Record<string, string>, asText: string[] = []) {
  const calls: string[] = [];
  const progress: string[] = [];
  const handlers: HostHandlers = {
    'tree.read': async ({ path }) => {
      calls.push(`read ${path}`);
      const t = files[path];
      if (t === undefined) return null;
      return asText.includes(path) ? { text: t } : { bytes: new TextEncoder().encode(t) };
    },
    'tree.isDirectory': async ({ path }) => {
      calls.push(`isDirectory ${path}`);
      return Object.keys(files).some((p) => p.startsWith(path + '/'));
    },
    'tree.listSources': async () => {
      calls.push('listSources');
      return {
        paths: Object.keys(files)
          .filter((p) => /\.[ch]$/.test(p))
          .sort(),
        truncated: false,
      };
    },
    progress: (m) => progress.push(m),
  };
  return { handlers, calls, progress };
}

function reviewed(o: ReviewOutcome): Extract<ReviewOutcome, { kind: 'reviewed' }> {
  assert.equal(o.kind, 'reviewed', JSON.stringify(o).slice(0, 400));
  return o as Extract<ReviewOutcome, { kind: 'reviewed' }>;
}

describe('the analysis worker (dist/worker.js) reviews patches through host callbacks', () => {
  let worker: Worker;
  let client: WorkerClient;

  before(async () => {
    ({ worker, client } = await startAnalysisWorker());
  });
  after(async () => {
    await worker.terminate();
  });

  test('the introduced finding on the patch line, the tree read through the host (bytes and unsaved text)', async () => {
    const tree = fakeTree({ 'fs/unlink.c': UNLINK, 'fs/caller.c': CALLER }, ['fs/caller.c']);
    const o = reviewed(
      await client.call(
        'review',
        { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake', keepSources: true },
        { host: tree.handlers },
      ),
    );
    const [p] = o.review.patches;
    assert.equal(o.review.tree, 'fake');
    assert.equal(p.applied, true);
    assert.deepEqual(
      p.introduced.map((f) => [f.finding.ruleId, f.finding.function, f.file]),
      [['deleg/missing-break', 'my_vfs_unlink', 'fs/unlink.c']],
    );
    assert.equal(p.sources?.after['fs/unlink.c'], DROPPED, 'the patched text, for the editor');
    // The changed contract (my_vfs_unlink no longer breaks) is followed into the caller, read as text.
    assert.deepEqual(
      p.contracts.map((c) => [c.function, c.callers]),
      [['my_vfs_unlink', ['fs/caller.c']]],
    );
    assert.ok(
      tree.calls.includes('read fs/unlink.c') &&
        tree.calls.includes('read fs/caller.c') &&
        tree.calls.includes('listSources'),
      tree.calls.join(', '),
    );
    assert.ok(
      tree.progress.some((m) => m.startsWith('[1/1] fs: drop the victim break')),
      tree.progress.join(' | '),
    );
    // The diagnostics for the input: the error on the patch's own line.
    const [d] = o.diagnostics;
    assert.equal(d.source, 'drop.patch');
    const errors = d.items.filter((x) => x.severity === 'error');
    assert.equal(errors.length, 1);
    assert.equal(
      PATCH.split('\n')[errors[0].line],
      ' \terror = dir->i_op->unlink(dir, dentry);',
      'the context line of the change',
    );
    assert.equal(client.size, 0);
  });

  test('cancelled while it waits for a read: it stops before the next analysis step; the worker goes on serving', async () => {
    const tree = fakeTree({ 'fs/unlink.c': UNLINK });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let asked!: () => void;
    const reading = new Promise<void>((r) => (asked = r));
    const controller = new AbortController();
    const slow: HostHandlers = {
      ...tree.handlers,
      'tree.read': async (p) => {
        asked();
        await gate;
        return tree.handlers['tree.read']!(p);
      },
    };
    const pending = client.call(
      'review',
      { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' },
      { host: slow, signal: controller.signal },
    );
    await reading;
    controller.abort();
    // The cancel message is in the worker's queue before the read's answer.
    await new Promise((r) => setTimeout(r, 50));
    release();
    const o = reviewed(await pending);
    const [p] = o.review.patches;
    assert.equal(p.checked, false);
    assert.equal(p.error, 'not checked: the review was cancelled');
    assert.deepEqual(p.introduced, []);
    assert.equal(o.review.stats.analyses, 0, 'nothing analysed after the cancellation');
    // A new review runs to the end.
    const again = reviewed(
      await client.call(
        'review',
        { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' },
        { host: fakeTree({ 'fs/unlink.c': UNLINK }).handlers },
      ),
    );
    assert.equal(again.review.patches[0].introduced.length, 1);
  });

  test('a file the tree does not have: the patch does not apply, said on its hunk', async () => {
    const tree = fakeTree({ 'fs/other.c': CALLER });
    const o = reviewed(
      await client.call(
        'review',
        { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' },
        { host: tree.handlers },
      ),
    );
    const [p] = o.review.patches;
    assert.equal(p.applied, false);
    assert.match(p.error ?? '', /fs\/unlink\.c/);
    assert.deepEqual(
      o.diagnostics[0].items.map((d) => d.severity),
      ['error'],
    );
    assert.match(o.diagnostics[0].items[0].message, /^patch does not apply: .*fs\/unlink\.c/);
  });

  test('a host read that fails fails the request with its message; a file the tree refuses is skipped', async () => {
    const failing: HostHandlers = {
      ...fakeTree({}).handlers,
      'tree.read': async () => {
        throw new Error('EACCES: permission denied, open fs/unlink.c');
      },
    };
    await assert.rejects(
      client.call('review', { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' }, { host: failing }),
      /EACCES: permission denied, open fs\/unlink\.c/,
    );
    // No handlers at all: the worker is told the host does not answer.
    await assert.rejects(
      client.call('review', { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' }),
      /the host does not answer tree\.read/,
    );
    // A caller candidate the host refuses (TreeError): the review goes on without it.
    const tree = fakeTree({ 'fs/unlink.c': UNLINK, 'fs/caller.c': CALLER });
    const refusing: HostHandlers = {
      ...tree.handlers,
      'tree.read': async (p) => {
        if (p.path === 'fs/caller.c') throw new Error('TreeError: fs/caller.c is a FIFO');
        return tree.handlers['tree.read']!(p);
      },
    };
    const o = reviewed(
      await client.call(
        'review',
        { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'fake' },
        { host: refusing },
      ),
    );
    assert.equal(o.review.patches[0].introduced.length, 1);
    assert.deepEqual(
      o.review.patches[0].contracts.map((c) => [c.function, c.callers]),
      [['my_vfs_unlink', []]],
      'the refused caller is not examined',
    );
  });

  test('an input that is not a usable patch; no patch; more patches than allowed', async () => {
    const nul =
      'diff --git "a/x\\000y.c" "b/x\\000y.c"\n--- "a/x\\000y.c"\n+++ "b/x\\000y.c"\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int B;\n';
    const bad = await client.call(
      'review',
      { inputs: [{ source: 'nul.patch', text: `Subject: [PATCH] x\n\n---\n${nul}` }], tree: 'fake' },
      { host: fakeTree({}).handlers },
    );
    assert.equal(bad.kind, 'inputError');
    assert.equal(bad.kind === 'inputError' && bad.source, 'nul.patch');
    assert.match(bad.kind === 'inputError' ? bad.message : '', /contains a NUL byte/);
    assert.deepEqual(
      await client.call(
        'review',
        { inputs: [{ source: 'empty.patch', text: 'just a mail\n' }], tree: 'fake' },
        { host: fakeTree({}).handlers },
      ),
      { kind: 'empty' },
    );
    assert.deepEqual(
      await client.call(
        'review',
        {
          inputs: [
            { source: 'a', text: PATCH },
            { source: 'b', text: PATCH },
          ],
          tree: 'fake',
          maxPatches: 1,
        },
        { host: fakeTree({}).handlers },
      ),
      { kind: 'tooMany', patches: 2 },
    );
  });

  test('functionAt: from the open document at its version, else from a parse of the text sent', async () => {
    const offset = UNLINK.indexOf('try_break_deleg');
    await client.call('open', { uri: 'mem:/u.c', file: 'u.c', text: UNLINK, version: 3, options: {}, catalogue: '' });
    assert.deepEqual(
      (await client.call('functionAt', { uri: 'mem:/u.c', version: 3, file: 'u.c', text: UNLINK, offset }))?.name,
      'my_vfs_unlink',
    );
    // Another version (not the session's): the text sent is parsed.
    const edited = `${CALLER}\n${UNLINK}`;
    assert.equal(
      (
        await client.call('functionAt', {
          uri: 'mem:/u.c',
          version: 4,
          file: 'u.c',
          text: edited,
          offset: edited.indexOf('break_deleg_wait'),
        })
      )?.name,
      'my_unlinkat',
    );
    assert.equal(
      await client.call('functionAt', { uri: 'mem:/other.c', version: 1, file: 'other.c', text: UNLINK, offset: 2 }),
      null,
      'before any function',
    );
    await client.call('close', { uri: 'mem:/u.c' });
  });

  test("diff: the working tree review's patch is made in the worker", async () => {
    const d = await client.call('diff', {
      changes: [{ oldPath: 'fs/unlink.c', newPath: 'fs/unlink.c', before: UNLINK, after: DROPPED }],
    });
    assert.match(d, /^diff --git a\/fs\/unlink\.c b\/fs\/unlink\.c\n/);
    assert.ok(d.includes('-\terror = try_break_deleg(target, delegated_inode);\n+\terror = 0;\n'));
  });
});

test("the browser host's inline session answers a review the same way (callbacks to handlers in the same thread)", async () => {
  const s = new Session(await sharedAnalyzer());
  try {
    const tree = fakeTree({ 'fs/unlink.c': UNLINK, 'fs/caller.c': CALLER });
    const o = reviewed(
      await dispatch(
        s,
        'review',
        { inputs: [{ source: 'drop.patch', text: PATCH }], tree: 'inline' },
        undefined,
        directChannel(tree.handlers),
      ),
    );
    assert.deepEqual(
      o.review.patches[0].introduced.map((f) => f.finding.ruleId),
      ['deleg/missing-break'],
    );
    assert.ok(tree.progress.length > 0);
  } finally {
    s.dispose();
  }
});
