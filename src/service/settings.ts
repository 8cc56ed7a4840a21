/**
 * The extension's settings as plain data: parsing with defaults and problems, check options for the core, and
 * include/exclude glob matching (src/core/glob.ts: linear time, no RegExp). No `vscode` import (unit-tested under Node).
 */
import type { CheckOptions } from '../core/engine';
import type { RuleId, Severity } from '../core/analysis/types';
import { RULES } from '../core/rules/rules';
import { Glob, GlobError, globProblem } from '../core/glob';
import { escapeForTerminal } from '../core/text/escape';

export type SeveritySetting = Severity | 'off';
export type SettingOrigin = 'default' | 'user' | 'workspace';

export interface Settings {
  enable: boolean;
  /** 'auto' or a kernel version such as "6.19". */
  kernel: string;
  /** Extra rule catalogue (JSON), relative to the workspace folder or absolute; '' for none. */
  rulesFile: string;
  /**
   * Where `rulesFile` was set: in the user's settings (any path or URI), or in the workspace's (only a file inside
   * the workspace folder is accepted, see `workspaceRelativePath`).
   */
  rulesFileOrigin: SettingOrigin;
  severity: Partial<Record<RuleId, SeveritySetting>>;
  include: string[];
  exclude: string[];
  debounceMs: number;
  codeLens: boolean;
}

export interface SettingsProblem {
  setting: string;
  message: string;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  enable: true,
  kernel: 'auto',
  rulesFile: '',
  rulesFileOrigin: 'default' as SettingOrigin,
  severity: {},
  include: ['**/*.c', '**/*.h'],
  exclude: ['**/.git/**', '**/node_modules/**', '**/.e2e/**'],
  debounceMs: 250,
  codeLens: true,
});

export const DEBOUNCE_MIN = 0;
export const DEBOUNCE_MAX = 5000;
const SEVERITIES: readonly SeveritySetting[] = ['error', 'warning', 'info', 'off'];
const KERNEL = /^(auto|\d+\.\d+(\.\d+)?)$/;
/** Patterns per include/exclude list: matching costs path length × total pattern size per file. */
export const MAX_PATTERNS = 64;

/** Reads raw configuration values (as `WorkspaceConfiguration.get` returns them), falling back to defaults. */
export function parseSettings(raw: Record<string, unknown>): { settings: Settings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const bad = (setting: string, message: string) => problems.push({ setting: `vfsLockReview.${setting}`, message });
  const s: Settings = {
    ...DEFAULT_SETTINGS,
    severity: {},
    include: [...DEFAULT_SETTINGS.include],
    exclude: [...DEFAULT_SETTINGS.exclude],
  };

  if (raw.enable !== undefined) {
    if (typeof raw.enable === 'boolean') s.enable = raw.enable;
    else bad('enable', 'must be true or false');
  }
  if (raw.kernel !== undefined) {
    const k = typeof raw.kernel === 'string' ? raw.kernel.trim() : '';
    if (KERNEL.test(k)) s.kernel = k;
    else bad('kernel', `"${String(raw.kernel)}" is neither "auto" nor a version such as "6.19"; using "auto"`);
  }
  if (raw.rulesFile !== undefined && raw.rulesFile !== null) {
    if (typeof raw.rulesFile === 'string') {
      s.rulesFile = raw.rulesFile.trim();
      if (s.rulesFile) s.rulesFileOrigin = raw.rulesFileOrigin === 'workspace' ? 'workspace' : 'user';
    } else bad('rulesFile', 'must be a path');
  }
  if (raw.severity !== undefined && raw.severity !== null) {
    if (typeof raw.severity !== 'object' || Array.isArray(raw.severity))
      bad('severity', 'must be an object mapping rule ids to error, warning, info or off');
    else {
      for (const [id, v] of Object.entries(raw.severity as Record<string, unknown>)) {
        if (!RULES.some((r) => r.id === id)) bad('severity', `unknown rule id "${id}"`);
        else if (!SEVERITIES.includes(v as SeveritySetting))
          bad('severity', `"${id}": "${String(v)}" is not one of ${SEVERITIES.join(', ')}`);
        else s.severity[id as RuleId] = v as SeveritySetting;
      }
    }
  }
  for (const key of ['include', 'exclude'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      bad(key, 'must be a list of glob patterns');
      continue;
    }
    const patterns = (v as string[]).map((x) => x.trim()).filter(Boolean);
    if (patterns.length > MAX_PATTERNS)
      bad(key, `has ${patterns.length} patterns; only the first ${MAX_PATTERNS} are used`);
    // A pattern that does not compile is left out and named; the others still apply (diagnostics go on).
    s[key] = patterns.slice(0, MAX_PATTERNS).filter((g) => {
      const problem = globProblem(g);
      if (problem) bad(key, `pattern ${quote(g)} is not used: it ${problem}`);
      return !problem;
    });
  }
  if (raw.debounceMs !== undefined) {
    const n = typeof raw.debounceMs === 'number' ? raw.debounceMs : NaN;
    if (Number.isFinite(n)) s.debounceMs = Math.round(Math.max(DEBOUNCE_MIN, Math.min(DEBOUNCE_MAX, n)));
    else bad('debounceMs', 'must be a number of milliseconds');
  }
  if (raw.codeLens !== undefined) {
    if (typeof raw.codeLens === 'boolean') s.codeLens = raw.codeLens;
    else bad('codeLens', 'must be true or false');
  }
  return { settings: s, problems };
}

/** What the core's `check`/`open` takes from the settings. */
export function checkOptionsOf(s: Settings): CheckOptions {
  return { kernel: s.kernel, severity: { ...s.severity } };
}

/** Whether two settings objects lead to different analysis results (so open files must be re-checked). */
export function analysisChanged(a: Settings, b: Settings): boolean {
  return (
    a.enable !== b.enable ||
    a.kernel !== b.kernel ||
    a.rulesFile !== b.rulesFile ||
    a.rulesFileOrigin !== b.rulesFileOrigin ||
    JSON.stringify(a.severity) !== JSON.stringify(b.severity) ||
    a.include.join('\0') !== b.include.join('\0') ||
    a.exclude.join('\0') !== b.exclude.join('\0')
  );
}

/** Compiled include/exclude lists; a pattern without '/' matches the file's base name, as in `files.exclude`. */
export class FileFilter {
  private readonly inc: { glob: Glob; base: boolean }[];
  private readonly exc: { glob: Glob; base: boolean }[];
  /** Patterns that do not compile are left out (`parseSettings` reports them, naming the setting). */
  constructor(include: readonly string[], exclude: readonly string[]) {
    this.inc = compileAll(include);
    this.exc = compileAll(exclude);
  }

  /** `path`: relative to the workspace folder (or the file's path when it is in no folder), '/'-separated. */
  matches(path: string): boolean {
    const p = path.replace(/\\/g, '/').replace(/^\.?\//, '');
    const base = p.slice(p.lastIndexOf('/') + 1);
    const test = (gs: { glob: Glob; base: boolean }[]) => gs.some((g) => g.glob.matches(g.base ? base : p));
    return test(this.inc) && !test(this.exc);
  }
}

function compileAll(patterns: readonly string[]): { glob: Glob; base: boolean }[] {
  const out: { glob: Glob; base: boolean }[] = [];
  for (const g of patterns) {
    try {
      out.push({ glob: Glob.compile(g), base: !g.includes('/') });
    } catch (e) {
      if (!(e instanceof GlobError)) throw e;
    }
  }
  return out;
}

/** A setting's value at each level, as `WorkspaceConfiguration.inspect` gives it. */
export interface InspectedSetting {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The value of a setting that names a file or directory, and where it was set. In an untrusted workspace
 * (Restricted Mode) the workspace's own values (`.vscode/settings.json`, a `.code-workspace` file) are ignored:
 * VS Code already withholds them for the settings in `restrictedConfigurations`, and this keeps that true on hosts
 * that do not. `ignored` is the workspace value that was set aside, for the log.
 */
/** Settings that can turn findings off: a cloned repository's values of these wait until the workspace is trusted. */
export const SILENCING_KEYS = ['enable', 'severity'] as const;

export function effectiveSetting(
  v: InspectedSetting | undefined,
  trusted: boolean,
): { value: unknown; origin: SettingOrigin; ignored?: unknown } {
  const ws = v?.workspaceFolderValue !== undefined ? v.workspaceFolderValue : v?.workspaceValue;
  if (ws !== undefined && trusted) return { value: ws, origin: 'workspace' };
  const user = v?.globalValue;
  const out: { value: unknown; origin: SettingOrigin; ignored?: unknown } =
    user !== undefined ? { value: user, origin: 'user' } : { value: undefined, origin: 'default' };
  if (ws !== undefined && !(typeof ws === 'string' && !ws.trim())) out.ignored = ws;
  return out;
}

/**
 * A path from the workspace's settings, as segments below the workspace folder, or why it is refused: only a
 * relative path that stays inside the folder is accepted (no URI, no absolute or drive path, no `~`, no `..` that
 * climbs above the folder, no control character). Symbolic links are the caller's to refuse (it can stat).
 */
export function workspaceRelativePath(p: string): { segments: string[] } | { error: string } {
  const s = p.trim();
  if (!s) return { error: 'is empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return { error: 'contains a control character' };
  if (/^[a-z]:/i.test(s))
    return {
      error:
        'is an absolute path or a URI; in the workspace settings only a path relative to the workspace folder is accepted',
    };
  if (/^[a-z][a-z0-9+.-]*:/i.test(s))
    return { error: 'is a URI; in the workspace settings only a path relative to the workspace folder is accepted' };
  if (s.startsWith('/') || s.startsWith('\\'))
    return {
      error: 'is an absolute path; in the workspace settings only a path relative to the workspace folder is accepted',
    };
  if (s.startsWith('~'))
    return {
      error: 'starts with "~"; in the workspace settings only a path relative to the workspace folder is accepted',
    };
  const segments: string[] = [];
  for (const part of s.split(/[/\\]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!segments.length) return { error: 'leads out of the workspace folder' };
      segments.pop();
    } else segments.push(part);
  }
  if (!segments.length) return { error: 'names the workspace folder itself, not a file in it' };
  return { segments };
}

/** A user-controlled string in a message: one line, controls visible, at most 80 characters, in quotes. */
export function quote(s: string): string {
  const t = escapeForTerminal(s);
  return `"${t.length > 80 ? `${t.slice(0, 79)}…` : t}"`;
}

/**
 * Text for `showWarningMessage`/`showErrorMessage`, which turn `[label](command:…)`, `(https:…)` and `(file:…)`
 * into links: a space between `]` and `(` keeps a quoted setting or file text from becoming one. Controls are made
 * visible (the message is one line).
 */
export function notificationText(s: string): string {
  return escapeForTerminal(s).replace(/\]\(/g, '] (');
}
