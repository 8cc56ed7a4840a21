/** Settings: read per resource, validated, re-read on change (no reload needed). */
import * as vscode from 'vscode';
import { parseSettings, type Settings } from './pure/settings';
import type { Log } from './output';

export const SECTION = 'vfsLockReview';
const KEYS = ['enable', 'kernel', 'rulesFile', 'severity', 'include', 'exclude', 'debounceMs', 'codeLens'] as const;

export interface SettingsService {
  get(scope?: vscode.ConfigurationScope): Settings;
  /** Fires after any vfsLockReview.* setting changed. */
  readonly onDidChange: vscode.Event<vscode.ConfigurationChangeEvent>;
}

export function activate(ctx: vscode.ExtensionContext, log: Log): SettingsService {
  const emitter = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  const reported = new Set<string>();
  ctx.subscriptions.push(emitter, vscode.workspace.onDidChangeConfiguration((e) => {
    if (!KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) return;
    reported.clear();
    log.info('settings changed: re-checking open files');
    emitter.fire(e);
  }));
  return {
    get(scope) {
      const cfg = vscode.workspace.getConfiguration(SECTION, scope);
      const raw: Record<string, unknown> = {};
      for (const k of KEYS) raw[k] = cfg.get(k);
      const { settings, problems } = parseSettings(raw);
      for (const p of problems) {
        const key = `${p.setting}: ${p.message}`;
        if (reported.has(key)) continue;
        reported.add(key);
        log.warn(`setting ${key}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('VFS Lock Review: setting {0} {1}', p.setting, p.message), vscode.l10n.t('Open Settings'))
          .then((pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', p.setting));
      }
      return settings;
    },
    onDidChange: emitter.event,
  };
}
