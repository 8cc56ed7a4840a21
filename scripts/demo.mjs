// `npm start`: runs vfslock on the demo files in examples/ and prints what it finds.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
console.log('vfslock check examples/   (small kernel-style files written for this project; see examples/README.md)\n');
const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'check', ...process.argv.slice(2), 'examples/'], { cwd: root, stdio: 'inherit' });
// Exit status 1 means "findings at error severity", which is the point of the buggy examples.
if (r.status === 1) console.log('\nExit status 1: error-severity findings (expected: most examples are buggy on purpose).');
process.exit(r.status === 0 || r.status === 1 ? 0 : r.status ?? 2);
