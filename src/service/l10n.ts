/**
 * User-visible strings of the pure modules. English templates with {0}-style placeholders, the same keys
 * `vscode.l10n.t` takes: the extension installs it with `setTranslator(vscode.l10n.t)`; tests keep the default.
 */
export type Translator = (template: string, ...args: (string | number)[]) => string;

const format: Translator = (t, ...args) => t.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));

let current: Translator = format;

export function setTranslator(t: Translator): void {
  current = t;
}

export function t(template: string, ...args: (string | number)[]): string {
  return current(template, ...args);
}
