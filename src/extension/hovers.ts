/** Hover on a lock, break, wait or change call: what it does, the locks held just before it and where each was taken. */
import * as vscode from 'vscode';
import type { DocumentsService } from './diagnostics';
import { hoverMarkdown } from '../service/hover';
import { C_SELECTOR } from './selector';

export function activate(ctx: vscode.ExtensionContext, documents: DocumentsService): void {
  ctx.subscriptions.push(
    vscode.languages.registerHoverProvider(C_SELECTOR, {
      async provideHover(doc, pos, token) {
        if (!documents.isTracked(doc.uri)) return undefined;
        const word = doc.getWordRangeAtPosition(pos);
        if (!word) return undefined;
        const events = await documents.eventsAt(doc, doc.offsetAt(pos));
        if (token.isCancellationRequested || !events.length) return undefined;
        // Only over the called function's name, not its arguments (those have hovers of their own).
        const text = hoverMarkdown(events, doc.getText(word), doc.offsetAt(word.start));
        if (text === null) return undefined;
        const md = new vscode.MarkdownString(text);
        md.supportThemeIcons = true;
        return new vscode.Hover(md, word);
      },
    }),
  );
}
