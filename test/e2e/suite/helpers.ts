/** Helpers for the extension-host suites. */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LagSampler, threadCpuMs, type LagReport } from '../../../src/extension/pure/lag';

export const EXT_ID = 'vfs-lock-review.vfs-lock-review';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function folder(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f.uri;
}

export function file(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(folder(), rel);
}

export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'vfslock');
}

export function ruleOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

export async function open(rel: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(file(rel));
  return vscode.window.showTextDocument(doc, { preview: false });
}

export async function api(): Promise<{
  stats(): Record<string, unknown> & {
    activationMs: number;
    checks: {
      file: string;
      latencyMs: number | null;
      analysisMs: number;
      trigger: string;
      version: number;
      findings: number;
    }[];
    parserLoadMs: number | null;
  };
}> {
  const ext = vscode.extensions.getExtension(EXT_ID);
  assert.ok(ext, `${EXT_ID} is installed`);
  return (await ext.activate()) as never;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('vfsLockReview').update(key, value, vscode.ConfigurationTarget.Workspace);
}

/** Appends a metrics record for the run's report (test-output/e2e-metrics.json). */
export function metric(name: string, value: unknown): void {
  const out = process.env.VFSLOCK_E2E_METRICS;
  console.log(`[metric] ${name}: ${JSON.stringify(value)}`);
  if (!out) return;
  const all = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  all[name] = value;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(all, null, 2) + '\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Runs `fn` while the extension host's event loop is sampled every 5 ms (the sampler Check Workspace uses; the
 * tests run in the same extension host as the extension): the longest stall, with the host thread's CPU time in it.
 */
export async function hostLag<T>(fn: () => Promise<T>): Promise<{ value: T; lag: LagReport; ms: number }> {
  const lag = new LagSampler(5, () => performance.now(), threadCpuMs);
  const timer = setInterval(() => lag.tick(), 5);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    lag.tick();
    return { value, lag: lag.report(), ms };
  } finally {
    clearInterval(timer);
  }
}

/** A host-lag measurement as a metrics record: the longest stall (wall and host CPU), and the whole operation. */
export function lagFigures(
  lag: LagReport,
  ms: number,
): {
  longestHostBlockMs: number;
  longestHostBlockCpuMs: number;
  longestHostBusyMs: number;
  ticks: number;
  wallMs: number;
} {
  return {
    longestHostBlockMs: round1(lag.longestMs),
    longestHostBlockCpuMs: round1(lag.longestCpuMs),
    longestHostBusyMs: round1(lag.longestBusyMs),
    ticks: lag.ticks,
    wallMs: Math.round(ms),
  };
}
