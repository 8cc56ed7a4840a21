/**
 * The user's extra rule catalogue from `vfsLockReview.rulesFile`: found, checked (size, file type, symbolic links for
 * a workspace value), read through `vscode.workspace.fs` and validated here, then handed to the analysis session as
 * data (nothing in it runs). The analyzer itself (the parser's wasm, the analysis) lives only in the workers (or the
 * browser host's inline session): nothing here parses C.
 */
import * as vscode from 'vscode';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { Log } from './output';
import type { SettingsService } from './settings';

import { notificationText, quote, workspaceRelativePath } from '../service/settings';

/** Rule catalogues are tens of kilobytes (the built-in one is 52 KB); a larger file is refused before it is read. */
const MAX_RULES_BYTES = 4 * 1024 * 1024;

type RulesTarget = { uri: vscode.Uri; inside?: { folder: vscode.Uri; segments: string[] } } | { error: string };

export interface CatalogueService {
  /** The extra catalogue for a resource as validated JSON data (for the analysis session), keyed by its file. */
  catalogue(scope?: vscode.Uri): Promise<{ key: string; data: CatalogueData[] }>;
  /** Fires when the rules file changed on disk or in the settings. */
  readonly onDidChangeCatalogue: vscode.Event<void>;
}

export function activate(ctx: vscode.ExtensionContext, log: Log, settings: SettingsService): CatalogueService {
  const withRules = new Map<string, Promise<CatalogueData[]>>();
  const changed = new vscode.EventEmitter<void>();
  let watcher: vscode.Disposable | undefined;
  ctx.subscriptions.push(changed, { dispose: () => watcher?.dispose() });

  /**
   * The rules file for a resource. A value from the user's settings may be any path or URI; one from the
   * workspace's settings (only used when the workspace is trusted, see settings.ts) must be a relative path that
   * stays inside the workspace folder, and is checked again for symbolic links when it is read.
   */
  const rulesTarget = (scope?: vscode.Uri): RulesTarget | null => {
    const s = settings.get(scope);
    const file = s.rulesFile;
    if (!file) return null;
    const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
    if (s.rulesFileOrigin === 'workspace') {
      const r = workspaceRelativePath(file);
      if ('error' in r) return { error: `vfsLockReview.rulesFile ${quote(file)} in the workspace settings ${r.error}` };
      if (!folder)
        return {
          error: `vfsLockReview.rulesFile ${quote(file)} in the workspace settings cannot be resolved: there is no workspace folder`,
        };
      return {
        uri: vscode.Uri.joinPath(folder.uri, ...r.segments),
        inside: { folder: folder.uri, segments: r.segments },
      };
    }
    if (/^[a-z][a-z0-9+.-]+:/i.test(file) && !/^[a-z]:[\\/]/i.test(file)) return { uri: vscode.Uri.parse(file) };
    if (file.startsWith('/') || /^[a-z]:[\\/]/i.test(file)) return { uri: vscode.Uri.file(file) };
    return folder ? { uri: vscode.Uri.joinPath(folder.uri, file) } : null;
  };

  /** Refuses what must not be read: a non-regular file, one too large, or (workspace values) a symbolic link on the way. */
  const checkRulesFile = async (t: Extract<RulesTarget, { uri: vscode.Uri }>): Promise<void> => {
    if (t.inside) {
      let at = t.inside.folder;
      for (const seg of t.inside.segments) {
        at = vscode.Uri.joinPath(at, seg);
        const st = await vscode.workspace.fs.stat(at);
        if (st.type & vscode.FileType.SymbolicLink) {
          throw new Error(
            `${vscode.workspace.asRelativePath(at, false)} is a symbolic link; a rules file named in the workspace settings must be a regular file inside the workspace folder`,
          );
        }
      }
    }
    const st = await vscode.workspace.fs.stat(t.uri);
    if (!(st.type & vscode.FileType.File))
      throw new Error(`${vscode.workspace.asRelativePath(t.uri, false)} is not a regular file`);
    if (st.size > MAX_RULES_BYTES)
      throw new Error(
        `${vscode.workspace.asRelativePath(t.uri, false)} is ${st.size} bytes; a rules file may have at most ${MAX_RULES_BYTES}`,
      );
  };

  const reportOnce = new Set<string>();
  const refuse = (msg: string) => {
    if (reportOnce.has(msg)) return;
    reportOnce.add(msg);
    log.error(`rules file not used: ${msg}`);
    void vscode.window
      .showErrorMessage(
        notificationText(vscode.l10n.t('VFS Lock Review: the rules file is not used: {0}', msg)),
        vscode.l10n.t('Open Settings'),
      )
      .then(
        (pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', 'vfsLockReview.rulesFile'),
      );
  };

  const watch = (uri: vscode.Uri) => {
    watcher?.dispose();
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const pattern = folder
      ? new vscode.RelativePattern(folder, vscode.workspace.asRelativePath(uri, false))
      : new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.split('/').pop()!);
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    const reload = () => {
      log.info(`rules file ${uri.toString(true)} changed: reloading`);
      withRules.clear();
      changed.fire();
    };
    w.onDidChange(reload);
    w.onDidCreate(reload);
    w.onDidDelete(reload);
    watcher = w;
  };

  /** Reads and validates the rules file (no wasm needed); problems are reported once and the file is ignored. */
  const load = (t: Extract<RulesTarget, { uri: vscode.Uri }>): Promise<CatalogueData[]> => {
    const uri = t.uri;
    const key = uri.toString();
    let p = withRules.get(key);
    if (!p) {
      p = (async () => {
        watch(uri);
        try {
          await checkRulesFile(t);
          const bytes = await vscode.workspace.fs.readFile(uri);
          // Loaded on demand: the schema validator is only needed when a rules file is set.
          const { parseCatalogue } = await import('../core/catalogue/validate.js');
          const data = parseCatalogue(new TextDecoder().decode(bytes), vscode.workspace.asRelativePath(uri));
          log.info(
            `rule catalogue ${uri.toString(true)} loaded (${(data.functions?.length ?? 0) + (data.methods?.length ?? 0) + (data.mutators?.length ?? 0)} entries)`,
          );
          return [data];
        } catch (e) {
          refuse((e as Error).message);
          return [];
        }
      })();
      withRules.set(key, p);
    }
    return p;
  };

  ctx.subscriptions.push(
    settings.onDidChange((e) => {
      if (e.affectsConfiguration('vfsLockReview.rulesFile')) {
        withRules.clear();
        reportOnce.clear();
        watcher?.dispose();
        watcher = undefined;
        changed.fire();
      }
    }),
  );

  return {
    async catalogue(scope) {
      const t = rulesTarget(scope);
      if (t && 'error' in t) refuse(t.error);
      return t && 'uri' in t ? { key: t.uri.toString(), data: await load(t) } : { key: '', data: [] };
    },
    onDidChangeCatalogue: changed.event,
  };
}
