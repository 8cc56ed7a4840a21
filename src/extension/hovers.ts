/** Hover on a lock, break, wait or change call: what it does, the locks held just before it and where each was taken. */
import * as vscode from 'vscode';
import type { DocumentsService } from './diagnostics';
import { callEvents, eventMarkdown } from './pure/hover';
import { C_SELECTOR } from './selector';

export function activate(ctx: vscode.ExtensionContext, documents: DocumentsService): void {
  ctx.subscriptions.push(vscode.languages.registerHoverProvider(C_SELECTOR, {
    async provideHover(doc, pos, token) {
      if (!documents.isTracked(doc.uri)) return undefined;
      const word = doc.getWordRangeAtPosition(pos);
      if (!word) return undefined;
      const events = await documents.eventsAt(doc, doc.offsetAt(pos));
      if (token.isCancellationRequested || !events.length) return undefined;
      // Only over the called function's name, not its arguments (those have hovers of their own).
      const name = doc.getText(word);
      const hit = events.find((x) => name === x.api || (doc.offsetAt(word.start) >= x.start && name === lastName(x.api)));
      if (!hit) return undefined;
      const [e, ...also] = callEvents(events.filter((x) => x.start === hit.start && x.end === hit.end));
      const md = new vscode.MarkdownString(eventMarkdown(e, also));
      md.supportThemeIcons = true;
      return new vscode.Hover(md, word);
    },
  }));
}

/** `->setattr` style method names: the identifier after the last arrow. */
function lastName(api: string): string {
  const m = /([A-Za-z_]\w*)\s*$/.exec(api);
  return m ? m[1] : api;
}
