/**
 * Quick fixes for findings (WorkspaceEdits, so undo works), computed by the analysis session and re-checked by the
 * analyzer before they are offered, plus "Show the race", the rule's documentation and turning a rule off.
 */
import * as vscode from 'vscode';
import type { LocatedFinding } from '../core/engine';
import type { DocumentsService } from './diagnostics';
import type { Log } from './output';
import { ms, now } from './output';
import { DIAGNOSTIC_SOURCE, isRaceRule } from '../service/diagnostics';
import type { Fix } from '../core/fixes/writer';
import { C_SELECTOR } from './selector';

export function activate(ctx: vscode.ExtensionContext, log: Log, documents: DocumentsService): void {
  const cache = new Map<string, Promise<{ version: number; fixes: Fix[] } | null>>();
  let cacheVersion = '';

  const fixesFor = (doc: vscode.TextDocument, f: LocatedFinding) => {
    const v = `${doc.uri.toString()}@${doc.version}`;
    if (v !== cacheVersion) {
      cache.clear();
      cacheVersion = v;
    }
    const key = `${f.ruleId}:${f.start}:${f.end}`;
    let p = cache.get(key);
    if (!p) {
      const t0 = now();
      const version = doc.version;
      p = documents.fixes(doc, f).then(
        (r) => {
          // No answer, or one computed against another version than the editor's (the worker had not caught up): not
          // kept, so the next request for this version asks again instead of reusing an answer that can never match.
          if ((!r || r.version !== version) && cache.get(key) === p) cache.delete(key);
          if (r?.fixes.length)
            log.info(
              `quick fix for ${f.ruleId} in ${f.function}: ${r.fixes.map((x) => `"${x.title}"${x.verified ? ' (re-checked)' : ''}`).join(', ')} in ${ms(now() - t0)} ms`,
            );
          return r;
        },
        (e) => {
          log.error(`quick fix for ${f.ruleId} failed: ${(e as Error).message}`);
          return null;
        },
      );
      cache.set(key, p);
    }
    return p;
  };

  const provider: vscode.CodeActionProvider = {
    async provideCodeActions(doc, _range, context, token) {
      const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
      if (!ours.length) return [];
      const current = documents.current(doc);
      const actions: vscode.CodeAction[] = [];
      for (const d of ours) {
        const ruleId = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
        const f = current?.result.findings.find(
          (x) => x.ruleId === ruleId && doc.positionAt(x.start).isEqual(d.range.start),
        );
        if (f && current) {
          const r = await fixesFor(doc, f);
          if (token.isCancellationRequested) return [];
          if (r && r.version === doc.version) {
            r.fixes.forEach((fix, i) => {
              const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
              a.diagnostics = [d];
              a.isPreferred = i === 0 && fix.verified;
              const edit = new vscode.WorkspaceEdit();
              for (const e of fix.edits)
                edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
              a.edit = edit;
              actions.push(a);
            });
          }
        }
        if (isRaceRule(ruleId) && f) {
          const a = new vscode.CodeAction(
            vscode.l10n.t('Show the race in {0}', f.function),
            vscode.CodeActionKind.QuickFix,
          );
          a.diagnostics = [d];
          a.command = { title: a.title, command: 'vfsLockReview.showRace', arguments: [doc.uri, f.function, f.line] };
          actions.push(a);
        }
        const docs = new vscode.CodeAction(
          vscode.l10n.t('Open documentation for {0}', ruleId),
          vscode.CodeActionKind.QuickFix,
        );
        docs.diagnostics = [d];
        docs.command = { title: docs.title, command: 'vfsLockReview.openRuleDoc', arguments: [ruleId] };
        actions.push(docs);
        const off = new vscode.CodeAction(
          vscode.l10n.t('Turn off {0} in this workspace', ruleId),
          vscode.CodeActionKind.QuickFix,
        );
        off.diagnostics = [d];
        off.command = { title: off.title, command: 'vfsLockReview.setRuleSeverity', arguments: [ruleId, 'off'] };
        actions.push(off);
      }
      return actions;
    },
  };
  ctx.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(C_SELECTOR, provider, {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
  );
}
