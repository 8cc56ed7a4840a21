/**
 * Hover and "lock state at cursor" text from the analyzer's per-event lock state (`Document.eventsAt`).
 * Markdown, no `vscode` import.
 */
import type { EventInfo, HeldLockInfo } from '../core/engine';
import { t } from './l10n';

/** What kind of call an event is, in words. */
export function describeEvent(e: EventInfo): string {
  const on = e.target ? ` \`${e.target}\`` : '';
  switch (e.kind) {
    case 'lock':
      return t('takes the lock of{0}', on);
    case 'unlock':
      return t('releases a lock');
    case 'break':
      if (e.blocking === true)
        return t(
          'breaks the lease/delegation of{0} — **blocking**: sleeps until the holder returns it (lease-break-time, 45 s by default; indefinitely for nfsd)',
          on,
        );
      if (e.blocking === false)
        return t(
          'breaks the delegation of{0} — **non-blocking**: fails with -EWOULDBLOCK and records the inode for the caller to wait on after unlocking',
          on,
        );
      return t('breaks the lease/delegation of{0} — blocking unless the flags include O_NONBLOCK', on);
    case 'wait':
      return t(
        'waits for the delegation of{0} to be returned — **blocking** (sleeps): call it only with no locks held',
        on,
      );
    case 'delegOp':
      return t(
        'changes{0}; on a delegation it fails with -EWOULDBLOCK and records the inode in the delegated_inode argument',
        on,
      );
    case 'mutate':
    case 'summaryMutate':
      return t('changes names or attributes of{0}', on);
    case 'grant':
      return t('grants a lease or delegation');
    case 'access':
      return t('takes write access to{0}', on);
    case 'open':
      return t('opens{0}', on);
    case 'requireAtCall':
      return t('requires{0} locked by the caller', on);
    case 'sleeps':
      return t('may sleep');
    default:
      return e.kind;
  }
}

function lockLine(l: HeldLockInfo): string {
  const where =
    l.origin === 'local'
      ? t('taken by {0}() at line {1}', l.api, l.line)
      : l.origin === 'assert'
        ? t('asserted held at line {0}', l.line)
        : t("held on entry (caller's lock, {0})", l.api || l.origin);
  return `- \`${l.display}\` — ${where}`;
}

/** How much an event kind says about a call (a call can be several events: notify_change requires and changes). */
const KIND_RANK = [
  'wait',
  'break',
  'delegOp',
  'mutate',
  'summaryMutate',
  'grant',
  'access',
  'open',
  'lock',
  'unlock',
  'sleeps',
  'requireAtCall',
];
const rank = (k: string) => {
  const i = KIND_RANK.indexOf(k);
  return i < 0 ? KIND_RANK.length : i;
};

/** The events of the innermost call among `events` (as Document.eventsAt returns them), most telling first. */
export function callEvents(events: readonly EventInfo[]): EventInfo[] {
  if (!events.length) return [];
  const first = events[0];
  return events
    .filter((e) => e.start === first.start && e.end === first.end)
    .sort((a, b) => rank(a.kind) - rank(b.kind));
}

/** Markdown for one call: what it does, and the locks held just before it. */
export function eventMarkdown(e: EventInfo, also: readonly EventInfo[] = []): string {
  const out: string[] = [];
  out.push(`**${e.api}()** ${describeEvent(e)}`);
  for (const x of also) if (x !== e && x.kind !== e.kind) out.push('', `It also ${describeEvent(x)}.`);
  out.push('');
  if (!e.always.length && !e.sometimes.length) {
    out.push(t('No locks held here (on any of the {0} analysed paths).', e.paths));
  } else {
    if (e.always.length) {
      out.push(e.paths > 1 ? t('Locks held here (on all {0} analysed paths):', e.paths) : t('Locks held here:'));
      out.push(...e.always.map(lockLine));
    }
    if (e.sometimes.length) {
      if (e.always.length) out.push('');
      out.push(t('Held on some paths only:'));
      out.push(...e.sometimes.map(lockLine));
    }
  }
  if ((e.kind === 'wait' || (e.kind === 'break' && e.blocking === true)) && e.always.length > 0) {
    out.push('');
    out.push(
      t('⚠ Sleeping here with locks held: every other task needing them waits as long as the delegation holder does.'),
    );
  }
  return out.join('\n');
}

/** Plain text for the "Show Lock State at Cursor" command. */
export function lockStateText(fn: string | null, events: EventInfo[]): string {
  if (!events.length)
    return fn
      ? t('{0}: no lock, break, wait or change call at the cursor.', fn)
      : t('The cursor is not in an analysed function.');
  const e = callEvents(events)[0];
  const held = [...e.always.map((l) => l.display), ...e.sometimes.map((l) => `${l.display} (${t('some paths')})`)];
  const base = held.length
    ? t('{0}: before {1}() the locks held are {2}.', e.function, e.api, held.join(', '))
    : t('{0}: no locks are held before {1}().', e.function, e.api);
  return `${base} ${t('It {0}.', describeEvent(e).replace(/\*\*/g, '').replace(/`/g, ''))}`;
}

/**
 * The hover over the identifier `word` (starting at offset `wordStart`) given the events at that offset: Markdown
 * for the call it names, or null when the word is not a call's name (its arguments have hovers of their own).
 */
export function hoverMarkdown(events: readonly EventInfo[], word: string, wordStart: number): string | null {
  const hit = events.find((x) => word === x.api || (wordStart >= x.start && word === lastName(x.api)));
  if (!hit) return null;
  const [e, ...also] = callEvents(events.filter((x) => x.start === hit.start && x.end === hit.end));
  return eventMarkdown(e, also);
}

/** `->setattr` style method names: the identifier after the last arrow. */
function lastName(api: string): string {
  const m = /([A-Za-z_]\w*)\s*$/.exec(api);
  return m ? m[1] : api;
}
