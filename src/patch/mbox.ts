/**
 * Patch input: an mbox holding a series (b4, lore, `git format-patch --stdout`), single `git format-patch` files,
 * `git log -p` / `git show` output, or a bare unified diff. Mail headers (RFC 2047 words, folding, transfer
 * encodings, patches sent as attachments) are decoded with postal-mime; the diff itself is read from the raw lines
 * whenever the body is sent as-is, so every hunk line keeps its exact line number in the input file.
 */
import PostalMime from 'postal-mime';
import { parseDiff, splitLines, DiffParseError, type FilePatch } from './diff';

export interface SubjectTags {
  /** The bracketed prefix as written, e.g. `[PATCH v2 3/7]`. */
  prefix: string;
  number?: number;
  total?: number;
  version?: number;
  rfc: boolean;
}

export interface PatchMail {
  /** Name of the input (file path, or a label such as `<stdin>`). */
  source: string;
  /** 1-based line in the input where this message (or diff) starts. */
  line: number;
  /** The subject as sent, decoded (`[PATCH 1/2] vfs: ...`). */
  subject: string;
  /** The subject without its `[PATCH ...]` prefix. */
  title: string;
  tags: SubjectTags;
  from?: string;
  date?: string;
  messageId?: string;
  /** The message's References header (the thread above it), as sent. */
  references?: string;
  /** To and Cc, as `Name <address>` (a reply goes to all of them). */
  to?: string[];
  cc?: string[];
  /** The commit message (body up to the `---` separator or the first diff). */
  message: string;
  files: FilePatch[];
  /** The diff was taken from a decoded body or an attachment: its line numbers point at the message, not the line. */
  approximateLines: boolean;
}

export interface SkippedMail {
  source: string;
  line: number;
  subject: string;
  reason: string;
}

export interface PatchInput {
  patches: PatchMail[];
  skipped: SkippedMail[];
}

export class PatchInputError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/**
 * The `From <sender> <asctime date>` line separating messages of an mbox (git: `From <sha> Mon Sep 17 00:00:00
 * 2001`, b4/lore: `From git@z Thu Jan  1 00:00:00 1970`), after a blank line and followed by a header. A commit
 * message line starting with "From " (git format-patch --stdout does not escape it) has no such date.
 */
const FROM_LINE = /^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}(:\d{2})?( [A-Z+-][\w+-]*)? \d{4}\s*$/;

function isFromLine(lines: readonly string[], i: number): boolean {
  return (
    FROM_LINE.test(lines[i]) &&
    (i === 0 || lines[i - 1] === '') &&
    i + 1 < lines.length &&
    /^[A-Za-z][A-Za-z0-9-]*:/.test(lines[i + 1])
  );
}

const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*:/;

/** Parses the bracketed tags of a subject: `[RFC PATCH net-next v3 02/10] title`. */
export function parseSubject(subject: string): { title: string; tags: SubjectTags; reply: boolean } {
  let s = subject.trim();
  let reply = false;
  while (/^(re|aw|fwd?):\s*/i.test(s)) {
    reply = true;
    s = s.replace(/^(re|aw|fwd?):\s*/i, '');
  }
  const groups: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = /^\[([^\]]*)\]\s*/.exec(s))) {
    groups.push(m[1]);
    s = s.slice(m[0].length);
  }
  const tags: SubjectTags = { prefix: groups.map((g) => `[${g}]`).join(' '), rfc: false };
  for (const g of groups) {
    const nm = /(?:^|\s)(\d+)\/(\d+)(?:\s|$)/.exec(g);
    if (nm) {
      tags.number = +nm[1];
      tags.total = +nm[2];
    }
    const v = /(?:^|\s)v(\d+)(?:\s|$)/i.exec(g);
    if (v) tags.version = +v[1];
    if (/\bRFC\b/i.test(g)) tags.rfc = true;
  }
  return { title: s.trim(), tags, reply };
}

interface RawMessage {
  lines: string[];
  /** 1-based input line of lines[0]. */
  line: number;
}

function splitMbox(lines: string[]): RawMessage[] {
  const out: RawMessage[] = [];
  let cur: RawMessage | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (isFromLine(lines, i)) {
      cur = { lines: [], line: i + 2 };
      out.push(cur);
      continue;
    }
    cur?.lines.push(lines[i]);
  }
  return out;
}

/** mboxrd: `>From ` (any number of `>`) in a body is an escaped `From `. */
function unescapeFrom(l: string): string {
  return /^>+From /.test(l) ? l.slice(1) : l;
}

/** Where the commit message ends: the `---` separator, or the first line of a diff. */
function messageEnd(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '---' || l.startsWith('diff --git ') || l.startsWith('Index: ')) return i;
    if (l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) return i;
  }
  return lines.length;
}

async function parseMessage(raw: RawMessage, source: string, strip: number): Promise<PatchMail | SkippedMail> {
  const headerEnd = raw.lines.indexOf('');
  const headerLines = headerEnd < 0 ? raw.lines : raw.lines.slice(0, headerEnd);
  const email = await PostalMime.parse(raw.lines.join('\n') + '\n');
  const subject = (email.subject ?? '').replace(/\s+/g, ' ').trim();
  const { title, tags, reply } = parseSubject(subject);
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value ?? '';
  const cte = header('content-transfer-encoding').toLowerCase().trim();
  const ctype = header('content-type').toLowerCase();
  const identity =
    (cte === '' || cte === '7bit' || cte === '8bit' || cte === 'binary') && !ctype.startsWith('multipart/');
  let body: string[];
  let bodyLine: number;
  let approximateLines = false;
  if (identity && headerEnd >= 0) {
    body = raw.lines.slice(headerEnd + 1).map(unescapeFrom);
    bodyLine = raw.line + headerEnd + 1;
  } else {
    // Decoded text, plus any attached patch (text/x-patch, text/x-diff, *.patch, *.diff).
    const texts = [email.text ?? ''];
    for (const a of email.attachments ?? []) {
      if (/patch|diff/i.test(`${a.mimeType} ${a.filename ?? ''}`)) {
        texts.push(typeof a.content === 'string' ? a.content : new TextDecoder().decode(a.content as ArrayBuffer));
      }
    }
    body = splitLines(texts.join('\n'));
    bodyLine = raw.line + Math.max(headerLines.length, 0) + 1;
    approximateLines = true;
  }
  const base = { source, line: raw.line, subject: subject || '(no subject)' };
  if (reply) return { ...base, reason: 'a reply, not a patch' };
  let files: FilePatch[];
  try {
    files = parseDiff(body, { strip, firstLine: bodyLine });
  } catch (e) {
    if (e instanceof DiffParseError) throw new PatchInputError(e.message, source, e.patchLine);
    throw e;
  }
  if (!files.length) return { ...base, reason: tags.number === 0 ? 'cover letter' : 'no diff in this message' };
  const end = messageEnd(body);
  return {
    ...base,
    title: title || subject,
    tags,
    from: email.from ? formatAddress(email.from) : undefined,
    date: email.date,
    messageId: email.messageId,
    references: header('references') || undefined,
    to: email.to?.map(formatAddress),
    cc: email.cc?.map(formatAddress),
    message: body.slice(0, end).join('\n').trim(),
    files,
    approximateLines,
  };
}

function formatAddress(a: { name?: string; address?: string }): string {
  return a.name ? `${a.name} <${a.address ?? ''}>` : (a.address ?? '');
}

/** `git log -p` / `git show` output: one patch per `commit <sha>` block, its subject the first message line. */
function splitGitLog(lines: string[], source: string, strip: number): PatchMail[] | null {
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) if (/^commit [0-9a-f]{7,64}\b/.test(lines[i])) starts.push(i);
  if (!starts.length || starts[0] !== 0) return null;
  return starts.map((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1] : lines.length;
    const block = lines.slice(s, end);
    let i = 1;
    const meta: Record<string, string> = {};
    for (; i < block.length && block[i] !== ''; i++) {
      const m = /^(\w+):\s*(.*)$/.exec(block[i]);
      if (m) meta[m[1].toLowerCase()] = m[2];
    }
    const msg: string[] = [];
    for (i++; i < block.length && (block[i].startsWith('    ') || block[i] === ''); i++) {
      if (block[i] === '' && block[i + 1] !== undefined && !block[i + 1].startsWith('    ')) break;
      msg.push(block[i].slice(4));
    }
    const subject = msg.find((l) => l.trim() !== '')?.trim() ?? block[0];
    const files = parseDiff(block, { strip, firstLine: s + 1 });
    return {
      source,
      line: s + 1,
      subject,
      title: subject,
      tags: { prefix: '', rfc: false },
      from: meta.author,
      date: meta.date,
      message: msg.join('\n').trim(),
      files,
      approximateLines: false,
    };
  });
}

/**
 * Reads one input file. Messages are returned in input order; a numbered series (`[PATCH n/N]`) is put in number
 * order. Cover letters, replies and messages without a diff are listed as skipped.
 */
export async function readPatchInput(
  text: string,
  source: string,
  options: { strip?: number } = {},
): Promise<PatchInput> {
  const strip = options.strip ?? 1;
  const lines = splitLines(text);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof DiffParseError) throw new PatchInputError(e.message, source, e.patchLine);
      throw e;
    }
  };
  const mbox = lines.length > 0 && isFromLine(lines, 0);
  const mailHeaders =
    !mbox &&
    lines.length > 0 &&
    HEADER_LINE.test(lines[0]) &&
    /^(from|subject|date|message-id|to|cc|return-path|received):/i.test(lines[0]);
  if (mbox || mailHeaders) {
    const raws = mbox ? splitMbox(lines) : [{ lines, line: 1 }];
    const patches: PatchMail[] = [];
    const skipped: SkippedMail[] = [];
    for (const raw of raws) {
      const r = await parseMessage(raw, source, strip);
      if ('reason' in r) skipped.push(r);
      else patches.push(r);
    }
    return { patches: orderSeries(patches), skipped };
  }
  const log = wrap(() => splitGitLog(lines, source, strip));
  if (log)
    return {
      patches: log.filter((p) => p.files.length),
      skipped: log
        .filter((p) => !p.files.length)
        .map((p) => ({ source, line: p.line, subject: p.subject, reason: 'no diff in this commit' })),
    };
  const files = wrap(() => parseDiff(lines, { strip, firstLine: 1 }));
  if (!files.length) return { patches: [], skipped: [{ source, line: 1, subject: source, reason: 'no diff found' }] };
  const name = source.split('/').pop() ?? source;
  return {
    patches: [
      {
        source,
        line: 1,
        subject: name,
        title: name,
        tags: { prefix: '', rfc: false },
        message: lines.slice(0, messageEnd(lines)).join('\n').trim(),
        files,
        approximateLines: false,
      },
    ],
    skipped: [],
  };
}

/** A numbered series in number order (stable for equal numbers and unnumbered mails). */
function orderSeries(patches: PatchMail[]): PatchMail[] {
  if (patches.length < 2 || patches.some((p) => p.tags.number === undefined)) return patches;
  return patches
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.tags.number! - b.p.tags.number! || a.i - b.i)
    .map((x) => x.p);
}
