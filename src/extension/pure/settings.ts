/**
 * The extension's settings as plain data: parsing with defaults and problems, check options for the core, and
 * include/exclude glob matching. No `vscode` import (unit-tested under Node).
 */
import type { CheckOptions } from '../../core/engine';
import type { RuleId, Severity } from '../../core/analysis/types';
import { RULES } from '../../core/rules/rules';

export type SeveritySetting = Severity | 'off';

export interface Settings {
  enable: boolean;
  /** 'auto' or a kernel version such as "6.19". */
  kernel: string;
  /** Extra rule catalogue (JSON), relative to the workspace folder or absolute; '' for none. */
  rulesFile: string;
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

/** Reads raw configuration values (as `WorkspaceConfiguration.get` returns them), falling back to defaults. */
export function parseSettings(raw: Record<string, unknown>): { settings: Settings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const bad = (setting: string, message: string) => problems.push({ setting: `vfsLockReview.${setting}`, message });
  const s: Settings = { ...DEFAULT_SETTINGS, severity: {}, include: [...DEFAULT_SETTINGS.include], exclude: [...DEFAULT_SETTINGS.exclude] };

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
    if (typeof raw.rulesFile === 'string') s.rulesFile = raw.rulesFile.trim();
    else bad('rulesFile', 'must be a path');
  }
  if (raw.severity !== undefined && raw.severity !== null) {
    if (typeof raw.severity !== 'object' || Array.isArray(raw.severity)) bad('severity', 'must be an object mapping rule ids to error, warning, info or off');
    else {
      for (const [id, v] of Object.entries(raw.severity as Record<string, unknown>)) {
        if (!RULES.some((r) => r.id === id)) bad('severity', `unknown rule id "${id}"`);
        else if (!SEVERITIES.includes(v as SeveritySetting)) bad('severity', `"${id}": "${String(v)}" is not one of ${SEVERITIES.join(', ')}`);
        else s.severity[id as RuleId] = v as SeveritySetting;
      }
    }
  }
  for (const key of ['include', 'exclude'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) s[key] = (v as string[]).map((x) => x.trim()).filter(Boolean);
    else bad(key, 'must be a list of glob patterns');
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
  return a.enable !== b.enable || a.kernel !== b.kernel || a.rulesFile !== b.rulesFile
    || JSON.stringify(a.severity) !== JSON.stringify(b.severity)
    || a.include.join('\0') !== b.include.join('\0') || a.exclude.join('\0') !== b.exclude.join('\0');
}

/**
 * VS Code-style glob → RegExp: `**` any number of path segments, `*` and `?` within a segment, `{a,b}`
 * alternatives, `[...]` character classes. Matched against a '/'-separated path relative to the workspace folder.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inGroup = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          if (glob[i + 2] === '/') {
            re += '(?:.*/)?';
            i += 2;
          } else {
            re += '.*';
            i += 1;
          }
          continue;
        }
        re += '[^/]*';
        i += 1;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inGroup++;
      re += '(?:';
    } else if (c === '}' && inGroup) {
      inGroup--;
      re += ')';
    } else if (c === ',' && inGroup) re += '|';
    else if (c === '[') {
      const j = glob.indexOf(']', i + 1);
      if (j < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = j;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Compiled include/exclude lists; a pattern without '/' matches the file's base name, as in `files.exclude`. */
export class FileFilter {
  private readonly inc: RegExp[];
  private readonly exc: RegExp[];
  private readonly incBase: boolean[];
  private readonly excBase: boolean[];
  constructor(include: readonly string[], exclude: readonly string[]) {
    this.inc = include.map(globToRegExp);
    this.exc = exclude.map(globToRegExp);
    this.incBase = include.map((g) => !g.includes('/'));
    this.excBase = exclude.map((g) => !g.includes('/'));
  }

  /** `path`: relative to the workspace folder (or the file's path when it is in no folder), '/'-separated. */
  matches(path: string): boolean {
    const p = path.replace(/\\/g, '/').replace(/^\.?\//, '');
    const base = p.slice(p.lastIndexOf('/') + 1);
    const test = (res: RegExp[], baseOnly: boolean[]) => res.some((r, i) => r.test(baseOnly[i] ? base : p));
    return test(this.inc, this.incBase) && !test(this.exc, this.excBase);
  }
}
