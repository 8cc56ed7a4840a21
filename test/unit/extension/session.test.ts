/** The analysis session the worker and the browser host run (src/service/session.ts + protocol.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PROJECT_ROOT, sharedAnalyzer } from '../../helpers/corpus';
import { Session } from '../../../src/service/session';
import { dispatch } from '../../../src/service/protocol';
import { toCoreEdits } from '../../../src/service/lines';

const example = (name: string) => readFileSync(join(PROJECT_ROOT, 'examples', name), 'utf8');
const summary = (fs: { ruleId: string; start: number; end: number; function: string }[]) =>
  fs.map((f) => `${f.ruleId}@${f.function}:${f.start}-${f.end}`);

test('open, edit, result: answers carry the version they were computed on', async () => {
  const s = new Session(await sharedAnalyzer());
  const text = example('correct_unlink.c');
  dispatch(s, 'open', { uri: 'u', file: 'correct_unlink.c', text, version: 1, options: {}, catalogue: '' });
  const r1 = dispatch(s, 'result', { uri: 'u' })!;
  assert.equal(r1.version, 1);
  assert.deepEqual(r1.result.findings, []);
  const at = text.indexOf('try_break_deleg(target');
  assert.equal(
    dispatch(s, 'edit', { uri: 'u', version: 2, edits: toCoreEdits([{ rangeOffset: at, rangeLength: 0, text: 'x' }]) }),
    true,
  );
  const r2 = dispatch(s, 'result', { uri: 'u' })!;
  assert.equal(r2.version, 2);
  assert.deepEqual(
    r2.result.findings.map((f) => f.ruleId),
    ['deleg/missing-break'],
  );
  assert.equal(
    dispatch(s, 'edit', { uri: 'u', version: 3, edits: [{ start: 1e6, oldEnd: 1e6 + 1, newText: '' }] }),
    false,
    'out of step: the host must send the text',
  );
  assert.equal(s.text('u'), text.slice(0, at) + 'x' + text.slice(at));
  assert.equal(dispatch(s, 'replace', { uri: 'u', version: 4, text }), true);
  assert.deepEqual(dispatch(s, 'result', { uri: 'u' })!.result.findings, []);
  assert.equal(dispatch(s, 'result', { uri: 'nope' }), null);
  s.dispose();
});

test('options and catalogues re-check the open document', async () => {
  const s = new Session(await sharedAnalyzer());
  s.open({ uri: 'u', file: 'a.c', text: example('correct_unlink.c'), version: 1, options: {}, catalogue: '' });
  assert.deepEqual(s.result('u')!.result.findings, []);
  s.setOptions('u', { kernel: '6.19' }, '');
  assert.deepEqual(
    s.result('u')!.result.findings.map((f) => f.ruleId),
    ['deleg/dir-missing-break'],
  );
  const myfs =
    'int f(struct inode *inode)\n{\n\tinode_lock(inode);\n\tmyfs_relabel(inode);\n\tinode_unlock(inode);\n\treturn 0;\n}\n';
  s.open({ uri: 'm', file: 'm.c', text: myfs, version: 1, options: {}, catalogue: 'k' });
  assert.deepEqual(s.result('m')!.result.findings, []);
  s.configure('k', [
    {
      version: 1,
      mutators: [
        {
          name: 'myfs_relabel',
          variants: [{ params: ['inode'] }],
          effects: [{ op: 'mutate', target: 'inode', kind: 'attrs', what: 'relabels' }],
        },
      ],
    },
  ]);
  assert.deepEqual(
    s.result('m')!.result.findings.map((f) => f.ruleId),
    ['deleg/missing-break'],
  );
  s.dispose();
});

test('eventsAt through the session: locks held before a call and where taken', async () => {
  const s = new Session(await sharedAnalyzer());
  const text = example('no_retry.c');
  s.open({ uri: 'u', file: 'a.c', text, version: 7, options: {}, catalogue: '' });
  const r = s.eventsAt('u', text.indexOf('notify_change') + 3)!;
  assert.equal(r.version, 7);
  assert.equal(r.events[0].api, 'notify_change');
  assert.deepEqual(
    r.events[0].always.map((l) => [l.display, l.api, l.line, l.origin]),
    [['inode', 'inode_lock', 11, 'local']],
  );
  s.dispose();
});

test('a fix probe leaves the open document exactly as it was', async () => {
  const s = new Session(await sharedAnalyzer());
  const text = example('missing_break.c');
  s.open({ uri: 'u', file: 'a.c', text, version: 1, options: {}, catalogue: '' });
  const before = summary(s.result('u')!.result.findings);
  const f = s.result('u')!.result.findings[0];
  assert.equal(s.fixes('u', { ruleId: f.ruleId, start: f.start, end: f.end })!.fixes.length, 1);
  assert.equal(s.text('u'), text);
  assert.deepEqual(summary(s.result('u')!.result.findings), before);
  s.dispose();
});

test('property: editor changes through the session give what the core document gives for the same edits', async () => {
  const a = await sharedAnalyzer();
  const base = example('correct_unlink.c') + '\n' + example('no_retry.c').replace(/#include.*\n/, '');
  const snippets = [
    'x',
    '',
    '\n',
    'inode_unlock(target);',
    'é',
    'try_break_deleg(target, NULL);',
    ';',
    'if (error)\n\t\treturn error;\n',
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.nat(12), fc.constantFrom(...snippets)), { minLength: 1, maxLength: 6 }),
      async (steps) => {
        const s = new Session(a);
        s.open({ uri: 'u', file: 'a.c', text: base, version: 1, options: {}, catalogue: '' });
        const doc = a.open('a.c', base);
        let text = base;
        let v = 1;
        // Edits inside one function body, as typing there makes them. (Whether incremental equals a fresh check is the
        // core's own property test.)
        const bodyStart = base.indexOf('{', base.indexOf('int example_unlinkat(')) + 2;
        for (const [pos, len, ins] of steps) {
          const bodyEnd = text.indexOf('\n}\n', bodyStart);
          const start = bodyStart + (pos % (bodyEnd - bodyStart));
          const end = Math.min(bodyEnd, start + len);
          text = text.slice(0, start) + ins + text.slice(end);
          assert.equal(
            s.edit('u', ++v, toCoreEdits([{ rangeOffset: start, rangeLength: end - start, text: ins }])),
            true,
          );
          doc.edit(start, end, ins);
          assert.deepEqual(summary(s.result('u')!.result.findings), summary(doc.result().findings));
        }
        assert.equal(s.text('u'), text);
        assert.equal(s.version('u'), v);
        doc.dispose();
        s.dispose();
      },
    ),
    { numRuns: 40 },
  );
});
