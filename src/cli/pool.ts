/** Checks files on N worker threads (each with its own parser and analyzer); results come back in input order. */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOptions, FileResult } from '../core/engine';
import type { Outcome } from './files';
import type { CatalogueData } from '../core/catalogue/catalogue';

function workerScript(): string | null {
  const p = join(__dirname, 'check-worker.js');
  return existsSync(p) ? p : null;
}

export async function checkInPool(files: string[], jobs: number, options: CheckOptions, catalogues: CatalogueData[], withFixes = false): Promise<Outcome[]> {
  const script = workerScript();
  if (!script) throw new Error('worker script not found next to the CLI (rebuild with npm run build)');
  const out: Outcome[] = new Array(files.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(jobs, files.length)) }, () =>
    new Worker(script, { workerData: { options, catalogues, bundleDir: __dirname, withFixes } }));
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    const feed = () => {
      if (next >= files.length) {
        w.postMessage(null);
        return;
      }
      const index = next++;
      w.postMessage({ index, file: files[index] });
    };
    w.on('message', (m: { ready?: boolean; fatal?: string; index?: number; result?: FileResult; error?: string }) => {
      if (m.fatal) {
        reject(new Error(m.fatal));
        return;
      }
      if (m.index !== undefined) out[m.index] = m.result ? { result: m.result } : { error: m.error ?? 'unknown error' };
      feed();
    });
    w.on('error', reject);
    w.on('exit', () => resolve());
  })));
  return out;
}
