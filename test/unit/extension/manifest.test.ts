/**
 * The extension manifest and package: activation without `*`, engines matching @types/vscode, every contributed
 * string localised, every referenced file present, the .vsix allow-list holding what the code loads, diagnostics
 * linking to rule pages that exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../helpers/corpus';
import { RULES, ruleDocPath } from '../../../src/core/rules/rules';
import { diagnosticData, isRaceRule } from '../../../src/service/diagnostics';
import { SILENCING_KEYS } from '../../../src/service/settings';
import { LineMap } from '../../../src/service/lines';
import { Glob } from '../../../src/core/glob';
import type { LocatedFinding } from '../../../src/core/engine';

const root = PROJECT_ROOT;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;

test('activates on C files, its languages and commands only (no "*", no onStartupFinished)', () => {
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  assert.ok(pkg.activationEvents.includes('onLanguage:c'));
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.browser, './dist/web/extension.js');
  assert.deepEqual(pkg.capabilities, {
    untrustedWorkspaces: {
      supported: 'limited',
      description: '%capabilities.untrusted%',
      restrictedConfigurations: [
        'vfsLockReview.enable',
        'vfsLockReview.severity',
        'vfsLockReview.rulesFile',
        'vfsLockReview.patchReview.baseTree',
        'vfsLockReview.include',
        'vfsLockReview.exclude',
      ],
    },
    virtualWorkspaces: true,
  });
});

test('Restricted Mode: every setting that names a file or directory, selects files or silences findings is restricted', () => {
  // VS Code withholds a workspace's values of these settings until it is trusted (only with supported: "limited").
  const restricted = new Set(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations as string[]);
  const props = pkg.contributes.configuration.properties as Record<string, { type: string; items?: { type: string } }>;
  for (const id of restricted) assert.ok(props[id], `${id} is a contributed setting`);
  const pathLike = Object.keys(props).filter((id) => /rulesFile|baseTree|include|exclude|path|dir|tree/i.test(id));
  assert.deepEqual(
    pathLike.filter((id) => !restricted.has(id)),
    [],
  );
  // And every setting that can turn findings off: a repository must not silence the reviewer's tool.
  for (const key of SILENCING_KEYS) assert.ok(restricted.has(`vfsLockReview.${key}`), key);
  assert.match(nls['capabilities.untrusted'], /ignored/);
});

test('engines.vscode is what @types/vscode was built for, and code-server 4.139 (VS Code 1.139) satisfies it', () => {
  const types = pkg.devDependencies['@types/vscode'] as string;
  const [maj, min] = types.split('.').map(Number);
  assert.equal(pkg.engines.vscode, `^${maj}.${min}.0`);
  assert.ok(min <= 139);
});

test('every %key% of the manifest is in package.nls.json, and every nls key is used', () => {
  const used = new Set([...JSON.stringify(pkg).matchAll(/%([\w.]+)%/g)].map((m) => m[1]));
  for (const k of used) assert.ok(k in nls, `package.nls.json lacks ${k}`);
  for (const k of Object.keys(nls)) assert.ok(used.has(k), `package.nls.json has unused ${k}`);
});

test('commands carry the "VFS Lock Review" category; titles match the issue', () => {
  const titles = Object.fromEntries(
    pkg.contributes.commands.map((c: { command: string; title: string; category: string }) => {
      assert.equal(c.category, 'VFS Lock Review');
      return [c.command, nls[c.title.slice(1, -1)]];
    }),
  );
  assert.equal(titles['vfsLockReview.checkFile'], 'Check Current File');
  assert.equal(titles['vfsLockReview.checkWorkspace'], 'Check Workspace');
  assert.equal(titles['vfsLockReview.showLockState'], 'Show Lock State at Cursor');
  assert.equal(titles['vfsLockReview.openRuleDoc'], 'Open Rule Documentation');
  assert.equal(titles['vfsLockReview.simulateRace'], 'Simulate Race…');
  assert.equal(titles['vfsLockReview.inodeCacheCost'], 'Inode Cache Cost of a Field…');
  assert.equal(titles['vfsLockReview.reviewPatchSeries'], 'Review Patch Series…');
  assert.equal(titles['vfsLockReview.reviewWorkingTree'], 'Review Working Tree Changes');
});

test('severity settings list every rule; defaults match the settings module', () => {
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props['vfsLockReview.severity'].properties).sort(), RULES.map((r) => r.id).sort());
  assert.equal(props['vfsLockReview.debounceMs'].default, 250);
  assert.deepEqual(props['vfsLockReview.include'].default, ['**/*.c', '**/*.h']);
});

test('files the manifest references exist', () => {
  for (const f of [
    pkg.icon,
    'media/activitybar.svg',
    ...pkg.contributes.grammars.map((g: { path: string }) => g.path),
    ...pkg.contributes.languages
      .filter((l: { configuration?: string }) => l.configuration)
      .map((l: { configuration: string }) => l.configuration),
    'LICENSE',
    'CHANGELOG.md',
    'docs/extension.md',
  ]) {
    assert.ok(existsSync(join(root, f)), f);
  }
  for (const r of RULES) assert.ok(existsSync(join(root, ruleDocPath(r.id))), ruleDocPath(r.id));
});

test('the .vsix allow-list keeps the bundles, both wasm files and the rule pages, and nothing else of the repository', () => {
  const lines = readFileSync(join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**');
  const allow = lines.filter((l) => l.startsWith('!')).map((l) => Glob.compile(l.slice(1)));
  const kept = (p: string) => allow.some((g) => g.matches(p));
  for (const p of [
    'dist/extension.js',
    'dist/worker.js',
    'dist/web/extension.js',
    'dist/web-tree-sitter.wasm',
    'dist/tree-sitter-c.wasm',
    'dist/web-tree-sitter.cjs',
    'docs/rules/deleg-missing-break.md',
    'media/icon.png',
    'package.nls.json',
    'l10n/bundle.l10n.json',
  ])
    assert.ok(kept(p), p);
  for (const p of [
    'src/extension/extension.ts',
    'dist/extension.js.map',
    'dist/cli.js',
    'test/unit/x.test.ts',
    'node_modules/a/b.js',
    'examples/missing_break.c',
    '.e2e/x',
    'media/screenshots/hover.png',
  ])
    assert.ok(!kept(p), p);
});

test('the l10n bundle lists every string the extension localises', () => {
  const bundle = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.json'), 'utf8')) as Record<string, string>;
  const files: string[] = [];
  const walk = (d: string) =>
    readdirSync(d).forEach((e) =>
      statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : e.endsWith('.ts') && files.push(join(d, e)),
    );
  walk(join(root, 'src/extension'));
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bl10n\.t|\bt|\bl10nTitle)\(\s*'((?:[^'\\]|\\.)*)'/g)) {
      const s = m[1].replace(/\\'/g, "'");
      assert.ok(s in bundle, `${f}: "${s}" missing from l10n/bundle.l10n.json (run node scripts/l10n.mjs)`);
    }
  }
});

test('diagnostic data: spans from UTF-16 offsets, the rule page, related locations', () => {
  const text = 'int é(void)\n{\n\tinode_lock(i);\n\tchange(i);\n}\n';
  const f = {
    ruleId: 'deleg/missing-break',
    severity: 'error',
    start: text.indexOf('change'),
    end: text.indexOf('change') + 9,
    function: 'é',
    inode: 'i',
    message: 'é: change',
    related: [],
    line: 4,
    column: 2,
    endLine: 4,
    endColumn: 11,
    relatedLocated: [
      {
        line: 3,
        column: 2,
        start: text.indexOf('inode_lock'),
        end: text.indexOf('inode_lock') + 13,
        message: 'i locked here (inode_lock)',
      },
    ],
  } as unknown as LocatedFinding;
  const d = diagnosticData(f, new LineMap(text));
  assert.deepEqual(d.span, { start: { line: 3, character: 1 }, end: { line: 3, character: 10 } });
  assert.equal(
    d.docUrl,
    'https://github.com/vfs-lock-review/vfs-lock-review/blob/main/docs/rules/deleg-missing-break.md',
  );
  assert.deepEqual(d.related, [
    {
      span: { start: { line: 2, character: 1 }, end: { line: 2, character: 14 } },
      message: 'i locked here (inode_lock)',
    },
  ]);
  assert.ok(
    isRaceRule('deleg/missing-break') && isRaceRule('lease/open-missing-break') && !isRaceRule('lock/imbalance'),
  );
});
