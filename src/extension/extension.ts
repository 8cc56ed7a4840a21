/**
 * VFS Lock Review for VS Code: thin glue over the analyzer core. Each feature is a module with its own
 * `activate` (clangd/vscode-eslint style); this file wires them. Nothing heavy happens here: the parser (wasm)
 * loads in the analysis worker when the first C file needs checking.
 */
import * as vscode from 'vscode';
import * as output from './output';
import * as settingsModule from './settings';
import * as catalogueModule from './catalogue';
import * as diagnostics from './diagnostics';
import * as commands from './commands';
import * as workspaceCheck from './workspaceCheck';
import * as status from './status';
import { createBackend } from './backend';
import { IS_WEB, startServerEarly } from './language-client';
import { setTranslator } from '../service/l10n';
import { activateSimulation } from './simulation/index';
import { activatePatchReview } from './patch/index';

const moduleLoaded = output.now();
// The analysis thread starts now, not when activate() is called, which can be seconds later in a fresh window.
if (!IS_WEB) startServerEarly(__dirname);

/** What tests (and other extensions) can read from `extension.exports`. */
export interface VfsLockReviewApi {
  stats(): {
    activationMs: number;
    host: 'node' | 'browser';
    backend: 'worker';
    parserLoadMs: number | null;
    checks: diagnostics.CheckStats[];
    workspaceCheck: workspaceCheck.WorkspaceCheckResult | null;
  };
}

export function activate(context: vscode.ExtensionContext): VfsLockReviewApi {
  const t0 = output.now();
  const steps: [string, number][] = [];
  const step = <T>(name: string, fn: () => T): T => {
    const s = output.now();
    try {
      return fn();
    } finally {
      steps.push([name, output.now() - s]);
    }
  };
  const log = output.activate(context);
  setTranslator((template, ...args) => vscode.l10n.t(template, ...args));
  const settings = settingsModule.activate(context, log);
  const catalogue = catalogueModule.activate(context, log, settings);
  // Open documents, diagnostics, quick fixes, hovers and code lenses: the analysis service's language server, in a
  // worker (language-client.ts), started right after activation returns.
  const documents = step('diagnostics', () => diagnostics.activate(context, log, settings, catalogue));
  step('commands', () => commands.activate(context, log, documents));
  // In the browser host, one more web worker (lazily started) serves Check Workspace, simulations and reviews.
  const webTasks = IS_WEB ? createBackend(context, log, 'tasks') : null;
  if (webTasks) context.subscriptions.push({ dispose: () => webTasks.dispose() });
  const workspace = step('workspace check', () =>
    workspaceCheck.activate(context, log, settings, catalogue, documents, webTasks),
  );
  step('status', () => status.activate(context, documents));

  const logFn = (msg: string) => log.info(msg);
  // Simulations get their own worker (lazily started): a long exploration neither delays diagnostics nor, if it
  // outgrows the heap limit, takes them down.
  const simulationBackend =
    webTasks ?? createBackend(context, log, 'simulation', { maxHeapMb: 3072, background: true });
  if (simulationBackend !== webTasks) context.subscriptions.push({ dispose: () => simulationBackend.dispose() });
  step('simulation', () =>
    activateSimulation(context, {
      log: logFn,
      backend: simulationBackend,
      functionAt: (p) => documents.functionAt(p),
    }),
  );
  // Patch reviews too (lazily started): a review parses and analyses the patched files and their callers and
  // callees for seconds, reading the base tree through this thread (backend.ts, host callbacks). At a lower priority,
  // as the simulation and Check Workspace workers: on a busy machine this thread must not wait for the CPU behind it.
  const reviewBackend = webTasks ?? createBackend(context, log, 'review', { background: true });
  if (reviewBackend !== webTasks) context.subscriptions.push({ dispose: () => reviewBackend.dispose() });
  const patchDiagnostics = vscode.languages.createDiagnosticCollection('vfsLockReview.patch');
  context.subscriptions.push(patchDiagnostics);
  step('patch review', () =>
    activatePatchReview(context, { backend: reviewBackend, log: logFn, diagnostics: patchDiagnostics }),
  );

  const activationMs = output.now() - t0;
  const api: VfsLockReviewApi = {
    stats: () => ({
      activationMs,
      host: IS_WEB ? 'browser' : 'node',
      backend: 'worker',
      parserLoadMs: documents.loadMs,
      checks: [...documents.history],
      workspaceCheck: workspace.last(),
    }),
  };
  context.subscriptions.push(vscode.commands.registerCommand('vfsLockReview.internal.stats', () => api.stats()));
  log.info(
    `VFS Lock Review ${String(context.extension.packageJSON.version)} activated in ${output.ms(activationMs)} ms ` +
      `(bundle evaluated ${output.ms(t0 - moduleLoaded)} ms before; ${IS_WEB ? 'browser host, analysis in a web worker' : 'analysis in a worker thread'}, language server starting)`,
  );
  log.info(`activation steps: ${steps.map(([n, t]) => `${n} ${output.ms(t)} ms`).join(', ')}`);
  return api;
}

export function deactivate(): void {
  // Disposables registered on the context stop the worker and clear diagnostics.
}
