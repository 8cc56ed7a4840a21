/**
 * Patch review in VS Code:
 *  - opening a .patch / .diff / .mbox file reviews it against the base tree (the workspace folder by default) and
 *    shows introduced findings as diagnostics on the patch's own lines;
 *  - "VFS Lock Review: Review Patch Series…" reviews picked files and fills the Patch Review results view;
 *  - "VFS Lock Review: Review Working Tree Changes" reviews the current git repository's changes against HEAD
 *    (through the built-in git extension's API).
 * The review itself is src/patch (no vscode import), run by the review worker (src/service/review.ts; inline in the
 * browser host): the patch is parsed, applied and analysed there, and the base tree's files are read here, through
 * vscode.workspace.fs, when the worker asks (WorkspaceTree.handlers). This thread only reads files and shows results.
 */
import * as vscode from 'vscode';
import { ruleDocUrl } from '../../core/rules/rules';
import type { SeriesReview } from '../../patch/review';
import type { PatchDiagnostic } from '../../patch/diagnostics';
import type { TextChange } from '../../patch/synthesize';
import { SOURCE_FILE } from '../../patch/tree';
import type { ReviewOutcome, ReviewParams } from '../../service/protocol';
import type { Backend } from '../backend';
import { WorkspaceTree } from './workspace-tree';
import { pathSetting } from '../settings';
import { PatchResultsProvider, OPEN_LOCATION, type ReviewTargets } from './results-view';
import { isAdded, isDeleted, isRenamed, type GitExtension, type GitRepository } from './git';

export interface PatchReviewDeps {
  /** Where reviews run (a worker on the desktop, inline in the browser). */
  backend: Backend;
  log: (msg: string) => void;
  diagnostics: vscode.DiagnosticCollection;
}

export const COMMAND_REVIEW_SERIES = 'vfsLockReview.reviewPatchSeries';
export const COMMAND_REVIEW_WORKING_TREE = 'vfsLockReview.reviewWorkingTree';
export const RESULTS_VIEW = 'vfsLockReview.patchResults';
export const PATCHED_SCHEME = 'vfslock-patched';

const PATCH_FILE = /\.(patch|diff|mbox|mbx|eml)$/i;
/** Documents that are views of something else (git's diff editors, output, our own patched sources). */
const IGNORED_SCHEMES = new Set([
  'git',
  'gitfs',
  'output',
  'vscode-scm',
  'review',
  'vscode-notebook-cell-output',
  'vfslock-patched',
]);
/** A mailbox with more patches than this (a whole mailing-list archive) is not reviewed on open. */
const MAX_AUTO_PATCHES = 50;
const SECTION = 'vfsLockReview';

/** Texts of files as a review saw them, served as read-only documents (`vfslock-patched:/run/patch/side/path`). */
class PatchedSources implements vscode.TextDocumentContentProvider {
  private readonly runs = new Map<number, SeriesReview>();
  private next = 1;

  add(review: SeriesReview): number {
    const id = this.next++;
    this.runs.set(id, review);
    // Keep the last few runs (each holds file texts).
    for (const k of [...this.runs.keys()]) if (k <= id - 8) this.runs.delete(k);
    return id;
  }

  uri(run: number, patch: number, side: 'before' | 'after', file: string): vscode.Uri | undefined {
    const p = this.runs.get(run)?.patches.find((x) => x.index === patch);
    if (!p?.sources?.[side][file]) return undefined;
    return vscode.Uri.from({ scheme: PATCHED_SCHEME, path: `/${run}/${patch}/${side}/${file}` });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const [, run, patch, side, ...rest] = uri.path.split('/');
    const p = this.runs.get(+run)?.patches.find((x) => x.index === +patch);
    return p?.sources?.[side as 'before' | 'after']?.[rest.join('/')] ?? '';
  }
}

export function activatePatchReview(context: vscode.ExtensionContext, deps: PatchReviewDeps): void {
  const { log, diagnostics } = deps;
  const sources = new PatchedSources();
  const results = new PatchResultsProvider();
  const labels = new Map<string, string>();
  const reviewed = new Set<string>();
  context.subscriptions.push(results, vscode.workspace.registerTextDocumentContentProvider(PATCHED_SCHEME, sources));
  let view: vscode.TreeView<unknown> | undefined;
  try {
    view = vscode.window.createTreeView(RESULTS_VIEW, {
      treeDataProvider: results as vscode.TreeDataProvider<unknown>,
      showCollapseAll: true,
    });
    context.subscriptions.push(view);
  } catch (e) {
    log(`patch review: results view ${RESULTS_VIEW} is not available (${(e as Error).message})`);
  }

  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_LOCATION, async (uri: vscode.Uri, line: number, column: number) => {
      const pos = new vscode.Position(Math.max(0, line), Math.max(0, column));
      await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: true });
    }),
  );

  const label = (source: string) => labels.get(source) ?? source;
  const targets = (
    run: number,
    overrideSource?: (index: number, side: 'before' | 'after', file: string) => vscode.Uri | undefined,
  ): ReviewTargets => ({
    patchUri: (source) => {
      try {
        return vscode.Uri.parse(source, true);
      } catch {
        return undefined;
      }
    },
    sourceUri: (index, side, file) => overrideSource?.(index, side, file) ?? sources.uri(run, index, side, file),
    sourceLabel: label,
  });

  /** The base tree for a patch document: the `patchReview.baseTree` setting, else its workspace folder, else the first. */
  const baseTreeFor = (uri?: vscode.Uri): WorkspaceTree | null => {
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
    // Not from an untrusted workspace's own settings (settings.ts): a cloned repository must not pick the tree read.
    const setting = pathSetting('patchReview.baseTree', uri, log).value;
    if (setting) {
      if (setting.startsWith('/') || /^[A-Za-z]:[\\/]/.test(setting))
        return new WorkspaceTree(vscode.Uri.file(setting));
      if (folder) return new WorkspaceTree(vscode.Uri.joinPath(folder.uri, setting));
    }
    return folder ? new WorkspaceTree(folder.uri) : null;
  };

  const kernelFor = (uri?: vscode.Uri) =>
    vscode.workspace.getConfiguration(SECTION, uri).get<string>('kernel', 'auto') || 'auto';

  const publish = (items: readonly PatchDiagnostic[], uri: vscode.Uri, run: number) => {
    diagnostics.set(
      uri,
      items.map((d) => toDiagnostic(d, run)),
    );
    reviewed.add(uri.toString());
  };
  const itemsFor = (outcome: Extract<ReviewOutcome, { kind: 'reviewed' }>, source: string) =>
    outcome.diagnostics.find((d) => d.source === source)?.items ?? [];

  const toDiagnostic = (d: PatchDiagnostic, run: number): vscode.Diagnostic => {
    const range = new vscode.Range(d.line, d.start, d.line, d.end ?? Number.MAX_SAFE_INTEGER);
    const sev =
      d.severity === 'error'
        ? vscode.DiagnosticSeverity.Error
        : d.severity === 'warning'
          ? vscode.DiagnosticSeverity.Warning
          : d.severity === 'info'
            ? vscode.DiagnosticSeverity.Information
            : vscode.DiagnosticSeverity.Hint;
    const diag = new vscode.Diagnostic(range, d.message, sev);
    diag.source = 'vfslock review';
    if (d.ruleId) diag.code = { value: d.ruleId, target: vscode.Uri.parse(ruleDocUrl(d.ruleId)) };
    const f = d.finding;
    if (f) {
      const src = sources.uri(run, d.patchIndex, f.side, f.file);
      if (src) {
        diag.relatedInformation = [
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(src, new vscode.Position(f.finding.line - 1, f.finding.column - 1)),
            f.side === 'after'
              ? vscode.l10n.t('{0}:{1} after the patch', f.file, f.finding.line)
              : vscode.l10n.t('{0}:{1} before the patch', f.file, f.finding.line),
          ),
          ...f.finding.relatedLocated.map(
            (r) =>
              new vscode.DiagnosticRelatedInformation(
                new vscode.Location(src, new vscode.Position(r.line - 1, r.column - 1)),
                r.message,
              ),
          ),
        ];
      }
    }
    return diag;
  };

  /**
   * Runs a review in the worker, answering its reads of `tree`. A reviewed outcome is kept for the patched-source
   * documents (`run`). A cancelled review's answer, if any, is of no use: the caller drops it.
   */
  const runReview = async (
    tree: WorkspaceTree,
    params: Omit<ReviewParams, 'tree' | 'kernel' | 'keepSources'>,
    uri: vscode.Uri | undefined,
    token?: vscode.CancellationToken,
    onProgress?: (m: string) => void,
  ): Promise<{ outcome: ReviewOutcome; run: number }> => {
    const t0 = Date.now();
    const outcome = await deps.backend.call(
      'review',
      { ...params, tree: tree.label, kernel: kernelFor(uri), keepSources: true },
      token,
      { ...tree.handlers(), progress: onProgress },
    );
    if (outcome.kind !== 'reviewed') return { outcome, run: 0 };
    const { review } = outcome;
    log(
      `patch review: ${review.patches.length} patch(es) against ${tree.label} in ${Date.now() - t0} ms (${Math.round(review.stats.ms)} ms in the ${deps.backend.kind === 'worker' ? 'worker' : 'extension host'}): ` +
        `${review.patches.reduce((n, p) => n + p.introduced.length, 0)} introduced, ${review.patches.reduce((n, p) => n + p.fixed.length, 0)} fixed`,
    );
    return { outcome, run: sources.add(review) };
  };

  const inputErrorDiagnostic = (o: Extract<ReviewOutcome, { kind: 'inputError' }>): vscode.Diagnostic => {
    const d = new vscode.Diagnostic(
      new vscode.Range(o.line - 1, 0, o.line - 1, Number.MAX_SAFE_INTEGER),
      o.message,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = 'vfslock review';
    return d;
  };

  // Patch documents: review on open, on edit (debounced) and on save.
  const versions = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Documents a command made and reviews itself (the working tree diff): not reviewed again on open. */
  const managed = new Set<string>();
  const isPatchDocument = (doc: vscode.TextDocument) =>
    !IGNORED_SCHEMES.has(doc.uri.scheme) && (PATCH_FILE.test(doc.uri.path) || doc.languageId === 'diff');
  /** The review under way per patch document: a new one (an edit, a save) cancels it. */
  const running = new Map<string, vscode.CancellationTokenSource>();
  const cancelRunning = (key: string) => {
    running.get(key)?.cancel();
    running.get(key)?.dispose();
    running.delete(key);
  };
  const reviewDocument = async (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    if (
      !isPatchDocument(doc) ||
      managed.has(key) ||
      !vscode.workspace.getConfiguration(SECTION, doc.uri).get<boolean>('patchReview.onOpen', true)
    )
      return;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    cancelRunning(key);
    const tree = baseTreeFor(doc.uri);
    if (!tree) {
      log(
        `patch review: ${vscode.workspace.asRelativePath(doc.uri)}: no base tree (open the kernel tree as a workspace folder, or set ${SECTION}.patchReview.baseTree)`,
      );
      return;
    }
    labels.set(key, vscode.workspace.asRelativePath(doc.uri));
    const cts = new vscode.CancellationTokenSource();
    running.set(key, cts);
    try {
      const { outcome, run } = await runReview(
        tree,
        { inputs: [{ source: key, text: doc.getText() }], maxPatches: MAX_AUTO_PATCHES },
        doc.uri,
        cts.token,
      );
      if (versions.get(key) !== version || cts.token.isCancellationRequested || doc.isClosed) return;
      switch (outcome.kind) {
        case 'empty':
          diagnostics.delete(doc.uri);
          return;
        case 'tooMany':
          log(
            `patch review: ${vscode.workspace.asRelativePath(doc.uri)} holds ${outcome.patches} patches: not reviewed on open (use "Review Patch Series…")`,
          );
          return;
        case 'inputError':
          diagnostics.set(doc.uri, [inputErrorDiagnostic(outcome)]);
          reviewed.add(key);
          return;
        case 'reviewed':
          publish(itemsFor(outcome, key), doc.uri, run);
      }
    } catch (e) {
      if (versions.get(key) !== version || cts.token.isCancellationRequested) return;
      log(`patch review failed for ${vscode.workspace.asRelativePath(doc.uri)}: ${(e as Error).stack ?? e}`);
    } finally {
      if (running.get(key) === cts) running.delete(key);
      cts.dispose();
    }
  };
  const schedule = (doc: vscode.TextDocument, delay: number) => {
    if (!isPatchDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void reviewDocument(doc);
      }, delay),
    );
  };
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((d) => schedule(d, 50)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document, 800)),
    vscode.workspace.onDidSaveTextDocument((d) => schedule(d, 50)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      const key = d.uri.toString();
      managed.delete(key);
      clearTimeout(timers.get(key));
      versions.set(key, (versions.get(key) ?? 0) + 1);
      cancelRunning(key);
      if (reviewed.delete(key)) diagnostics.delete(d.uri);
    }),
    {
      dispose: () => {
        timers.forEach((t) => clearTimeout(t));
        for (const key of [...running.keys()]) cancelRunning(key);
      },
    },
  );
  for (const d of vscode.workspace.textDocuments) schedule(d, 50);

  const showResults = async (review: SeriesReview, t: ReviewTargets) => {
    results.show(review, t);
    if (view) {
      const intro = review.patches.reduce((n, p) => n + p.introduced.length, 0);
      const fixed = review.patches.reduce((n, p) => n + p.fixed.length, 0);
      view.message = vscode.l10n.t(
        '{0} patch(es) against {1}: {2} introduced, {3} fixed',
        review.patches.length,
        review.tree,
        intro,
        fixed,
      );
    }
    await vscode.commands.executeCommand(`${RESULTS_VIEW}.focus`).then(undefined, () => undefined);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND_REVIEW_SERIES, async (...args: unknown[]) => {
      // Also callable with a Uri (explorer context menu) or a list of Uris (multi-select).
      let files = args.flat().filter((a): a is vscode.Uri => a instanceof vscode.Uri);
      if (!files.length) {
        files =
          (await vscode.window.showOpenDialog({
            canSelectMany: true,
            openLabel: vscode.l10n.t('Review'),
            title: vscode.l10n.t('Patches or mbox to review, in series order'),
            defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
            filters: {
              [vscode.l10n.t('Patches')]: ['patch', 'diff', 'mbox', 'mbx', 'eml'],
              [vscode.l10n.t('All files')]: ['*'],
            },
          })) ?? [];
      }
      if (!files.length) return;
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const tree = await pickBaseTree(files[0]);
      if (!tree) return;
      const inputs: { source: string; text: string }[] = [];
      for (const f of files) {
        const key = f.toString();
        labels.set(key, vscode.workspace.asRelativePath(f));
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
        inputs.push({
          source: key,
          text: open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(f)),
        });
      }
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('VFS Lock Review: reviewing patches'),
          cancellable: true,
        },
        async (progress, token) => {
          const { outcome, run } = await runReview(tree, { inputs }, files[0], token, (m) =>
            progress.report({ message: m }),
          );
          if (token.isCancellationRequested) return;
          if (outcome.kind === 'inputError') {
            void vscode.window.showErrorMessage(
              vscode.l10n.t('VFS Lock Review: {0}:{1}: {2}', label(outcome.source), outcome.line, outcome.message),
            );
            return;
          }
          if (outcome.kind !== 'reviewed') {
            void vscode.window.showWarningMessage(
              vscode.l10n.t('VFS Lock Review: no patch found in the selected files.'),
            );
            return;
          }
          for (const f of files) publish(itemsFor(outcome, f.toString()), f, run);
          await showResults(outcome.review, targets(run));
        },
      );
    }),
  );

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND_REVIEW_WORKING_TREE, async () => {
      const git = vscode.extensions.getExtension<GitExtension>('vscode.git');
      if (!git) {
        void vscode.window.showWarningMessage(
          vscode.l10n.t('VFS Lock Review: the built-in Git extension is not available here.'),
        );
        return;
      }
      let api;
      try {
        api = (git.isActive ? git.exports : await git.activate()).getAPI(1);
      } catch (e) {
        // The git extension throws while it has no model (git.enabled is false, or no git executable was found).
        void vscode.window.showWarningMessage(
          vscode.l10n.t('VFS Lock Review: Git is not available ({0}).', (e as Error).message),
        );
        return;
      }
      const active = vscode.window.activeTextEditor?.document.uri;
      const repo: GitRepository | null =
        (active && api.getRepository(active)) ??
        (api.repositories.length === 1 ? api.repositories[0] : await pickRepository(api.repositories));
      if (!repo) {
        void vscode.window.showWarningMessage(vscode.l10n.t('VFS Lock Review: no git repository is open.'));
        return;
      }
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('VFS Lock Review: reviewing working tree changes'),
          cancellable: true,
        },
        async (progress, token) => {
          const root = repo.rootUri;
          const rel = (u: vscode.Uri) =>
            u.path.startsWith(root.path + '/') ? u.path.slice(root.path.length + 1) : null;
          const tree = new WorkspaceTree(root);
          const changes: TextChange[] = [];
          for (const c of await repo.diffWithHEAD()) {
            const oldPath = isAdded(c.status) ? null : rel(c.originalUri);
            const newPath = isDeleted(c.status) ? null : rel(isRenamed(c.status) && c.renameUri ? c.renameUri : c.uri);
            if (!(oldPath && SOURCE_FILE.test(oldPath)) && !(newPath && SOURCE_FILE.test(newPath))) continue;
            const before = oldPath === null ? null : await repo.show('HEAD', c.originalUri.fsPath).catch(() => null);
            const after = newPath === null ? null : await tree.read(newPath);
            changes.push({ oldPath, newPath, before, after });
          }
          if (!changes.length) {
            void vscode.window.showInformationMessage(
              vscode.l10n.t(
                'VFS Lock Review: no changes to C files against HEAD in {0}.',
                vscode.workspace.asRelativePath(root),
              ),
            );
            return;
          }
          // The base is HEAD: changed paths read as they are at HEAD, everything else from the working tree.
          const overrides = new Map<string, string | null>();
          for (const c of changes) {
            if (c.oldPath) overrides.set(c.oldPath, c.before);
            if (c.newPath && !c.oldPath) overrides.set(c.newPath, null);
            if (c.newPath && c.oldPath && c.newPath !== c.oldPath) overrides.set(c.newPath, null);
          }
          // The diff is computed in the worker too (a diff of a large file is not cheap).
          const diffText = await deps.backend.call('diff', { changes }, token);
          if (token.isCancellationRequested) return;
          const doc = await vscode.workspace.openTextDocument({ language: 'diff', content: diffText });
          const key = doc.uri.toString();
          managed.add(key);
          labels.set(key, vscode.l10n.t('working tree changes'));
          const title = vscode.l10n.t('Working tree changes against HEAD ({0} file(s))', changes.length);
          const { outcome, run } = await runReview(
            tree.withOverrides(overrides),
            { inputs: [{ source: key, text: diffText }], title },
            root,
            token,
            (m) => progress.report({ message: m }),
          );
          if (token.isCancellationRequested) return;
          if (outcome.kind === 'inputError') {
            diagnostics.set(doc.uri, [inputErrorDiagnostic(outcome)]);
            reviewed.add(key);
            return;
          }
          if (outcome.kind !== 'reviewed') return;
          publish(itemsFor(outcome, key), doc.uri, run);
          // After the patch is the working tree itself: link findings to the real files.
          await showResults(
            outcome.review,
            targets(run, (_i, side, file) =>
              side === 'after' ? vscode.Uri.joinPath(root, ...file.split('/')) : undefined,
            ),
          );
        },
      );
    }),
  );

  const pickBaseTree = async (near: vscode.Uri): Promise<WorkspaceTree | null> => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const own = vscode.workspace.getWorkspaceFolder(near);
    if (own || folders.length === 1) return baseTreeFor(near);
    if (folders.length > 1) {
      const pick = await vscode.window.showWorkspaceFolderPick({
        placeHolder: vscode.l10n.t('Base tree the patches apply to'),
      });
      return pick ? new WorkspaceTree(pick.uri) : null;
    }
    const dir = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: vscode.l10n.t('Use as Base Tree'),
    });
    return dir?.[0] ? new WorkspaceTree(dir[0]) : null;
  };
}

async function pickRepository(repos: GitRepository[]): Promise<GitRepository | null> {
  if (!repos.length) return null;
  const pick = await vscode.window.showQuickPick(
    repos.map((r) => ({ label: vscode.workspace.asRelativePath(r.rootUri), repo: r })),
    { placeHolder: vscode.l10n.t('Repository to review') },
  );
  return pick?.repo ?? null;
}
