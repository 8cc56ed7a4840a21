/**
 * The "Patch Review" results view: the last reviewed series, one node per patch, its findings grouped into
 * introduced / fixed / remaining; each finding opens the patch line it concerns, and its children open the patch
 * line and the source as it is after the patch (or before it, for a fixed finding).
 */
import * as vscode from 'vscode';
import type { PatchReview, ReviewFinding, SeriesReview } from '../../patch/review';
import { ruleDocUrl } from '../../core/rules/rules';
import { escapeMarkdown as escapeMd, plainLabel } from '../pure/markdown';

/** Where a finding can be opened: the patch input and the patched source. */
export interface ReviewTargets {
  /** The document a patch was read from (by PatchReview.source). */
  patchUri(source: string): vscode.Uri | undefined;
  /** A document showing `file` as it is on `side` of patch `index`. */
  sourceUri(index: number, side: 'before' | 'after', file: string): vscode.Uri | undefined;
  /** Short display name of a patch source. */
  sourceLabel(source: string): string;
}

type Group = 'introduced' | 'fixed' | 'remaining';

type Node =
  | { kind: 'patch'; p: PatchReview }
  | { kind: 'group'; p: PatchReview; group: Group }
  | { kind: 'finding'; p: PatchReview; f: ReviewFinding; group: Group }
  | { kind: 'link'; label: string; description?: string; uri: vscode.Uri; line: number; column: number; icon: string }
  | { kind: 'text'; label: string; tooltip?: string; icon: string };

export const OPEN_LOCATION = 'vfsLockReview.patchResults.open';

export class PatchResultsProvider implements vscode.TreeDataProvider<Node> {
  private review: SeriesReview | null = null;
  private targets: ReviewTargets | null = null;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  show(review: SeriesReview, targets: ReviewTargets): void {
    this.review = review;
    this.targets = targets;
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }

  getChildren(node?: Node): Node[] {
    const r = this.review;
    const t = this.targets;
    if (!r || !t) return [];
    if (!node) {
      const out: Node[] = r.patches.map((p) => ({ kind: 'patch', p }));
      for (const s of r.skipped)
        out.push({
          kind: 'text',
          label: vscode.l10n.t('skipped: {0}', plainLabel(s.subject)),
          tooltip: s.reason && plainLabel(s.reason),
          icon: 'mail',
        });
      return out;
    }
    switch (node.kind) {
      case 'patch': {
        const p = node.p;
        if (!p.applied) {
          const out: Node[] = [
            {
              kind: 'text',
              label: p.error ? plainLabel(p.error) : vscode.l10n.t('not checked'),
              tooltip: p.error && plainLabel(p.error),
              icon: p.checked ? 'error' : 'circle-slash',
            },
          ];
          const uri = t.patchUri(p.source);
          if (uri && p.errorLine)
            out.push({
              kind: 'link',
              label: vscode.l10n.t('Hunk that does not apply'),
              description: plainLabel(`${t.sourceLabel(p.source)}:${p.errorLine}`),
              uri,
              line: p.errorLine - 1,
              column: 0,
              icon: 'go-to-file',
            });
          return out;
        }
        const out: Node[] = [];
        for (const g of ['introduced', 'fixed', 'remaining'] as const)
          if (p[g].length) out.push({ kind: 'group', p, group: g });
        for (const k of p.contracts) {
          out.push({
            kind: 'text',
            label: plainLabel(vscode.l10n.t('{0}() {1}', k.function, k.changes.join('; '))),
            tooltip: k.callers.length
              ? plainLabel(vscode.l10n.t('callers re-checked: {0}', k.callers.join(', ')))
              : undefined,
            icon: 'references',
          });
        }
        for (const n of p.notes) out.push({ kind: 'text', label: plainLabel(n), icon: 'info' });
        if (!out.length)
          out.push({
            kind: 'text',
            label: plainLabel(
              vscode.l10n.t('no findings in {0}', p.functions.join(', ') || vscode.l10n.t('the changed code')),
            ),
            icon: 'pass',
          });
        return out;
      }
      case 'group':
        return node.p[node.group].map((f) => ({ kind: 'finding', p: node.p, f, group: node.group }));
      case 'finding': {
        const { p, f } = node;
        const out: Node[] = [];
        const patch = t.patchUri(p.source);
        if (patch && f.patchLine !== undefined) {
          out.push({
            kind: 'link',
            label: vscode.l10n.t('In the patch'),
            description: plainLabel(
              `${t.sourceLabel(p.source)}:${f.patchLine}${f.exact ? '' : vscode.l10n.t(' (nearest changed line)')}`,
            ),
            uri: patch,
            line: f.patchLine - 1,
            column: f.exact ? f.finding.column : 0,
            icon: 'diff',
          });
        }
        const src = t.sourceUri(p.index, f.side, f.file);
        if (src) {
          out.push({
            kind: 'link',
            label:
              f.side === 'after' ? vscode.l10n.t('Source after the patch') : vscode.l10n.t('Source before the patch'),
            description: plainLabel(`${f.file}:${f.finding.line}`),
            uri: src,
            line: f.finding.line - 1,
            column: f.finding.column - 1,
            icon: 'file-code',
          });
          for (const rel of f.finding.relatedLocated) {
            out.push({
              kind: 'link',
              label: plainLabel(rel.message),
              description: plainLabel(`${f.file}:${rel.line}`),
              uri: src,
              line: rel.line - 1,
              column: rel.column - 1,
              icon: 'debug-stackframe-dot',
            });
          }
        }
        if (f.via)
          out.push({
            kind: 'text',
            label: plainLabel(vscode.l10n.t('via {0}, changed by this patch', f.via.map((v) => `${v}()`).join(', '))),
            icon: 'references',
          });
        return out;
      }
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const t = this.targets!;
    switch (node.kind) {
      case 'patch': {
        const p = node.p;
        const item = new vscode.TreeItem(plainLabel(p.subject), vscode.TreeItemCollapsibleState.Expanded);
        const errors = p.introduced.filter((f) => f.finding.severity === 'error').length;
        item.description = !p.applied
          ? p.checked
            ? vscode.l10n.t('does not apply')
            : vscode.l10n.t('not checked')
          : vscode.l10n.t(
              '{0} introduced, {1} fixed, {2} remaining',
              p.introduced.length,
              p.fixed.length,
              p.remaining.length,
            );
        item.iconPath = new vscode.ThemeIcon(
          !p.applied
            ? p.checked
              ? 'error'
              : 'circle-slash'
            : errors
              ? 'error'
              : p.introduced.length
                ? 'warning'
                : 'pass',
          !p.applied || errors
            ? new vscode.ThemeColor('problemsErrorIcon.foreground')
            : p.introduced.length
              ? new vscode.ThemeColor('problemsWarningIcon.foreground')
              : new vscode.ThemeColor('testing.iconPassed'),
        );
        item.tooltip = new vscode.MarkdownString(
          `**${escapeMd(p.subject)}**\n\n${escapeMd(t.sourceLabel(p.source))}:${p.line}\n\n${vscode.l10n.t('files')}: ${escapeMd(p.files.join(', '))}\n\n${vscode.l10n.t('functions')}: ${escapeMd(p.functions.join(', ') || '—')}`,
        );
        item.contextValue = 'vfsLockReview.patch';
        const uri = t.patchUri(p.source);
        if (uri)
          item.command = {
            command: OPEN_LOCATION,
            title: vscode.l10n.t('Open Patch'),
            arguments: [uri, p.line - 1, 0],
          };
        return item;
      }
      case 'group': {
        const labels: Record<Group, string> = {
          introduced: vscode.l10n.t('Introduced'),
          fixed: vscode.l10n.t('Fixed'),
          remaining: vscode.l10n.t('Remaining in touched functions'),
        };
        const item = new vscode.TreeItem(
          `${labels[node.group]} (${node.p[node.group].length})`,
          node.group === 'remaining'
            ? vscode.TreeItemCollapsibleState.Collapsed
            : vscode.TreeItemCollapsibleState.Expanded,
        );
        item.iconPath = new vscode.ThemeIcon(
          node.group === 'introduced' ? 'diff-added' : node.group === 'fixed' ? 'check' : 'history',
        );
        return item;
      }
      case 'finding': {
        const { f } = node;
        const item = new vscode.TreeItem(
          plainLabel(`${f.finding.ruleId}: ${f.finding.function}()`),
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.description = plainLabel(`${f.file}:${f.finding.line}`);
        const md = new vscode.MarkdownString(
          `${escapeMd(f.finding.message)}\n\n[${escapeMd(f.finding.ruleId)}](<${encodeURI(ruleDocUrl(f.finding.ruleId))}>)`,
        );
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon(
          node.group === 'fixed'
            ? 'pass'
            : f.finding.severity === 'error'
              ? 'error'
              : f.finding.severity === 'warning'
                ? 'warning'
                : 'info',
        );
        item.contextValue = `vfsLockReview.finding.${node.group}`;
        const patch = t.patchUri(node.p.source);
        const src = t.sourceUri(node.p.index, f.side, f.file);
        if (patch && f.patchLine !== undefined)
          item.command = {
            command: OPEN_LOCATION,
            title: vscode.l10n.t('Open Patch Line'),
            arguments: [patch, f.patchLine - 1, f.exact ? f.finding.column : 0],
          };
        else if (src)
          item.command = {
            command: OPEN_LOCATION,
            title: vscode.l10n.t('Open Source'),
            arguments: [src, f.finding.line - 1, f.finding.column - 1],
          };
        return item;
      }
      case 'link': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.command = { command: OPEN_LOCATION, title: node.label, arguments: [node.uri, node.line, node.column] };
        return item;
      }
      case 'text': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
    }
  }
}
