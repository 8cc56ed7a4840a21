/**
 * The host's check of messages from the race-simulation webview (src/extension/pure/webview-messages.ts): a forged
 * message cannot open a file that is not a location of the trace the host sent, cannot open `command:` /
 * `javascript:` / `vscode:` / web URIs or climb out with `..`, cannot run anything, and cannot write anything but
 * a plain .txt or the SVG printer's own markup. Pure: no vscode.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkWebviewMessage,
  isSafeSvgExport,
  traceLocations,
  MAX_EXPORT_CHARS,
  MAX_LINE,
  type MessageContext,
} from '../../../src/extension/pure/webview-messages';
import { simulateBuiltin } from '../../../src/sim/simulate';
import { BUILTINS } from '../../../src/sim/builtins';
import { traceToLockdep, traceToSvg } from '../../../src/sim/export';
import { exportTrace } from '../../../src/webview/export';
import type { SimulationResult } from '../../../src/sim/run';

function builtin(name: string): SimulationResult {
  const o = simulateBuiltin(name);
  if ('error' in o) throw new Error(o.error);
  return o.result;
}

const ctx = (entries: Record<string, number[]>, extra: Partial<MessageContext> = {}): MessageContext => ({
  locations: new Map(Object.entries(entries).map(([f, lines]) => [f, new Set(lines)])),
  ...extra,
});
const TRACE = ctx({ '/ws/src/demo.c': [120, 133], 'builtin:rename-vs-grant-pre313': [9, 14] });
const reveal = (file: unknown, line: unknown = 120, column?: unknown) => ({
  type: 'reveal',
  file,
  line,
  ...(column === undefined ? {} : { column }),
});

function refused(m: unknown, c: MessageContext = TRACE, reason?: RegExp): void {
  const r = checkWebviewMessage(m, c);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(m)}`);
  if (reason) assert.match((r as { reason: string }).reason, reason);
}

function accepted(m: unknown, c: MessageContext = TRACE) {
  const r = checkWebviewMessage(m, c);
  assert.ok(r.ok, `refused ${JSON.stringify(m)}: ${(r as { reason?: string }).reason}`);
  return r.message;
}

describe('malformed messages', () => {
  test('not a plain object', () => {
    for (const m of [
      null,
      undefined,
      0,
      42,
      '',
      'ready',
      true,
      [],
      [{ type: 'ready' }],
      () => 0,
      new Date(),
      Object.create(null),
      new (class {
        type = 'ready';
      })(),
    ])
      refused(m);
  });
  test('unknown or missing type', () => {
    for (const type of [
      undefined,
      null,
      '',
      'REVEAL',
      'Ready',
      'eval',
      'command',
      'executeCommand',
      'openExternal',
      'open',
      'save',
      '__proto__',
      'constructor',
      1,
      ['ready'],
      { toString: () => 'ready' },
    ]) {
      refused(
        { type, file: '/ws/src/demo.c', line: 120, command: 'workbench.action.terminal.new' },
        TRACE,
        /unknown message type/,
      );
    }
  });
  test('extra keys are refused, undefined ones ignored', () => {
    refused({ type: 'ready', command: 'x' }, TRACE, /unexpected keys command/);
    refused(
      { ...reveal('/ws/src/demo.c'), uri: 'command:workbench.action.terminal.new' },
      TRACE,
      /unexpected keys uri/,
    );
    refused({ ...reveal('/ws/src/demo.c'), __proto__: { line: 1 }, args: [] }, TRACE);
    accepted({ type: 'ready', extra: undefined });
    accepted({ ...reveal('/ws/src/demo.c'), column: undefined });
  });
  test('a prototype-polluting key is just an extra key', () => {
    refused(JSON.parse('{"type":"reveal","file":"/ws/src/demo.c","line":120,"__proto__":{"ok":true}}'));
    assert.equal(({} as { ok?: boolean }).ok, undefined);
  });
});

describe('reveal: types and ranges', () => {
  test('file must be a non-empty string', () => {
    for (const f of [undefined, null, 42, '', ['/ws/src/demo.c'], { path: '/ws/src/demo.c' }, 'x'.repeat(5000)])
      refused(reveal(f));
  });
  test('line and column must be integers in range', () => {
    for (const line of [0, -1, 1.5, NaN, Infinity, -Infinity, '120', null, undefined, MAX_LINE + 1, 2 ** 53, [120]])
      refused({ type: 'reveal', file: '/ws/src/demo.c', line }, TRACE, /line out of range/);
    for (const column of [0, -3, 2.5, NaN, '1', null, 100_001])
      refused(reveal('/ws/src/demo.c', 120, column), TRACE, /column out of range/);
    const m = accepted(reveal('/ws/src/demo.c', 133, 7));
    assert.deepEqual(m, { type: 'reveal', target: { kind: 'path', path: '/ws/src/demo.c', line: 133, column: 7 } });
    assert.deepEqual(accepted(reveal('/ws/src/demo.c')), {
      type: 'reveal',
      target: { kind: 'path', path: '/ws/src/demo.c', line: 120, column: 1 },
    });
  });
  test("a line of the trace's file that no step is on is refused", () => {
    refused(reveal('/ws/src/demo.c', 1), TRACE, /not a location of the current trace/);
    refused(reveal('/ws/src/demo.c', 121), TRACE, /not a location/);
  });
});

describe('reveal: only locations of the current trace', () => {
  test('files that are not in the trace', () => {
    for (const f of [
      '/etc/passwd',
      'file:///etc/passwd',
      'file:///ws/src/demo.c',
      '/ws/src/demo.c ',
      '/ws/src/../src/demo.c',
      '/WS/src/demo.c',
      '~/.ssh/id_rsa',
      'command:workbench.action.terminal.new',
      'command:vfsLockReview.setRuleSeverity?%5B%5D',
      'vscode://vscode.git/clone?url=x',
      'https://example.com/x.c',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'builtin:rename-vs-grant-313',
      'untitled:Untitled-1',
    ]) {
      refused(reveal(f), TRACE, /not a location of the current trace/);
    }
  });
  test('before anything is shown (or after a restore without a saved trace) nothing can be revealed', () => {
    refused(reveal('/ws/src/demo.c'), ctx({}));
    refused(reveal('builtin:rename-vs-grant-pre313', 9), ctx({}));
  });
  test('even a location of the trace is refused when it is not something the editor should open', () => {
    // A trace is built from the user's files, but the check does not rely on that.
    const hostile = [
      'command:workbench.action.terminal.new',
      'COMMAND:x',
      'javascript:alert(1)//',
      'vscode://ms-vscode.remote/x',
      'vscode-webview://x/index.html',
      'https://evil.example/a.c',
      'http://127.0.0.1:1/a.c',
      'data:text/x-c,int x;',
      'git:/ws/a.c',
      'vfslock-patched:/1/1/after/a.c',
      'file:/etc/passwd',
      'src/demo.c',
      './a.c',
      '../a.c',
      'C:relative.c',
      '/ws/../etc/passwd',
      '/ws/./a.c',
      'C:\\ws\\..\\Windows\\win.ini',
      'file:///ws/%2e%2e/etc/passwd',
      'file:///ws/%E0%A4%A',
      'vscode-vfs://github/o/r/%2E%2E/x.c',
      '/ws/a.c\u0000.txt',
      '/ws/a\n.c',
      'builtin:no-such-scenario',
      'builtin:',
      'builtin:../../x',
    ];
    for (const f of hostile) refused(reveal(f, 3), ctx({ [f]: [3] }));
    refused(reveal('command:x', 3), ctx({ 'command:x': [3] }), /scheme command: is not allowed/);
    refused(reveal('/ws/../etc/passwd', 3), ctx({ '/ws/../etc/passwd': [3] }), /\.\./);
    refused(reveal('src/demo.c', 3), ctx({ 'src/demo.c': [3] }), /relative path/);
  });
  test('what a real trace can hold is accepted, and classified', () => {
    const files = {
      '/ws/src/demo.c': { kind: 'path', path: '/ws/src/demo.c' },
      'C:\\proj\\src\\demo.c': { kind: 'path', path: 'C:\\proj\\src\\demo.c' },
      '\\\\server\\share\\demo.c': { kind: 'path', path: '\\\\server\\share\\demo.c' },
      'untitled:Untitled-1': { kind: 'uri', uri: 'untitled:Untitled-1' },
      'vscode-vfs://github/owner/repo/src/demo.c': { kind: 'uri', uri: 'vscode-vfs://github/owner/repo/src/demo.c' },
      'vscode-remote://ssh-remote%2Bhost/src/src/demo.c': {
        kind: 'uri',
        uri: 'vscode-remote://ssh-remote%2Bhost/src/src/demo.c',
      },
      'file:///ws/src/demo.c': { kind: 'uri', uri: 'file:///ws/src/demo.c' },
      'builtin:rename-vs-grant-pre313': { kind: 'builtin', name: 'rename-vs-grant-pre313' },
    };
    for (const [f, target] of Object.entries(files))
      assert.deepEqual(accepted(reveal(f, 3), ctx({ [f]: [3] })), {
        type: 'reveal',
        target: { ...target, line: 3, column: 1 },
      });
  });
  test('every step of every built-in is accepted as the webview posts it, and nothing else of the same file', () => {
    for (const b of BUILTINS) {
      if (b.kind !== 'race') continue;
      const r = builtin(b.name);
      const c = { locations: traceLocations(r) };
      for (const s of r.trace)
        if (s.file && s.line) accepted({ type: 'reveal', file: s.file, line: s.line, column: s.column }, c);
      refused(reveal(`builtin:${b.name}`, 10_000), c);
    }
  });
  test("locations include the program's instructions, which manual scheduling reaches", () => {
    const r = builtin('rename-vs-grant-313');
    const locs = traceLocations(r);
    const inTrace = new Set(r.trace.map((s) => s.line));
    const programOnly = r
      .program!.threads.flatMap((t) => t.instrs.map((i) => i.loc?.line))
      .filter((l): l is number => l !== undefined && !inTrace.has(l));
    assert.ok(programOnly.length > 0, 'some instruction is not on the example trace');
    for (const l of programOnly) assert.ok(locs.get('builtin:rename-vs-grant-313')!.has(l));
  });
  test("after a reload (trace from the page's saved state): also only inside a workspace folder", () => {
    const restored = (entries: Record<string, number[]>) =>
      ctx(entries, { workspaceRoots: ['/ws', 'file:///ws', 'C:\\src'] });
    accepted(reveal('/ws/src/demo.c', 3), restored({ '/ws/src/demo.c': [3] }));
    accepted(reveal('file:///ws/src/demo.c', 3), restored({ 'file:///ws/src/demo.c': [3] }));
    accepted(reveal('c:\\src\\demo.c', 3), restored({ 'c:\\src\\demo.c': [3] }));
    accepted(reveal('builtin:unlink-recall-retry', 3), restored({ 'builtin:unlink-recall-retry': [3] }));
    for (const f of [
      '/etc/passwd',
      '/wsx/a.c',
      '/ws',
      'file:///etc/passwd',
      'file:///wsx/a.c',
      'untitled:Untitled-1',
      'C:\\srcx\\a.c',
      'vscode-vfs://github/o/r/a.c',
    ]) {
      refused(reveal(f, 3), restored({ [f]: [3] }), /outside the workspace|not allowed|segments/);
    }
    // No workspace folder: nothing but built-ins.
    refused(
      reveal('/ws/src/demo.c', 3),
      ctx({ '/ws/src/demo.c': [3] }, { workspaceRoots: [] }),
      /outside the workspace/,
    );
  });
  test('traceLocations ignores what is not a location', () => {
    const r = builtin('rename-vs-grant-pre313');
    const odd = {
      ...r,
      trace: [
        ...r.trace,
        { ...r.trace[0], file: '', line: 3 },
        { ...r.trace[0], file: '/x.c', line: 0 },
        { ...r.trace[0], file: undefined, line: 5 },
      ],
    };
    const locs = traceLocations(odd);
    assert.deepEqual([...locs.keys()], ['builtin:rename-vs-grant-pre313']);
    assert.equal(traceLocations({ ...r, program: undefined, trace: [] }).size, 0);
  });
});

describe('export', () => {
  const r = builtin('blocking-break-stall');
  const svg = traceToSvg(r);
  const exp = (format: unknown, content: unknown, suggestedName: unknown) => ({
    type: 'export',
    format,
    content,
    suggestedName,
  });

  test('what the panel exports is accepted', () => {
    assert.deepEqual(accepted(exp('text', traceToLockdep(r), 'builtin-blocking-break-stall.txt')), {
      type: 'export',
      format: 'text',
      content: traceToLockdep(r),
      fileName: 'builtin-blocking-break-stall.txt',
    });
    accepted(exp('svg', svg, 'builtin-blocking-break-stall.svg'));
  });
  test('format, content and name are checked', () => {
    for (const f of ['pdf', 'html', 'SVG', '', undefined, 1]) refused(exp(f, 'x', 'a.txt'), TRACE, /unknown format/);
    for (const c of [undefined, null, 1, ['x'], { toString: () => 'x' }, 'x'.repeat(MAX_EXPORT_CHARS + 1)])
      refused(exp('text', c, 'a.txt'), TRACE, /content/);
    refused(exp('text', 'a\u0000b', 'a.txt'), TRACE, /NUL/);
    for (const n of [
      '../../.bashrc',
      '../x.txt',
      '/etc/cron.d/x.txt',
      'C:\\x.txt',
      'a/b.txt',
      'a\\b.txt',
      '.x.txt',
      '-rf.txt',
      'x.svg',
      'x.txt.sh',
      'x',
      '',
      'x .txt',
      `${'a'.repeat(120)}.txt`,
      'x.txt\n',
      'x\u202Etxt.exe',
      42,
      undefined,
    ]) {
      refused(exp('text', 'hello', n), TRACE, /suggestedName/);
    }
    refused(exp('svg', svg, 'trace.txt'), TRACE, /suggestedName/);
  });
  test("an SVG must be the printer's markup: no script, handler, link, foreign content, DTD or style", () => {
    const inject = (s: string) => svg.replace('</svg>', `${s}\n</svg>`);
    const hostile = [
      '<script>alert(1)</script>',
      '<script href="x.js"/>',
      '<rect onload="alert(1)"/>',
      '<rect width="1" onclick="x"/>',
      '<text x="1" ONLOAD="x">a</text>',
      '<foreignObject><div>x</div></foreignObject>',
      '<a href="javascript:alert(1)"><text>x</text></a>',
      '<use href="#x"/>',
      '<image href="https://e/x.png"/>',
      '<rect fill="url(javascript:alert(1))"/>',
      '<rect style="x"/>',
      '<style>*{}</style>',
      '<!-- x -->',
      '<![CDATA[ <script> ]]>',
      '<?xml-stylesheet href="x"?>',
      '<text>&xxe;</text>',
      '<text>a & b</text>',
      '<text>a > b</text>',
      '<text>&#x3C;script&#x3E;</text>',
      '<animate attributeName="href" to="javascript:x"/>',
      '<set attributeName="onload" to="x"/>',
      '<text>unclosed',
      '</text>',
      '<rect fill="#fff" fill2="x"/>',
      "<rect fill='x'/>",
      '<rect fill="a:b"/>',
      '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    ];
    for (const h of hostile) assert.equal(isSafeSvgExport(inject(h)), false, h);
    assert.equal(isSafeSvgExport('<!DOCTYPE svg [<!ENTITY x "y">]>' + svg), false);
    assert.equal(
      isSafeSvgExport(svg.replace('xmlns="http://www.w3.org/2000/svg"', 'xmlns="http://www.w3.org/1999/xhtml"')),
      false,
    );
    assert.equal(isSafeSvgExport(svg + '<script>alert(1)</script>'), false);
    assert.equal(isSafeSvgExport(svg + 'text after'), false);
    assert.equal(isSafeSvgExport(svg.replace('<text', '<text\u0001')), false);
    assert.equal(isSafeSvgExport(''), false);
    refused(exp('svg', inject('<script>alert(1)</script>'), 'x.svg'), TRACE, /not what the trace printer writes/);
  });
  test("every built-in's SVG passes, and so do hostile names once printed", () => {
    for (const b of BUILTINS) {
      if (b.kind !== 'race') continue;
      const res = builtin(b.name);
      for (const all of [false, true]) assert.equal(isSafeSvgExport(traceToSvg(res, all)), true, b.name);
    }
    const evil = JSON.parse(JSON.stringify(r)) as SimulationResult;
    const payload = '<script>alert(1)</script> "><img src=x onerror=alert(1)> &amp; \u202E\u2066 \u0001\u001b[31m';
    evil.title = payload;
    evil.message = payload;
    evil.trace = evil.trace.map((s) => ({ ...s, threadName: payload, detail: payload, file: payload }));
    evil.program = { ...evil.program!, threads: evil.program!.threads.map((t) => ({ ...t, name: payload })) };
    const out = exportTrace(evil, 'svg', true);
    assert.equal(isSafeSvgExport(out), true);
    assert.ok(
      out.includes('&lt;script&gt;alert(1)&lt;/script&gt;') &&
        out.includes('&lt;U+202E&gt;') &&
        out.includes('&lt;U+001B&gt;'),
    );
    // The printer alone would write a C0 control, which XML forbids: the check refuses it.
    assert.equal(isSafeSvgExport(traceToSvg(evil, true)), false);
    const text = exportTrace(evil, 'text', true);
    assert.ok(
      !/[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069]/.test(text),
      'no control left in the text export',
    );
    assert.ok(text.includes('<script>alert(1)</script>'));
  });
});
