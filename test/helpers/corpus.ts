/** Locating ../shared/kernel-corpus (read in place, never copied) and a shared analyzer for tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Analyzer } from '../../src/core/engine';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';

export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
export const CORPUS = process.env.VFSLOCK_CORPUS ?? resolve(PROJECT_ROOT, '..', 'shared', 'kernel-corpus');

export function corpusAvailable(): boolean {
  return existsSync(join(CORPUS, 'expectations.json'));
}

export function corpusFile(rel: string): string {
  return readFileSync(join(CORPUS, rel), 'utf8');
}

let analyzer: Promise<Analyzer> | null = null;
export function sharedAnalyzer(): Promise<Analyzer> {
  if (!analyzer) analyzer = Analyzer.create(nodeWasmSource());
  return analyzer;
}

export interface ExpectationRun {
  files: string[];
  mustFlag: [string, string][];
  mustBeClean: string[];
  kernel?: string;
  note?: string;
}

export function expectations(): ExpectationRun[] {
  return JSON.parse(readFileSync(join(CORPUS, 'expectations.json'), 'utf8')).runs;
}
