/**
 * Untrusted text in the patch results view (a tree view, not a webview): patch subjects and file names from a
 * mail, function names and messages from kernel code, in tree labels (plainLabel) and Markdown tooltips
 * (escapeMarkdown). Rendered with markdown-it (CommonMark, linkify on; VS Code's renderer is marked, also
 * CommonMark) the escaped text comes out literally: no emphasis, link, autolink, HTML or decoded entity.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { escapeMarkdown, plainLabel } from '../../../src/extension/pure/markdown';
import { readPatchInput } from '../../../src/patch/mbox';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '</script>',
  'javascript:alert(1)',
  '[x](javascript:alert(1))',
  '[x](command:workbench.action.terminal.new)',
  '&lt;b&gt;',
  '&amp;',
  '&#60;b&#62;',
  '"><img src=x onerror=alert(1)>',
  '![i](https://e.example/x.png)',
  'https://e.example/x www.e.example a@b.example',
  '**bold** _em_ `code` ~~s~~',
  '# heading',
  '- item',
  '1. item',
  '> quote',
  '| a | b |',
  '\\*',
  'line\n\n# second',
  'a\r\nb',
  'x\u2028y',
  'rl\u202Eo',
  '\u2066lri\u2069 \u2067rli',
  'esc\u001b[31mred',
  'nul\u0000',
  '$(alert) $(zap~spin)',
  'vfs: rename: break the delegation [PATCH 1/3]',
];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const markdownIt = require('markdown-it');
const decode = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('tree labels', () => {
  test('one line, controls visible, everything else unchanged', () => {
    assert.equal(plainLabel('fs: fix \u202Egnp.exe'), 'fs: fix <U+202E>gnp.exe');
    assert.equal(plainLabel('a\nb\r\nc\rd\u2028e'), 'a b c d e');
    assert.equal(plainLabel('esc\u001b[31m\u0000\u0085'), 'esc<U+001B>[31m<U+0000><U+0085>');
    assert.equal(plainLabel('<script>&amp;\t'), '<script>&amp;\t');
    for (const p of PAYLOADS)
      assert.ok(
        !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(
          plainLabel(p),
        ),
        JSON.stringify(p),
      );
  });
});

describe('Markdown tooltips', () => {
  test('every ASCII punctuation character is escaped, nothing else', () => {
    assert.equal(escapeMarkdown('a*b_c'), 'a\\*b\\_c');
    assert.equal(escapeMarkdown('&lt;b&gt;'), '\\&lt\\;b\\&gt\\;');
    assert.equal(escapeMarkdown('naïve ✓ 1'), 'naïve ✓ 1');
  });

  test('rendered as CommonMark, the text is literal: no tag, link, autolink or decoded entity', () => {
    for (const html of [false, true]) {
      const md = markdownIt({ html, linkify: true });
      for (const p of PAYLOADS) {
        const out = md.render(escapeMarkdown(p)).trim();
        const m = /^<p>([\s\S]*)<\/p>$/.exec(out);
        assert.ok(m, `one paragraph for ${JSON.stringify(p)}: ${out}`);
        assert.ok(!/<(?!\/?p>)/.test(m[1]), `no markup for ${JSON.stringify(p)}: ${out}`);
        assert.equal(decode(m[1]), plainLabel(p), `literal text for ${JSON.stringify(p)}`);
      }
    }
  });

  test('patch subjects arrive decoded from the mail, controls and markup included, and are neutralised', async () => {
    const subject =
      '=?UTF-8?B?' +
      Buffer.from('[PATCH] fs: <img src=x onerror=alert(1)> \u202Efdp.exe &amp;').toString('base64') +
      '?=';
    const mbox = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@b.example>\nSubject: ${subject}\n\n---\n fs/a.c | 1 +\n\ndiff --git a/fs/a.c b/fs/a.c\n--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1,1 +1,2 @@\n int x;\n+int y;\n`;
    const input = await readPatchInput(mbox, 'x.mbox');
    assert.equal(input.patches.length, 1);
    const s = input.patches[0].subject;
    assert.ok(s.includes('\u202E') && s.includes('<img'), `decoded: ${JSON.stringify(s)}`);
    assert.equal(plainLabel(s), s.replace('\u202E', '<U+202E>'));
    if (markdownIt) assert.ok(!/<img/.test(markdownIt({ html: true }).render(`**${escapeMarkdown(s)}**`)));
  });
});
