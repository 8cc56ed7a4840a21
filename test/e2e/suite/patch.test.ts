/**
 * Patch review in a real VS Code, on the main suite's workspace (examples/ plus a copy of v6.19 fs/namei.c under
 * kernel/): a patch file made at test time from that namei.c, the series command, the working tree command (the
 * workspace is made a git repository at test time).
 */
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { createTwoFilesPatch } from 'diff';
import { api, file, folder, hostLag, lagFigures, metric, sleep, waitFor } from './helpers';

const NAMEI = 'kernel/fs/namei.c';

function reviewDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'vfslock review');
}

async function read(rel: string): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(file(rel)));
}

async function write(rel: string, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(file(rel), new TextEncoder().encode(text));
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** namei.c with vfs_unlink's victim break replaced by 0 (fixture edit of one line). */
function dropVictimBreak(text: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes('try_break_deleg(target, delegated_inode)'));
  assert.ok(i >= 0, 'vfs_unlink breaks the victim');
  lines[i] = lines[i].replace('try_break_deleg(target, delegated_inode)', '0');
  return lines.join('\n');
}

suite('Patch review in a real VS Code', function () {
  this.timeout(120000);

  suiteSetup(async () => {
    await api();
  });

  // VFSLOCK_E2E_LINGER=ms keeps the window up after the last test (for a screenshot of the results view).
  suiteTeardown(async () => {
    const ms = Number(process.env.VFSLOCK_E2E_LINGER ?? 0);
    if (ms > 0) await sleep(ms);
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  // First, so that no earlier test's review (a debounced re-review of a patch against namei.c) falls into the
  // measured window.
  test('a hostile patch (200 KB diff --git line, hunk at line 2000000000, NUL in a path) is refused; the host stays responsive', async () => {
    // A small file for the patches to name; the hostile inputs are made here.
    await write('hostile/small.c', 'int a;\nint b;\nint c;\nint d;\n');
    const mail = (diff: string) => `Subject: [PATCH] hostile\n\n---\n${diff}`;
    const hunk = '@@ -2000000000,2 +2000000000,2 @@';
    // One diff --git line of 200 KB (the two names far apart, spaces between), then a hunk 2,000,000,000 lines
    // into a 4-line file: the header must be split in linear time and the hunk refused without a search.
    const longHeader = `diff --git a/hostile/small.c b/${' '.repeat(200 * 1024)}hostile/small.c`;
    const inputs = {
      longHeaderFarHunk: mail(
        `${longHeader}\n--- a/hostile/small.c\n+++ b/hostile/small.c\n${hunk}\n int a;\n-int b;\n+int B;\n`,
      ),
      // git's quoting of a name with a NUL byte (\000): refused as a path, the whole input reported.
      nulInPath: mail(
        'diff --git "a/hostile/x\\000y.c" "b/hostile/x\\000y.c"\n--- "a/hostile/x\\000y.c"\n+++ "b/hostile/x\\000y.c"\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int B;\n',
      ),
    };
    const figures: Record<
      string,
      { hostBlockMs: number; hostBlockCpuMs: number; hostBusyMs: number; ticks: number; untilDiagnosticMs: number }
    > = {};
    try {
      // Warm-up, not measured: the first review starts the review worker (tree-sitter, catalogue). An ordinary
      // patch that does not apply (its context differs) is enough, and its error says when the review is done.
      await write(
        'hostile/warm-up.patch',
        mail('--- a/hostile/small.c\n+++ b/hostile/small.c\n@@ -1,2 +1,2 @@\n int z;\n-int b;\n+int B;\n'),
      );
      const warm = await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument(file('hostile/warm-up.patch')),
      );
      await waitFor('the warm-up review', () => reviewDiagnostics(warm.document.uri).length > 0, 60000);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      for (const [name, text] of Object.entries(inputs)) {
        const rel = `hostile/${name}.patch`;
        await write(rel, text);
        // From opening the file until the review's diagnostic is there.
        const {
          value: { doc, editor, d },
          lag,
          ms,
        } = await hostLag(async () => {
          const doc = await vscode.workspace.openTextDocument(file(rel));
          const editor = await vscode.window.showTextDocument(doc, { preview: false });
          const d = await waitFor(
            `the review of ${rel}`,
            () => reviewDiagnostics(doc.uri).find((x) => x.severity === vscode.DiagnosticSeverity.Error),
            60000,
          );
          return { doc, editor, d };
        });
        figures[name] = {
          hostBlockMs: round(lag.longestMs),
          hostBlockCpuMs: round(lag.longestCpuMs),
          hostBusyMs: round(lag.longestBusyMs),
          ticks: lag.ticks,
          untilDiagnosticMs: Math.round(ms),
        };
        assert.ok(lag.ticks > 0, `${name}: the 5 ms timer ran while the patch was opened and reviewed`);
        if (name === 'longHeaderFarHunk') {
          assert.strictEqual(doc.lineAt(3).text.length, longHeader.length, 'the 200 KB line is in the document');
          assert.strictEqual(doc.lineAt(d.range.start.line).text, hunk, 'the error is on the hunk header');
          assert.match(
            d.message,
            /^patch does not apply: hostile\/small\.c: hunk #1 \(@@ -2000000000,2 \+2000000000,2 @@\) does not apply: it starts at line 2000000000, but hostile\/small\.c has 4 line\(s\)$/,
          );
        } else {
          assert.match(doc.lineAt(d.range.start.line).text, /x\\000y\.c/, 'the error is on a line naming the file');
          assert.match(d.message, /^file name .* contains a NUL byte: not a usable path$/);
        }
        // The editor is still usable: an edit is applied (and reviewed again), then undone.
        assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString());
        assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'X-Note: edited\n')), 'edit applied');
        assert.strictEqual(doc.lineAt(0).text, 'X-Note: edited');
        await vscode.commands.executeCommand('undo');
        await waitFor('the undo', () => doc.getText() === text, 10000);
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      }
      const worst = Object.values(figures).reduce((a, b) => (b.hostBlockMs > a.hostBlockMs ? b : a));
      metric('hostilePatchOpen', {
        longestHostBlockMs: worst.hostBlockMs,
        longestHostBlockCpuMs: worst.hostBlockCpuMs,
        longestHostBusyMs: Math.max(...Object.values(figures).map((f) => f.hostBusyMs)),
        ...figures,
      });
    } finally {
      await vscode.workspace.fs.delete(file('hostile'), { recursive: true });
    }
  });

  test('opening a .patch shows the introduced finding on the patch line, linked to the patched source', async () => {
    const base = await read(NAMEI);
    const patch = createTwoFilesPatch(`a/${NAMEI}`, `b/${NAMEI}`, base, dropVictimBreak(base), undefined, undefined, {
      context: 3,
    });
    await write('drop-break.patch', `Subject: [PATCH] vfs: drop the victim break\n\n---\n${patch}`);
    // From opening the patch until its review's diagnostics are there: the review (namei.c before and after,
    // callers and callees in the tree) must not stall the extension host.
    const {
      value: { doc, ds },
      lag,
      ms,
    } = await hostLag(async () => {
      const doc = await vscode.workspace.openTextDocument(file('drop-break.patch'));
      await vscode.window.showTextDocument(doc);
      const ds = await waitFor(
        'patch diagnostics',
        () => {
          const d = reviewDiagnostics(doc.uri);
          return d.length ? d : undefined;
        },
        60000,
      );
      return { doc, ds };
    });
    metric('patchOpen', lagFigures(lag, ms));
    const errors = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepStrictEqual(
      errors.map((d) => (typeof d.code === 'object' ? d.code.value : d.code)),
      ['deleg/missing-break'],
    );
    const d = errors[0];
    const line = doc.lineAt(d.range.start.line).text;
    assert.ok(/^[ +]/.test(line) && line.includes('->unlink(dir, dentry)'), line);
    assert.strictEqual(doc.getText(d.range), 'dir->i_op->unlink(dir, dentry)');
    const rel = d.relatedInformation?.[0];
    assert.ok(rel, 'related information');
    assert.strictEqual(rel.location.uri.scheme, 'vfslock-patched');
    const patched = await vscode.workspace.openTextDocument(rel.location.uri);
    assert.ok(patched.lineAt(rel.location.range.start.line).text.includes('->unlink(dir, dentry)'));
    assert.strictEqual(patched.getText(), dropVictimBreak(base), 'the source after the patch');
  });

  test('editing the patch so that it no longer applies shows the error on the hunk', async () => {
    const doc = await vscode.workspace.openTextDocument(file('drop-break.patch'));
    const editor = await vscode.window.showTextDocument(doc);
    const ctx = [...Array(doc.lineCount).keys()].find(
      (i) => doc.lineAt(i).text.startsWith(' ') && doc.lineAt(i).text.includes('->unlink(dir, dentry)'),
    )!;
    await editor.edit((e) => e.insert(doc.lineAt(ctx).range.end, ' /* upstream changed */'));
    const ds = await waitFor(
      'apply error',
      () => reviewDiagnostics(doc.uri).find((d) => /does not apply/.test(d.message)),
      30000,
    );
    assert.match(doc.lineAt(ds.range.start.line).text, /^@@ /);
    assert.match(ds.message, /kernel\/fs\/namei\.c: hunk #1 .* does not apply/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('Review Patch Series… reviews the given files and focuses the results view', async () => {
    const uri = file('drop-break.patch');
    const {
      value: ds,
      lag,
      ms,
    } = await hostLag(async () => {
      await vscode.commands.executeCommand('vfsLockReview.reviewPatchSeries', uri);
      return waitFor(
        'series diagnostics',
        () => {
          const d = reviewDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
          return d.length ? d : undefined;
        },
        60000,
      );
    });
    metric('patchSeriesReview', lagFigures(lag, ms));
    assert.strictEqual(ds.length, 1);
  });

  test('Review Working Tree Changes reviews the diff against HEAD from the git extension', async function () {
    const root = folder().fsPath;
    try {
      execFileSync('git', ['init', '-q'], { cwd: root });
      execFileSync('git', ['add', '-A'], { cwd: root });
      execFileSync(
        'git',
        [
          '-c',
          'user.name=e2e',
          '-c',
          'user.email=e2e@example.org',
          '-c',
          'commit.gpgsign=false',
          'commit',
          '-q',
          '-m',
          'base',
        ],
        { cwd: root },
      );
    } catch (e) {
      this.skip();
      return;
    }
    const gitExt = vscode.extensions.getExtension<{ getAPI(v: 1): { repositories: unknown[] } }>('vscode.git');
    if (!gitExt) this.skip();
    // The harness starts with git.enabled false.
    await vscode.workspace.getConfiguration('git').update('enabled', true, vscode.ConfigurationTarget.Workspace);
    const exports = await gitExt!.activate();
    const gitApi = await waitFor(
      "the git extension's model",
      () => {
        try {
          return exports.getAPI(1);
        } catch {
          return undefined;
        }
      },
      30000,
    );
    await vscode.commands.executeCommand('git.openRepository', root).then(undefined, () => undefined);
    await waitFor('git repository', () => gitApi.repositories.length > 0, 30000);
    const base = await read(NAMEI);
    await write(NAMEI, dropVictimBreak(base));
    try {
      const {
        value: found,
        lag,
        ms,
      } = await hostLag(async () => {
        await vscode.commands.executeCommand('vfsLockReview.reviewWorkingTree');
        return waitFor(
          'working tree diagnostics',
          () => {
            const doc = vscode.workspace.textDocuments.find(
              (d) =>
                d.uri.scheme === 'untitled' && d.languageId === 'diff' && d.getText().includes('b/kernel/fs/namei.c'),
            );
            const ds = doc
              ? reviewDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error)
              : [];
            return ds.length ? { doc: doc!, ds } : undefined;
          },
          60000,
        );
      });
      metric('workingTreeReview', lagFigures(lag, ms));
      assert.strictEqual(
        typeof found.ds[0].code === 'object' ? found.ds[0].code.value : found.ds[0].code,
        'deleg/missing-break',
      );
    } finally {
      await write(NAMEI, base);
    }
  });
});
