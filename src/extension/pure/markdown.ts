/**
 * Untrusted text (patch subjects and file names from a mail, function names and messages from kernel code) in
 * VS Code's plain labels and Markdown tooltips. No `vscode` import; tested in test/unit/extension/markdown.test.ts.
 */
import { visibleControls } from '../../webview/text';

/**
 * For a tree label, description or plain tooltip: one line, with bidi and other control characters shown as
 * `<U+XXXX>` (a label has no markup to isolate them with).
 */
export function plainLabel(s: string): string {
  return visibleControls(s.replace(/\r\n|[\r\n\u2028\u2029]/g, ' '), true);
}

/**
 * For a MarkdownString: the text renders literally. Every ASCII punctuation character is backslash-escaped (so
 * no emphasis, link, autolink, HTML, entity — `&lt;b&gt;` stays those eight characters — heading or list), line
 * breaks become spaces, controls become visible. The MarkdownStrings built from it are untrusted (no command
 * links) and without HTML support anyway.
 */
export function escapeMarkdown(s: string): string {
  return plainLabel(s).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}
