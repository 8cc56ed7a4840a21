/**
 * The analyzer never throws and always terminates: arbitrary token soup, randomly mutated kernel files (in memory,
 * from ../shared/kernel-corpus), and pathological nesting all produce a result (possibly with an error entry or an
 * analysis/truncated note), never an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';

const TOKENS = ['{', '}', '(', ')', ';', ',', '*', '&', '->', '.', '=', '==', '!', '&&', '||', 'if', 'else', 'goto', 'out', 'out:', 'return',
  'while', 'for', 'do', 'switch', 'case 1:', 'default:', 'break', 'continue', 'int', 'struct inode', 'inode', 'dentry', 'error', 'NULL', '0', '1',
  'inode_lock', 'inode_unlock', 'try_break_deleg', 'break_deleg_wait', 'break_lease', 'O_NONBLOCK', 'vfs_unlink', 'notify_change', '->i_op',
  '->unlink', '->setattr', 'lock_two_nondirectories', 'start_dirop', 'end_dirop', 'delegated_inode', '&delegated_inode', 'is_delegated',
  'SYSCALL_DEFINE2', 'list_for_each_entry', 'scoped_guard', 'guard', 'spinlock', 'ERR_PTR', 'IS_ERR', 'd_inode', 'f', '#ifdef X', '#else', '#endif',
  '"str"', '/* c */', '\n', ' '];

test('token soup: check() returns a result for any token sequence', async () => {
  const analyzer = await sharedAnalyzer();
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 300 }), (toks) => {
      const text = 'int f(struct inode *inode, struct dentry *dentry, struct inode **di)\n{\n' + toks.join(' ') + '\n}\n' + toks.slice(0, 40).join(' ');
      const r = analyzer.check('soup.c', text);
      assert.ok(Array.isArray(r.findings));
    }),
    { numRuns: 400 },
  );
});

test('randomly mutated kernel files: check() returns a result', { skip: !corpusAvailable() }, async () => {
  const analyzer = await sharedAnalyzer();
  const sources = ['v3.13/fs/namei.c', 'v6.19/fs/attr.c', 'v7.1.5/fs/locks.c', 'v6.12/fs/open.c'].map((f) => corpusFile(f).split('\n'));
  fc.assert(
    fc.property(fc.nat({ max: sources.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.nat({ max: 40 })), { minLength: 1, maxLength: 25 }), (which, ops) => {
      const lines = [...sources[which]];
      for (const [at, kind, n] of ops) {
        const i = at % lines.length;
        if (kind === 0) lines.splice(i, Math.min(n, 5));
        else if (kind === 1) lines.splice(i, 0, ...lines.slice((i + n) % lines.length, ((i + n) % lines.length) + 3));
        else if (kind === 2) lines[i] = lines[i].slice(0, n % (lines[i].length + 1));
        else lines.splice(i, 0, '}'.repeat(n % 3) + '{'.repeat((n >> 2) % 2));
      }
      const r = analyzer.check('mutated.c', lines.join('\n'));
      assert.ok(r.error === undefined || typeof r.error === 'string');
    }),
    { numRuns: 25 },
  );
});
