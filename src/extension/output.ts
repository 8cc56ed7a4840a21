/** The "VFS Lock Review" output channel: what ran, on what, and how long it took. */
import * as vscode from 'vscode';

export interface Log {
  readonly channel: vscode.LogOutputChannel;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export function ms(x: number): string {
  return x < 10 ? x.toFixed(1) : Math.round(x).toString();
}

export function activate(ctx: vscode.ExtensionContext): Log {
  const channel = vscode.window.createOutputChannel('VFS Lock Review', { log: true });
  ctx.subscriptions.push(channel);
  return {
    channel,
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    debug: (m) => channel.debug(m),
  };
}
