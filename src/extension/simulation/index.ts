/**
 * Race simulation in the editor: the commands "Simulate Race…", "Inode Cache Cost of a Field…" and
 * "Show the race" (code lens / code action), the panel and its serializer, and diagnostics for `.vfsrace`
 * files. The simulation itself is src/sim (pure; the same code runs in the webview for manual scheduling); the
 * explorations (with the function's model taken from its analysis) run in the simulation worker, and the function
 * at the cursor is found by the analysis worker (both inline, in slices, in the browser host): the extension host
 * thread only sends the text and shows the result. Explorations can be cancelled from the progress notification.
 */
import * as vscode from 'vscode';
import { BUILTINS } from '../../sim/builtins';
import type { Outcome, SimulationRequest } from '../../sim/simulate';
import { compileScenario } from '../../sim/lang/compile';
import type { SimulationResult } from '../../sim/run';
import { SimulationPanel } from './panel';
import type { Backend } from '../backend';
import type { FunctionAtParams } from '../../service/protocol';
import { scenarioLens } from './scenarioLens';

export interface SimulationDeps {
  log: (msg: string) => void;
  /** Where simulations run (a worker on the desktop). */
  backend: Backend;
  /** The function at the cursor, from the language server (it has the open C documents). */
  functionAt(params: FunctionAtParams): Promise<{ name: string; start: number; end: number } | null>;
}

export interface SimulationApi {
  showRace(uri: vscode.Uri, functionName: string, line?: number): Promise<void>;
}

export function activateSimulation(context: vscode.ExtensionContext, deps: SimulationDeps): SimulationApi {
  const panel = new SimulationPanel(context, deps.log);
  const api: SimulationApi = { showRace: (uri, fn, line) => showRace(panel, deps, uri, fn, line) };
  context.subscriptions.push(
    panel.registerSerializer(),
    // With a .vfsrace document's URI (its "Run simulation" code lens): that scenario; without: the pick list.
    vscode.commands.registerCommand('vfsLockReview.simulateRace', (uri?: unknown) =>
      uri instanceof vscode.Uri ? simulateScenarioDocument(panel, deps, uri) : pickAndSimulate(panel, deps),
    ),
    vscode.commands.registerCommand('vfsLockReview.inodeCacheCost', () => inodeCacheCost(panel, deps)),
    vscode.commands.registerCommand('vfsLockReview.showRace', (uri?: vscode.Uri, fn?: string, line?: number) => {
      if (uri instanceof vscode.Uri && typeof fn === 'string')
        return api.showRace(uri, fn, typeof line === 'number' ? line : undefined);
      return pickAndSimulate(panel, deps);
    }),
    ...scenarioDiagnostics(),
    ...scenarioLens(),
    vscode.commands.registerCommand('vfsLockReview.internal.simulationPanel', () => panel.status()),
  );
  return api;
}

function fileName(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** Runs a simulation in the backend with a cancellable progress notification, reporting errors; the result or null. */
async function run(
  title: string,
  request: SimulationRequest | (() => Promise<SimulationRequest>),
  deps: SimulationDeps,
): Promise<SimulationResult | null> {
  let cancelled = false;
  let outcome: Outcome;
  try {
    outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (_progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        const req = typeof request === 'function' ? await request() : request;
        return deps.backend.call('simulate', { request: req }, token);
      },
    );
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    deps.log(`simulate: ${why}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('VFS Lock Review: the simulation stopped: {0}', why));
    return null;
  }
  if (cancelled) {
    deps.log(`simulate: ${title} cancelled`);
    return null;
  }
  if ('error' in outcome) {
    deps.log(`simulate: ${outcome.error}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('VFS Lock Review: {0}', outcome.error));
    return null;
  }
  deps.log(
    `simulate ${outcome.result.scenario}: ${outcome.result.verdict}, ${outcome.result.states} states, ${outcome.result.ms.toFixed(1)} ms${outcome.result.bound ? ` (${outcome.result.bound.message})` : ''}`,
  );
  return outcome.result;
}

async function showRace(
  panel: SimulationPanel,
  deps: SimulationDeps,
  uri: vscode.Uri,
  fn: string,
  line?: number,
): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const result = await run(
    vscode.l10n.t('Simulating {0}…', fn),
    { kind: 'function', file: fileName(uri), text: doc.getText(), fn },
    deps,
  );
  if (!result) return;
  const note = result.bound
    ? result.bound.message
    : result.verdict === 'safe'
      ? vscode.l10n.t(
          'No interleaving of {0} against {1} violates an invariant ({2} states explored). If the analyzer flagged it, the flagged path may need a caller or an opponent this model does not include.',
          fn,
          opponentsOf(result.description),
          String(result.states),
        )
      : undefined;
  panel.show(result, startStepFor(result, fn, line), note);
}

/** The opponents named after " against " in a function simulation's description, without its closing period. */
function opponentsOf(description: string): string {
  const after = description.split(' against ')[1];
  if (!after) return vscode.l10n.t('the standard opponents');
  return after.endsWith('.') ? after.slice(0, -1) : after;
}

/** The step of the function at (or after) the diagnostic's line, so the panel opens where the finding points. */
function startStepFor(r: SimulationResult, fn: string, line?: number): number | undefined {
  if (line === undefined) return undefined;
  const own = r.trace.filter((s) => s.threadName === fn && s.line !== undefined && !s.local);
  const exact = own.find((s) => s.line === line) ?? own.find((s) => (s.line ?? 0) >= line);
  return exact?.index;
}

interface Pick extends vscode.QuickPickItem {
  run: () => Promise<SimulationResult | null>;
}

async function pickAndSimulate(panel: SimulationPanel, deps: SimulationDeps): Promise<void> {
  const items: Pick[] = [];
  const editor = vscode.window.activeTextEditor;
  const fn =
    editor && (editor.document.languageId === 'c' || editor.document.languageId === 'cpp')
      ? await functionAtCursor(editor, deps)
      : null;
  if (fn && editor) {
    const doc = editor.document;
    items.push({
      label: `$(symbol-function) ${fn}`,
      description: vscode.l10n.t('the function at the cursor'),
      run: () => run(fn, { kind: 'function', file: fileName(doc.uri), text: doc.getText(), fn }, deps),
    });
  }
  for (const b of BUILTINS)
    items.push({
      label: `$(beaker) ${b.name}`,
      description: b.summary,
      run: () => run(b.name, { kind: 'builtin', name: b.name }, deps),
    });
  const files = await vscode.workspace.findFiles('**/*.vfsrace', '**/node_modules/**', 100);
  for (const f of files) {
    items.push({
      label: `$(file) ${vscode.workspace.asRelativePath(f)}`,
      description: vscode.l10n.t('workspace scenario'),
      run: () =>
        run(
          f.path,
          async () => {
            const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(f));
            return { kind: 'scenario', text, source: fileName(f) };
          },
          deps,
        ),
    });
  }
  const choice = await vscode.window.showQuickPick(items, {
    placeHolder: vscode.l10n.t('Simulate races in a built-in scenario, a .vfsrace file or the function at the cursor'),
    matchOnDescription: true,
  });
  const result = await choice?.run();
  if (result) panel.show(result, undefined, result.bound?.message);
}

/** A `.vfsrace` document, as currently edited (unsaved changes included); other documents: the pick list. */
async function simulateScenarioDocument(panel: SimulationPanel, deps: SimulationDeps, uri: vscode.Uri): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'vfsrace') return pickAndSimulate(panel, deps);
  const result = await run(
    vscode.workspace.asRelativePath(uri),
    { kind: 'scenario', text: doc.getText(), source: fileName(uri) },
    deps,
  );
  if (result) panel.show(result, undefined, result.bound?.message);
}

async function functionAtCursor(editor: vscode.TextEditor, deps: SimulationDeps): Promise<string | null> {
  try {
    const doc = editor.document;
    const fn = await deps.functionAt({
      uri: doc.uri.toString(),
      version: doc.version,
      file: fileName(doc.uri),
      text: doc.getText(),
      offset: doc.offsetAt(editor.selection.active),
    });
    return fn?.name ?? null;
  } catch (e) {
    deps.log(`simulate: cannot find the function at the cursor: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

async function inodeCacheCost(panel: SimulationPanel, deps: SimulationDeps): Promise<void> {
  const field = await vscode.window.showInputBox({
    prompt: vscode.l10n.t('Bytes the change adds to struct inode'),
    value: '8',
    validateInput: (v) =>
      /^\d+$/.test(v) && Number(v) <= 4096 ? null : vscode.l10n.t('a whole number of bytes (0–4096)'),
  });
  if (field === undefined) return;
  const budget = await vscode.window.showInputBox({
    prompt: vscode.l10n.t('Memory for the inode cache, in MiB'),
    value: '16',
    validateInput: (v) =>
      /^\d+$/.test(v) && Number(v) >= 1 ? null : vscode.l10n.t('a whole number of MiB, at least 1'),
  });
  if (budget === undefined) return;
  const result = await run(
    'inode-field-cost',
    { kind: 'builtin', name: 'inode-field-cost', overrides: { set: { field, budget_mib: budget } } },
    deps,
  );
  if (result) panel.show(result);
}

/** Syntax and reference errors of `.vfsrace` documents, as diagnostics with line and column. */
function scenarioDiagnostics(): vscode.Disposable[] {
  const collection = vscode.languages.createDiagnosticCollection('vfsrace');
  const update = (doc: vscode.TextDocument) => {
    if (doc.languageId !== 'vfsrace') return;
    const { diagnostics } = compileScenario(doc.getText(), fileName(doc.uri));
    collection.set(
      doc.uri,
      diagnostics.map((d) => {
        const start = new vscode.Position(d.line - 1, d.column - 1);
        const range = new vscode.Range(start, start.translate(0, Math.max(1, d.length)));
        const diag = new vscode.Diagnostic(
          range,
          d.message,
          d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        diag.source = 'vfsrace';
        return diag;
      }),
    );
  };
  vscode.workspace.textDocuments.forEach(update);
  return [
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => update(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  ];
}
