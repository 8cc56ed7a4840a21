/**
 * "Check Workspace": every C file the include/exclude settings select, analysed in a worker thread of its own
 * (inline, a file at a time, in the browser), with a cancellable progress notification and results in the Problems
 * panel. A local file is read by the worker itself (desktop); others are read through vscode.workspace.fs (so
 * virtual and browser workspaces work) and their bytes handed over. The worker decodes, analyses and computes the
 * findings' line and character positions; the extension host turns the answers into diagnostics. The worker runs at
 * a lower priority than the host's thread. How late the host's event loop ran, and how much of that its own thread
 * was computing, is measured and logged.
 */
import * as vscode from 'vscode';
import { createBackend, IS_WEB, type Backend } from './backend';
import type { CatalogueService } from './catalogue';
import { relativePath, type DocumentsService } from './diagnostics';
import type { LocatedFinding } from '../core/engine';
import { DIAGNOSTIC_SOURCE } from '../service/diagnostics';
import { ruleDocUrl } from '../core/rules/rules';
import type { Log } from './output';
import { ms, now } from './output';
import type { SettingsService } from './settings';
import { checkOptionsOf, FileFilter } from '../service/settings';
import type { CheckSummary } from '../service/session';
import { LagSampler, threadCpuMs } from './pure/lag';

export interface WorkspaceCheckResult {
  files: number;
  checked: number;
  withFindings: number;
  findings: number;
  errors: number;
  ms: number;
  cancelled: boolean;
  /** Longest time the extension host's event loop could not run a timer during the run (wall clock). */
  longestHostBlockMs: number;
  /** The host thread's own CPU time during that stretch (NaN where the runtime cannot tell, before Node 23.9). */
  longestHostBlockCpuMs: number;
  /** What the command was doing when that block ended (reading, checking or reporting a file...). */
  longestHostBlockDuring?: string;
  /** The most of any late stretch the host thread's own CPU time accounts for: how long it really computed. */
  longestHostBusyMs: number;
  /** The longest piece of this command's own work on the host, and what it was. */
  longestOwnWork: { what: string; ms: number };
  mode: 'worker' | 'inline';
}

const IN_FLIGHT = 4;

export function activate(
  ctx: vscode.ExtensionContext,
  log: Log,
  settings: SettingsService,
  catalogues: CatalogueService,
  documents: DocumentsService,
  webTasks: Backend | null,
): { last(): WorkspaceCheckResult | null } {
  let last: WorkspaceCheckResult | null = null;
  let running: Promise<WorkspaceCheckResult | undefined> | null = null;

  const run = (): Promise<WorkspaceCheckResult | undefined> => {
    if (running) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('VFS Lock Review: a workspace check is already running.'),
      );
      return running;
    }
    const p = Promise.resolve(
      vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('VFS Lock Review: checking workspace'),
          cancellable: true,
        },
        (progress, token) => checkWorkspace(progress, token),
      ),
    ).finally(() => {
      running = null;
    });
    running = p;
    return p;
  };

  const checkWorkspace = async (
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    token: vscode.CancellationToken,
  ): Promise<WorkspaceCheckResult | undefined> => {
    const t0 = now();
    const s = settings.get(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (!vscode.workspace.workspaceFolders?.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('VFS Lock Review: open a folder to check a workspace.'));
      return undefined;
    }
    log.info('command: Check Workspace');
    progress.report({ message: vscode.l10n.t('finding files…') });
    const braces = (xs: string[]) => (xs.length === 1 ? xs[0] : `{${xs.join(',')}}`);
    const found = await vscode.workspace.findFiles(
      braces(s.include),
      s.exclude.length ? braces(s.exclude) : null,
      undefined,
      token,
    );
    // Resource settings resolve per workspace folder: one filter per folder (null: checking disabled there).
    const filters = new Map<string, FileFilter | null>();
    const files = found
      .filter((u) => {
        const folder = vscode.workspace.getWorkspaceFolder(u)?.uri.toString() ?? '';
        let filter = filters.get(folder);
        if (filter === undefined) {
          const fs = settings.get(u);
          filter = fs.enable ? new FileFilter(fs.include, fs.exclude) : null;
          filters.set(folder, filter);
        }
        return !!filter && filter.matches(relativePath(u));
      })
      .sort((a, b) => a.toString().localeCompare(b.toString()));
    const result: WorkspaceCheckResult = {
      files: files.length,
      checked: 0,
      withFindings: 0,
      findings: 0,
      errors: 0,
      ms: 0,
      cancelled: false,
      longestHostBlockMs: 0,
      longestHostBlockCpuMs: NaN,
      longestHostBusyMs: NaN,
      longestOwnWork: { what: '', ms: 0 },
      mode: IS_WEB ? 'inline' : 'worker',
    };
    const own = <T>(what: string, fn: () => T): T => {
      const t = now();
      try {
        return fn();
      } finally {
        const d = now() - t;
        if (d > result.longestOwnWork.ms) result.longestOwnWork = { what, ms: d };
      }
    };
    if (!files.length || token.isCancellationRequested) return finish(result, t0, token);

    // Event-loop lag sampler: the longest gap between 5 ms ticks, minus the tick, and the thread's CPU time in it.
    // What the command is doing, for the metrics: where the longest block ended.
    let phase = 'starting';
    const lag = new LagSampler(5, now, threadCpuMs, () => phase);
    // The language client's collection: an open file's live diagnostics replace what this run found for it.
    const collection = await documents.collectionReady;
    // Diagnostics go to the Problems view in batches: one update of the window per batch, not one per file.
    let batch: [vscode.Uri, vscode.Diagnostic[] | undefined][] = [];
    const flush = () => {
      if (!batch.length) return;
      const entries = batch;
      batch = [];
      own('publishing diagnostics', () => collection.set(entries));
    };
    const flusher = setInterval(flush, 250);
    const sampler = setInterval(() => lag.tick(), 5);

    const backend: Backend = webTasks ?? createBackend(ctx, log, 'workspace', { background: true });
    const stop = token.onCancellationRequested(() => {
      result.cancelled = true;
      if (!webTasks) backend.dispose();
    });
    try {
      phase = 'loading the catalogue';
      const catalogue = await catalogues.catalogue(vscode.workspace.workspaceFolders[0].uri);
      phase = 'configuring the worker';
      if (catalogue.key) await backend.call('configure', { key: catalogue.key, catalogues: catalogue.data });
      phase = 'checking';
      const options = checkOptionsOf(s);
      let next = 0;
      const worker = async () => {
        while (next < files.length && !token.isCancellationRequested) {
          const uri = files[next++];
          let r: CheckSummary;
          const common = { file: relativePath(uri), options, catalogue: catalogue.key, positions: true };
          if (!IS_WEB && uri.scheme === 'file') {
            // The worker reads a local file itself: its bytes never reach this thread's heap (whose collector, sweeping
            // hundreds of file buffers, was the longest block of a run), and only a regular file is opened.
            phase = `checking ${relativePath(uri)}`;
            r = await backend.call('check', { ...common, path: uri.fsPath });
          } else {
            let bytes: Uint8Array;
            try {
              phase = `reading ${relativePath(uri)}`;
              bytes = await vscode.workspace.fs.readFile(uri);
            } catch (e) {
              result.errors++;
              log.warn(`cannot read ${relativePath(uri)}: ${(e as Error).message}`);
              continue;
            }
            if (token.isCancellationRequested) break;
            // The bytes are copied to the worker as they are (a memory copy); decoding happens there.
            phase = `checking ${relativePath(uri)}`;
            // A buffer of its own is handed over, not copied: the host keeps no file bytes for its collector to sweep.
            const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
            r = await backend.call(
              'check',
              { ...common, bytes },
              undefined,
              undefined,
              whole && !IS_WEB && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : undefined,
            );
          }
          if (token.isCancellationRequested) break;
          if (IS_WEB) await new Promise((r2) => setTimeout(r2, 0));
          phase = `reporting ${relativePath(uri)}`;
          own(phase, () => report(uri, r));
        }
      };
      const report = (uri: vscode.Uri, r: CheckSummary) => {
        result.checked++;
        if (r.error) {
          result.errors++;
          log.warn(`${relativePath(uri)}: not analysed: ${r.error}`);
        }
        result.findings += r.findings.length;
        if (r.findings.length) result.withFindings++;
        // Open files keep their live diagnostics.
        if (!documents.isTracked(uri)) {
          if (r.findings.length) {
            const at = new Map(
              (r.positions ?? []).map(([o, line, character]) => [o, new vscode.Position(line, character)]),
            );
            const positionAt = (o: number) => at.get(o) ?? new vscode.Position(0, 0);
            batch.push([uri, r.findings.map((f) => findingToDiagnostic(f, uri, positionAt))]);
          } else batch.push([uri, undefined]);
        }
        progress.report({
          message: vscode.l10n.t('{0}/{1} files, {2} finding(s)', result.checked, files.length, result.findings),
          increment: 100 / files.length,
        });
      };
      await Promise.all(Array.from({ length: IS_WEB ? 1 : IN_FLIGHT }, worker)).catch((e) => {
        if (!token.isCancellationRequested) throw e;
      });
    } finally {
      phase = 'finishing';
      clearInterval(flusher);
      flush();
      clearInterval(sampler);
      stop.dispose();
      if (!webTasks) backend.dispose();
    }
    const l = lag.report();
    result.longestHostBlockMs = l.longestMs;
    result.longestHostBlockCpuMs = l.longestCpuMs;
    result.longestHostBusyMs = l.longestBusyMs;
    result.longestHostBlockDuring = l.longestDuring;
    result.cancelled = result.cancelled || token.isCancellationRequested;
    return finish(result, t0, token);
  };

  const finish = (r: WorkspaceCheckResult, t0: number, token: vscode.CancellationToken): WorkspaceCheckResult => {
    r.ms = now() - t0;
    last = r;
    const what = `${r.checked} of ${r.files} files, ${r.findings} finding(s) in ${r.withFindings} file(s), ${r.errors} error(s)`;
    const cpu = Number.isFinite(r.longestHostBlockCpuMs)
      ? ` (its thread computing for ${ms(r.longestHostBlockCpuMs)} ms of it; at most ${ms(r.longestHostBusyMs)} ms in any late tick)`
      : '';
    log.info(
      `Check Workspace ${r.cancelled ? 'cancelled' : 'done'}: ${what} in ${ms(r.ms)} ms (${r.mode}); longest extension-host block ${ms(r.longestHostBlockMs)} ms${cpu}, ` +
        `longest own step ${ms(r.longestOwnWork.ms)} ms (${r.longestOwnWork.what})`,
    );
    if (!token.isCancellationRequested) {
      const msg = vscode.l10n.t(
        'VFS Lock Review: checked {0} files: {1} finding(s) in {2} file(s).',
        r.checked,
        r.findings,
        r.withFindings,
      );
      void vscode.window
        .showInformationMessage(msg, vscode.l10n.t('Show Problems'))
        .then((pick) => pick && vscode.commands.executeCommand('workbench.actions.view.problems'));
    }
    return r;
  };

  ctx.subscriptions.push(vscode.commands.registerCommand('vfsLockReview.checkWorkspace', run));
  return { last: () => last };
}

/** The diagnostic of a finding of a file that is not open (its positions computed by the worker). */
function findingToDiagnostic(
  f: LocatedFinding,
  uri: vscode.Uri,
  positionAt: (offset: number) => vscode.Position,
): vscode.Diagnostic {
  const range = new vscode.Range(positionAt(f.start), positionAt(f.end));
  const severity =
    f.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : f.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(range, f.message, severity);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: f.ruleId, target: vscode.Uri.parse(ruleDocUrl(f.ruleId)) };
  d.relatedInformation = f.relatedLocated.map(
    (r) =>
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(uri, new vscode.Range(positionAt(r.start), positionAt(r.end))),
        r.message,
      ),
  );
  // The message is the one-sentence headline; why and how to fix follow it as the first related note, at the finding.
  if (f.detail)
    d.relatedInformation.unshift(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), f.detail));
  return d;
}
