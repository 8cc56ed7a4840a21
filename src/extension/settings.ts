/** Settings: read per resource, validated, re-read on change (no reload needed). */
import * as vscode from 'vscode';
import {
  effectiveSetting,
  notificationText,
  parseSettings,
  quote,
  SILENCING_KEYS,
  type Settings,
  type SettingOrigin,
} from '../service/settings';
import type { Log } from './output';

export const SECTION = 'vfsLockReview';
const KEYS = ['enable', 'kernel', 'rulesFile', 'severity', 'include', 'exclude', 'debounceMs', 'codeLens'] as const;

export interface SettingsService {
  get(scope?: vscode.ConfigurationScope): Settings;
  /** Fires after any vfsLockReview.* setting changed, and when the workspace becomes trusted. */
  readonly onDidChange: vscode.Event<vscode.ConfigurationChangeEvent>;
}

/** Said once per distinct message (settings are read on every opened file). */
const said = new Set<string>();

/**
 * A setting VS Code withholds from an untrusted workspace (package.json `restrictedConfigurations`), read again here
 * with `inspect()`: workspace values are ignored while the workspace is not trusted (see `effectiveSetting`), which
 * also covers hosts that do not implement `restrictedConfigurations`; the drop is logged once.
 */
function trustedValue(
  key: string,
  scope: vscode.ConfigurationScope | undefined,
  log?: (m: string) => void,
): { value: unknown; origin: SettingOrigin } {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope);
  const { value, origin, ignored } = effectiveSetting(cfg.inspect(key), vscode.workspace.isTrusted);
  if (ignored !== undefined && log) {
    const shown = typeof ignored === 'string' ? ignored : JSON.stringify(ignored);
    const m = `${SECTION}.${key} ${quote(shown)} from the workspace settings is ignored: the workspace is not trusted (Restricted Mode)`;
    if (!said.has(m)) {
      said.add(m);
      log(m);
    }
  }
  return { value, origin };
}

/** A setting naming a file or directory (`rulesFile`, `patchReview.baseTree`), with where it was set. */
export function pathSetting(
  key: string,
  scope: vscode.ConfigurationScope | undefined,
  log?: (m: string) => void,
): { value: string; origin: SettingOrigin } {
  const { value, origin } = trustedValue(key, scope, log);
  return {
    value: typeof value === 'string' ? value.trim() : '',
    origin: typeof value === 'string' && value.trim() ? origin : 'default',
  };
}

export function activate(ctx: vscode.ExtensionContext, log: Log): SettingsService {
  const emitter = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  const reported = new Set<string>();
  const changed = (e: vscode.ConfigurationChangeEvent) => {
    reported.clear();
    said.clear();
    emitter.fire(e);
  };
  ctx.subscriptions.push(
    emitter,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) return;
      log.info('settings changed: re-checking open files');
      changed(e);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // VS Code also fires a configuration change for restricted settings; this covers hosts that do not.
      log.info('workspace trusted: its settings now apply; re-checking open files');
      changed({ affectsConfiguration: () => true });
    }),
  );
  return {
    get(scope) {
      const cfg = vscode.workspace.getConfiguration(SECTION, scope);
      const raw: Record<string, unknown> = {};
      for (const k of KEYS) raw[k] = cfg.get(k);
      for (const k of SILENCING_KEYS) raw[k] = trustedValue(k, scope, (m) => log.warn(m)).value;
      const rules = pathSetting('rulesFile', scope, (m) => log.warn(m));
      raw.rulesFile = rules.value;
      raw.rulesFileOrigin = rules.origin;
      const { settings, problems } = parseSettings(raw);
      for (const p of problems) {
        const key = `${p.setting}: ${p.message}`;
        if (reported.has(key)) continue;
        reported.add(key);
        log.warn(`setting ${key}`);
        void vscode.window
          .showWarningMessage(
            notificationText(vscode.l10n.t('VFS Lock Review: setting {0} {1}', p.setting, p.message)),
            vscode.l10n.t('Open Settings'),
          )
          .then((pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', p.setting));
      }
      return settings;
    },
    onDidChange: emitter.event,
  };
}
