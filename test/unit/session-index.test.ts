/**
 * Summaries across files in the editor's session (issue 10, item 1: single-file use builds the tree's index in the
 * background): a document of a small kernel tree written here is checked on its own at first, then, once the tree's
 * index is built on a thread of its own, with it: the helper of another file is understood from its body.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CLEAR_C, writeMiniTree } from '../helpers/mini-tree';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, type IndexEvent } from '../../src/service/session';
import { TreeIndexes } from '../../src/service/tree-index';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';
import { readRegularText } from '../../src/core/node-read';

let base = '';

const errors = (s: Session, uri: string) =>
  (s.result(uri)?.result.findings ?? [])
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.line} ${f.function} ${f.ruleId}`);

describe("the session with a kernel tree's summary index", () => {
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'vfslock-sidx-'));
    process.env.VFSLOCK_CACHE_DIR = join(base, 'cache');
  });
  after(() => {
    delete process.env.VFSLOCK_CACHE_DIR;
    rmSync(base, { recursive: true, force: true });
  });

  test('a file is checked on its own until the index is built, then with the helpers of other files', async () => {
    const root = join(base, 'linux');
    const file = writeMiniTree(root);
    const session = await Session.create(nodeWasmSource());
    const events: IndexEvent[] = [];
    let ready!: () => void;
    const built = new Promise<void>((r) => (ready = r));
    session.setIndexProvider(
      new TreeIndexes({
        onEvent: (e) => {
          events.push(e);
          if (e.state !== 'building') ready();
        },
      }),
    );
    const uri = 'file://' + file;
    session.open({
      uri,
      file: 'fs/foo/clear.c',
      path: file,
      text: readFileSync(file, 'utf8'),
      version: 1,
      options: {},
      catalogue: '',
    });
    // On its own, foo_drop() is an unknown helper.
    assert.deepEqual(errors(session, uri), []);
    await built;
    assert.deepEqual(
      events.map((e) => e.state),
      ['building', 'ready'],
      JSON.stringify(events),
    );
    assert.equal(events[1].root, root);
    assert.deepEqual(session.refreshIndexes(), [uri]);
    assert.deepEqual(errors(session, uri), ['6 foo_clear deleg/missing-break']);
    const f = session.result(uri)!.result.findings.find((x) => x.ruleId === 'deleg/missing-break')!;
    assert.match(f.message, /foo_drop/, f.message);
    // Edits keep the index; turning summaries across files off goes back to the file on its own.
    const text = session.text(uri)!;
    session.replace(uri, 2, text.replace('\tint err;\n', '\tint err = 0;\n'));
    assert.deepEqual(errors(session, uri), ['6 foo_clear deleg/missing-break']);
    assert.deepEqual(session.setIndexing(false), [uri]);
    assert.deepEqual(errors(session, uri), []);
    assert.deepEqual(session.setIndexing(true), [uri]);
    assert.deepEqual(errors(session, uri), ['6 foo_clear deleg/missing-break']);

    // A second session (a new window) loads the cached index instead of building it.
    const again = await Session.create(nodeWasmSource());
    const second: IndexEvent[] = [];
    const loaded = new Promise<void>((r) =>
      again.setIndexProvider(new TreeIndexes({ onEvent: (e) => (second.push(e), e.state !== 'building' && r()) })),
    );
    again.open({
      uri,
      file: 'fs/foo/clear.c',
      path: file,
      text: readFileSync(file, 'utf8'),
      version: 1,
      options: {},
      catalogue: '',
    });
    await loaded;
    assert.equal(second[1]?.cached, true, JSON.stringify(second));
    again.refreshIndexes();
    assert.deepEqual(errors(again, uri), ['6 foo_clear deleg/missing-break']);
    session.dispose();
    again.dispose();
  });

  test("an edit of a helper reaches the other open files of the tree; closing it leaves the file's saved text", async () => {
    const root = join(base, 'linux-edits');
    const clear = writeMiniTree(root);
    const drop = join(root, 'fs/foo/drop.c');
    const session = await Session.create(nodeWasmSource());
    session.setSourceReader(readRegularText);
    let ready!: () => void;
    const built = new Promise<void>((r) => (ready = r));
    session.setIndexProvider(new TreeIndexes({ onEvent: (e) => e.state !== 'building' && ready() }));
    const clearUri = 'file://' + clear;
    const dropUri = 'file://' + drop;
    const open = (uri: string, path: string) =>
      session.open({ uri, file: path, path, text: readFileSync(path, 'utf8'), version: 1, options: {}, catalogue: '' });
    open(clearUri, clear);
    open(dropUri, drop);
    await built;
    session.refreshIndexes();
    assert.deepEqual(errors(session, clearUri), ['6 foo_clear deleg/missing-break']);
    assert.deepEqual(errors(session, dropUri), []);
    assert.deepEqual(session.takeDependents(), [], 'nothing changed yet');

    // The helper no longer removes the xattr: the caller's finding goes, once the helper's file is analysed.
    const harmless = 'int foo_drop(struct dentry *dentry)\n{\n\treturn 0;\n}\n';
    session.replace(dropUri, 2, harmless);
    assert.deepEqual(errors(session, dropUri), []);
    assert.deepEqual(session.takeDependents(), [clearUri]);
    assert.deepEqual(errors(session, clearUri), []);
    // Analysed again unchanged: nobody else is told.
    session.result(dropUri);
    assert.deepEqual(session.takeDependents(), []);

    // Closed without saving: the file on disk still removes the xattr, and the caller sees that again.
    session.close(dropUri);
    assert.deepEqual(session.takeDependents(), [clearUri]);
    assert.deepEqual(errors(session, clearUri), ['6 foo_clear deleg/missing-break']);

    // Edited and saved, then closed: the saved text counts.
    open(dropUri, drop);
    session.replace(dropUri, 2, harmless);
    session.result(dropUri);
    assert.deepEqual(session.takeDependents(), [clearUri]);
    writeFileSync(drop, harmless);
    session.close(dropUri);
    assert.deepEqual(session.takeDependents(), [], 'the saved text offers what the edited one did');
    assert.deepEqual(errors(session, clearUri), []);
    session.dispose();
  });

  test('a file outside any kernel tree that includes a header beside it gets its static inline helpers', async () => {
    // Written for this test: the header's helper removes an xattr; the file calls it under the inode's lock without a
    // break, which only the header's body shows (as vfslock check FILE reads it).
    const dir = join(base, 'loose-with-header');
    mkdirSync(dir, { recursive: true });
    const HEADER =
      'static inline int foo_drop(struct dentry *dentry)\n{\n\treturn __vfs_removexattr(&nop_mnt_idmap, dentry, "user.foo");\n}\n';
    const SOURCE =
      '#include "foo.h"\n\nint foo_clear(struct dentry *dentry)\n{\n\tstruct inode *inode = d_inode(dentry);\n\tint err;\n\n' +
      '\tinode_lock(inode);\n\terr = foo_drop(dentry);\n\tinode_unlock(inode);\n\treturn err;\n}\n';
    writeFileSync(join(dir, 'foo.h'), HEADER);
    writeFileSync(join(dir, 'make.c'), SOURCE);
    const session = await Session.create(nodeWasmSource());
    const events: IndexEvent[] = [];
    let done!: () => void;
    const settled = new Promise<void>((r) => (done = r));
    session.setIndexProvider(new TreeIndexes({ onEvent: (e) => (events.push(e), e.state !== 'building' && done()) }));
    const uri = 'file:///make.c';
    session.open({
      uri,
      file: 'make.c',
      path: join(dir, 'make.c'),
      text: SOURCE,
      version: 1,
      options: {},
      catalogue: '',
    });
    // On its own, foo_drop() is an unknown helper.
    assert.deepEqual(errors(session, uri), []);
    await settled;
    assert.deepEqual(
      events.map((e) => `${e.state} ${e.scope}`),
      ['building file', 'ready file'],
      JSON.stringify(events),
    );
    assert.equal(events[0].root, join(dir, 'make.c'));
    assert.deepEqual(session.refreshIndexes(), [uri]);
    assert.deepEqual(
      errors(session, uri).map((e) => e.replace(/^\d+ /, '')),
      ['foo_clear deleg/missing-break'],
    );
    session.dispose();
  });

  test('a file outside any kernel tree starts no index', async () => {
    const dir = join(base, 'loose');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.c'), CLEAR_C);
    const session = await Session.create(nodeWasmSource());
    const events: IndexEvent[] = [];
    session.setIndexProvider(new TreeIndexes({ onEvent: (e) => events.push(e) }));
    session.open({
      uri: 'file:///a.c',
      file: 'a.c',
      path: join(dir, 'a.c'),
      text: CLEAR_C,
      version: 1,
      options: {},
      catalogue: '',
    });
    assert.deepEqual(errors(session, 'file:///a.c'), []);
    assert.deepEqual(events, []);
    session.dispose();
  });
});
