/**
 * `vfslock review --format reply`: for each patch that introduces findings, a reply a reviewer can paste into mutt
 * or send with `git send-email`: `In-Reply-To`/`References` from the patch's Message-ID, `Subject: Re: ...`, the
 * hunk quoted with `> ` down to the line of each finding, the finding in one sentence and a one-line fix hint under
 * it, and the rest of the patch trimmed (`[...]`). Several replies form an mbox; a clean patch gets none.
 *
 * Everything from the patch is untrusted: header values are made one line (no header can be forged through a
 * subject holding a newline) and RFC 2047-encoded when not ASCII; quoted lines are escaped as in the text output.
 */
import type { Hunk } from './diff';
import type { PatchMail } from './mbox';
import { quotedLine } from './printers';
import type { PatchReview, ReviewFinding, SeriesReview } from './review';
import { escapeForTerminal } from '../core/text/escape';

const WIDTH = 72;

/** A header value on one line; non-ASCII text as RFC 2047 encoded words (UTF-8, base64). */
export function headerValue(s: string): string {
  const one = escapeForTerminal(s.replace(/\r?\n[ \t]+/g, ' '));
  if (!/[^\x20-\x7e]/.test(one)) return one;
  // Encoded words of at most 45 bytes of text each (75 characters once encoded), split on character boundaries.
  const words: string[] = [];
  let cur = '';
  const enc = new TextEncoder();
  for (const ch of one) {
    if (enc.encode(cur + ch).length > 45) {
      words.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) words.push(cur);
  return words.map((w) => `=?UTF-8?B?${base64(enc.encode(w))}?=`).join(' ');
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** An address header: names with non-ASCII characters encoded, addresses kept. */
function addressValue(a: string): string {
  const m = /^(.*?)\s*<([^<>\s]+)>$/.exec(a.trim());
  if (!m) return headerValue(a);
  return m[1]
    ? `${/[^\x20-\x7e]/.test(m[1]) ? headerValue(m[1]) : quoteName(escapeForTerminal(m[1]))} <${escapeForTerminal(m[2])}>`
    : `<${escapeForTerminal(m[2])}>`;
}

function quoteName(n: string): string {
  return /[()<>[\]:;@\\,."]/.test(n) && !/^".*"$/.test(n) ? `"${n.replace(/["\\]/g, '\\$&')}"` : n;
}

/** A Message-ID usable in In-Reply-To: `<local@domain>`, printable, no spaces; else null. */
function msgId(id: string | undefined): string | null {
  if (!id) return null;
  const t = id.trim();
  const v = t.startsWith('<') ? t : `<${t}>`;
  return /^<[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(v) ? v : null;
}

/** Words wrapped at WIDTH columns (a word longer than that stays whole on its line). */
function wrap(text: string, width = WIDTH): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The fix as one line: the last sentence of the finding's details (the rules put the advice there), up to its
 * first semicolon.
 */
export function fixHint(f: ReviewFinding): string {
  const d = f.finding.detail?.trim();
  if (!d)
    return `Fix: see the ${f.finding.ruleId} rule's documentation (docs/rules/${f.finding.ruleId.replace('/', '-')}.md).`;
  const sentences = d.split(/(?<=[.!?])\s+(?=[A-Z(])/);
  let s = sentences[sentences.length - 1].trim();
  const semi = s.indexOf('; ');
  if (semi > 0) s = s.slice(0, semi) + '.';
  return `Fix: ${s.charAt(0).toLowerCase() === s.charAt(0) ? s : s.charAt(0).toLowerCase() + s.slice(1)}`;
}

/** A date as mail shows it (postal-mime gives ISO 8601; a commit's date is already RFC 2822). */
function mailDate(d: string): string {
  if (!/^\d{4}-\d\d-\d\dT/.test(d)) return d;
  const t = new Date(d);
  return Number.isNaN(t.getTime()) ? d : t.toUTCString().replace(/ GMT$/, ' +0000');
}

interface Located {
  f: ReviewFinding;
  file: number;
  hunk: number;
  line: number;
}

/** One reply for a patch, or null when it introduces nothing. */
export function replyFor(p: PatchReview, mail: PatchMail | undefined): string | null {
  if (!p.introduced.length) return null;
  const e = escapeForTerminal;
  const head: string[] = ['From vfslock-review Mon Sep 17 00:00:00 2001'];
  if (mail?.from) head.push(`To: ${addressValue(mail.from)}`);
  const cc = [...(mail?.to ?? []), ...(mail?.cc ?? [])].filter((a) => a && a !== mail?.from);
  if (cc.length) head.push(`Cc: ${cc.map(addressValue).join(',\n\t')}`);
  head.push(`Subject: ${headerValue(/^re:/i.test(p.subject) ? p.subject : `Re: ${p.subject}`)}`);
  const id = msgId(mail?.messageId);
  if (id) {
    head.push(`In-Reply-To: ${id}`);
    const refs = (mail?.references ?? '')
      .split(/\s+/)
      .map((r) => msgId(r))
      .filter((r): r is string => r !== null && r !== id);
    head.push(`References: ${[...refs, id].join('\n\t')}`);
  }
  head.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '');

  const body: string[] = [];
  if (mail?.from) body.push(`On ${mail.date ? `${e(mailDate(mail.date))}, ` : ''}${e(mail.from)} wrote:`);
  // Place each finding on its hunk line; the ones elsewhere (callers in other files) come after the quotes.
  const files = mail?.files ?? [];
  const placed: Located[] = [];
  const elsewhere: ReviewFinding[] = [];
  for (const f of p.introduced) {
    let at: Located | null = null;
    if (f.patchLine !== undefined) {
      for (let fi = 0; fi < files.length && !at; fi++) {
        files[fi].hunks.forEach((h, hi) => {
          if (!at && h.lines.some((l) => l.patchLine === f.patchLine))
            at = { f, file: fi, hunk: hi, line: f.patchLine! };
        });
      }
    }
    if (at) placed.push(at);
    else elsewhere.push(f);
  }
  placed.sort((a, b) => a.line - b.line);
  let lastFile = -1;
  let lastHunk = -1;
  let lastLine = -1;
  for (const x of placed) {
    const fp = files[x.file];
    const h: Hunk = fp.hunks[x.hunk];
    if (x.file !== lastFile) {
      if (lastFile >= 0) body.push('[...]', '');
      const a = fp.oldPath ?? fp.newPath!;
      const b = fp.newPath ?? fp.oldPath!;
      body.push(`> diff --git a/${quotedLine(a)} b/${quotedLine(b)}`);
    }
    if (x.file !== lastFile || x.hunk !== lastHunk) {
      if (x.file === lastFile) body.push('[...]', '');
      body.push(`> ${quotedLine(h.header)}`);
      lastLine = -1;
    }
    for (const l of h.lines) {
      if (l.patchLine <= lastLine || l.patchLine > x.line) continue;
      body.push(`> ${l.kind}${quotedLine(l.text)}`.trimEnd());
    }
    if (x.line > lastLine) body.push('');
    body.push(...wrap(e(x.f.finding.message)), ...wrap(e(fixHint(x.f))), '');
    [lastFile, lastHunk, lastLine] = [x.file, x.hunk, Math.max(lastLine, x.line)];
  }
  if (placed.length) {
    const fp = files[lastFile];
    const h = fp.hunks[lastHunk];
    const rest =
      h.lines.some((l) => l.patchLine > lastLine) || lastHunk < fp.hunks.length - 1 || lastFile < files.length - 1;
    if (rest) body.push('[...]', '');
  }
  for (const f of elsewhere) {
    const via = f.via?.length ? `, which calls ${f.via.map((v) => `${v}()`).join(', ')}` : '';
    body.push(
      ...wrap(e(`In ${f.file}:${f.finding.line} (${f.finding.function}()${via}): ${f.finding.message}`)),
      ...wrap(e(fixHint(f))),
      '',
    );
  }
  return [...head, ...body].join('\n').replace(/\n+$/, '\n');
}

/** Replies for every patch of the series with introduced findings, as one mbox (empty when there are none). */
export function toReviewReply(s: SeriesReview, mails: readonly PatchMail[]): string {
  const out: string[] = [];
  for (const p of s.patches) {
    const r = replyFor(p, mails[p.index - 1]);
    if (r) out.push(r);
  }
  return out.join('\n');
}
