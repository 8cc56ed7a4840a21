/**
 * The race-simulation webview's page and options as the host creates them, without `vscode` (resources are
 * named by path segments under the extension root; panel.ts turns them into webview URIs). Unit-tested in
 * test/unit/extension/webview-csp.test.ts.
 */
import { makeNonce, simulationHtml } from '../../webview/html';

/** The only folders the webview may load from (localResourceRoots), relative to the extension root. */
export const SIMULATION_RESOURCE_ROOTS: readonly (readonly string[])[] = [['dist', 'webview'], ['media']];
export const SIMULATION_SCRIPT: readonly string[] = ['dist', 'webview', 'main.js'];
export const SIMULATION_STYLE: readonly string[] = ['media', 'simulation.css'];

/** vscode.WebviewOptions & WebviewPanelOptions, with the resource roots as path segments. */
export interface SimulationWebviewOptions {
  enableScripts: true;
  /** `command:` links in the page would run commands: off. */
  enableCommandUris: false;
  /** Forms (on by default when scripts are): off. */
  enableForms: false;
  localResourceRoots: readonly (readonly string[])[];
}

export function simulationWebviewOptions(): SimulationWebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    enableForms: false,
    localResourceRoots: SIMULATION_RESOURCE_ROOTS,
  };
}

export interface WebviewTarget {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(Uri.joinPath(extensionUri, ...segments)).toString()`. */
  resourceUri(segments: readonly string[]): string;
}

/** The page for one render: a fresh nonce every time (never reused across renders or panels). */
export function renderSimulationPage(w: WebviewTarget): { html: string; nonce: string } {
  const nonce = makeNonce();
  const html = simulationHtml({
    cspSource: w.cspSource,
    nonce,
    scriptUri: w.resourceUri(SIMULATION_SCRIPT),
    styleUri: w.resourceUri(SIMULATION_STYLE),
  });
  return { html, nonce };
}
