/**
 * The race-simulation panel. Shows a trace as lanes (one per thread, lockdep's CPU0/CPU1 layout), steps through
 * it, shows the model's state at each step (what changed highlighted, the rest hideable), names the two
 * conflicting events, lets the user schedule threads by hand (the simulator runs here, in the webview), and
 * exports the trace as lockdep-style text or SVG. No vscode import: it talks to the host with typed messages.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { threadTransitions, type SimState, type Transition, type Violation } from '../sim/engine';
import {
  replay,
  relatedStep,
  snapshot,
  changedFields,
  type TraceStep,
  type InodeSnapshot,
  type Snapshot,
} from '../sim/trace';
import { stepText } from '../sim/export';
import { exportTrace } from './export';
import { INVARIANT_DOC } from '../sim/program';
import type { SimulationResult } from '../sim/run';
import { isHostMessage, isPersistedState, type PersistedState, type WebviewMessage } from './protocol';
import { el, clear } from './dom';
import { cacheChart } from './chart';

interface VsCodeApi {
  postMessage(m: WebviewMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** A trace ready to show: its steps and the state after each. */
interface View {
  steps: TraceStep[];
  states: SimState[];
  conflict: [number, number] | null;
  message?: string;
  invariant?: string;
  cycleStart?: number;
}

const FIELD_LABELS: [keyof InodeSnapshot, string][] = [
  ['names', 'names'],
  ['leases', 'leases / delegations'],
  ['recallPending', 'recall pending'],
  ['locks', 'locks'],
  ['writecount', 'i_writecount'],
  ['readcount', 'i_readcount'],
  ['refcount', 'i_count'],
  ['nlink', 'i_nlink'],
  ['resident', 'in inode cache'],
  ['recallBlocked', 'nfsd recall block'],
];

class App {
  private s: PersistedState | null = null;
  private view: View | null = null;
  /** Manual scheduling: the schedule built by hand (null when replaying the result's own trace). */
  private manual: Transition[] | null = null;
  private timer: number | undefined;

  constructor(
    private readonly api: VsCodeApi,
    private readonly root: HTMLElement,
  ) {
    window.addEventListener('message', (e) => this.onMessage(e.data));
    window.addEventListener('keydown', (e) => this.onKey(e));
    const saved = api.getState();
    if (isPersistedState(saved)) this.load(saved);
    api.postMessage({ type: 'ready' });
  }

  private onMessage(data: unknown): void {
    if (!isHostMessage(data)) {
      console.warn('vfslock: ignoring malformed message');
      return;
    }
    if (data.type === 'error') return this.showError(data.message);
    // The host sends its current result again each time the page loads: already shown here (the page came back
    // from its state), it keeps the user's step and options.
    if (data.id !== undefined && this.s?.shownId === data.id) return;
    const steps = data.result.trace.length;
    const start =
      data.startStep !== undefined
        ? Math.min(Math.max(-1, data.startStep), steps - 1)
        : data.result.traceKind === 'counterexample'
          ? steps - 1
          : -1;
    this.load({
      result: data.result,
      step: start,
      hideUnchanged: this.s?.hideUnchanged ?? false,
      showLocal: this.s?.showLocal ?? false,
      note: data.note,
      shownId: data.id,
    });
    // Kept at once, not at the first step: the page comes back from this state when its tab is shown again and
    // after a window reload (the host's serializer).
    this.save();
  }

  private load(s: PersistedState): void {
    this.s = s;
    this.manual = null;
    this.view = viewOf(s.result, null);
    this.render();
  }

  private save(): void {
    if (this.s) this.api.setState(this.s);
  }

  private showError(message: string): void {
    clear(this.root);
    this.root.appendChild(el('p', { class: 'error', text: message }));
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.view) return;
    const moves: Record<string, () => void> = {
      ArrowRight: () => this.go(this.s!.step + 1),
      ArrowLeft: () => this.go(this.s!.step - 1),
      Home: () => this.go(-1),
      End: () => this.go(this.view!.steps.length - 1),
    };
    const m = moves[e.key];
    if (m && !(e.target instanceof HTMLInputElement)) {
      m();
      e.preventDefault();
    }
  }

  private go(step: number): void {
    if (!this.s || !this.view) return;
    this.s.step = Math.max(-1, Math.min(this.view.steps.length - 1, step));
    this.save();
    this.render();
  }

  private togglePlay(): void {
    if (this.timer !== undefined) return this.stopPlay();
    if (this.s && this.view && this.s.step >= this.view.steps.length - 1) this.s.step = -1;
    this.timer = window.setInterval(() => {
      if (!this.s || !this.view || this.s.step >= this.view.steps.length - 1) return this.stopPlay();
      this.go(this.s.step + 1);
    }, 700);
    this.render();
  }

  private stopPlay(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.render();
  }

  private toggleManual(): void {
    if (!this.s) return;
    if (this.manual) {
      this.manual = null;
      this.view = viewOf(this.s.result, null);
    } else {
      // Start from the current step of the shown trace and schedule the rest by hand.
      this.manual = this.s.result.schedule.slice(0, this.s.step + 1);
      this.view = viewOf(this.s.result, this.manual);
    }
    this.go(this.view.steps.length - 1);
  }

  private choose(tr: Transition): void {
    if (!this.s || !this.manual) return;
    this.manual = [...this.manual.slice(0, this.s.step + 1), tr];
    this.view = viewOf(this.s.result, this.manual);
    this.go(this.view.steps.length - 1);
  }

  private selectStep(step: TraceStep): void {
    this.go(step.index);
    if (step.file && step.line)
      this.api.postMessage({ type: 'reveal', file: step.file, line: step.line, column: step.column });
  }

  private exportAs(format: 'text' | 'svg'): void {
    if (!this.s || !this.view) return;
    const shown = shownResult(this.s.result, this.view);
    const content = exportTrace(shown, format, this.s.showLocal);
    // A bare name the host accepts (src/extension/pure/webview-messages.ts): no directory, no leading dot.
    const base =
      this.s.result.scenario
        .replace(/[^A-Za-z0-9_.-]+/g, '-')
        .slice(-90)
        .replace(/^[-.]+|-+$/g, '') || 'trace';
    this.api.postMessage({
      type: 'export',
      format,
      content,
      suggestedName: `${base}.${format === 'text' ? 'txt' : 'svg'}`,
    });
  }

  // ---------------------------------------------------------------- rendering

  private render(): void {
    if (!this.s || !this.view) return;
    const scroll = this.root.querySelector('#lanes-wrap')?.scrollTop ?? 0;
    clear(this.root);
    this.root.appendChild(this.header());
    if (this.s.result.cache) {
      this.root.appendChild(cacheChart(this.s.result.cache));
      return;
    }
    this.root.appendChild(this.toolbar());
    const lanes = el('div', { attrs: { id: 'lanes-wrap' }, class: 'lanes-wrap' }, [this.lanes()]);
    this.root.appendChild(el('div', { class: 'columns' }, [lanes, this.sidePanel()]));
    lanes.scrollTop = scroll;
    lanes.querySelector('tr.current')?.scrollIntoView({ block: 'nearest' });
  }

  private header(): HTMLElement {
    const r = this.s!.result;
    const v = this.view!;
    const violation = this.manual ? v.invariant !== undefined : r.verdict === 'violation';
    const badge = el('vscode-badge', {
      class: violation ? 'verdict violation' : 'verdict safe',
      text: violation ? `violation: ${v.invariant ?? r.invariant}` : 'safe',
    });
    const lines = [
      el('h1', {}, [el('span', { class: 'title', text: r.title }), badge]),
      el('p', {
        class: 'meta',
        text: `${r.scenario} · kernel ${r.kernel} · ${r.states} states, ${r.transitions} transitions, ${r.ms.toFixed(1)} ms · reduction: ${r.reduction}${r.complete ? '' : ' · state limit reached (incomplete)'}`,
      }),
    ];
    if (violation)
      lines.push(el('p', { class: 'message', attrs: { id: 'message' }, text: v.message ?? r.message ?? '' }));
    else if (r.program && !r.cache)
      lines.push(
        el('p', {
          class: 'message proved',
          attrs: { id: 'message' },
          text: `No interleaving violates: ${r.program.invariants.map((i) => INVARIANT_DOC[i]).join('; ')}.${r.traceKind === 'witness' ? ' Below: an example run.' : ''}`,
        }),
      );
    if (this.s!.note) lines.push(el('p', { class: 'note', attrs: { id: 'note' }, text: this.s!.note }));
    if (r.description) lines.push(el('p', { class: 'description', text: r.description }));
    return el('header', { attrs: { id: 'header' } }, lines);
  }

  private button(
    id: string,
    label: string,
    onClick: () => void,
    opts: { secondary?: boolean; disabled?: boolean; title?: string } = {},
  ): HTMLElement {
    const b = el('vscode-button', { attrs: { id }, text: label, title: opts.title });
    if (opts.secondary) b.setAttribute('secondary', '');
    if (opts.disabled) b.setAttribute('disabled', '');
    b.addEventListener('click', () => {
      if (!b.hasAttribute('disabled')) onClick();
    });
    return b;
  }

  private checkbox(id: string, label: string, checked: boolean, onChange: (v: boolean) => void): HTMLElement {
    const c = el('vscode-checkbox', { attrs: { id }, text: label }) as HTMLElement & { checked: boolean };
    c.checked = checked;
    if (checked) c.setAttribute('checked', '');
    c.addEventListener('change', () => onChange(c.checked));
    return c;
  }

  private toolbar(): HTMLElement {
    const s = this.s!;
    const n = this.view!.steps.length;
    const hasProgram = !!s.result.program;
    return el('div', { class: 'toolbar', attrs: { id: 'toolbar', role: 'toolbar' } }, [
      this.button('reset', '|◀ Start', () => this.go(-1), { secondary: true, title: 'Back to the start (Home)' }),
      this.button('back', '◀ Back', () => this.go(s.step - 1), {
        secondary: true,
        disabled: s.step < 0,
        title: 'Previous step (←)',
      }),
      this.button('play', this.timer !== undefined ? '⏸ Pause' : '▶ Play', () => this.togglePlay(), {
        disabled: n === 0,
      }),
      this.button('step', 'Step ▶', () => this.go(s.step + 1), {
        secondary: true,
        disabled: s.step >= n - 1,
        title: 'Next step (→)',
      }),
      el('span', { class: 'position', attrs: { id: 'position' }, text: `step ${s.step + 1} / ${n}` }),
      this.checkbox('hide-unchanged', 'Hide unchanged', s.hideUnchanged, (v) => {
        s.hideUnchanged = v;
        this.save();
        this.render();
      }),
      this.checkbox('show-local', 'Show branches', s.showLocal, (v) => {
        s.showLocal = v;
        this.save();
        this.render();
      }),
      this.button(
        'manual',
        this.manual ? 'Leave manual scheduling' : 'Choose the next thread…',
        () => this.toggleManual(),
        { secondary: true, disabled: !hasProgram, title: 'Schedule the threads by hand from the current step' },
      ),
      this.button('export-text', 'Export text', () => this.exportAs('text'), {
        secondary: true,
        title: 'The trace in lockdep’s layout, to paste into a mail reply',
      }),
      this.button('export-svg', 'Export SVG', () => this.exportAs('svg'), { secondary: true }),
    ]);
  }

  private lanes(): HTMLElement {
    const r = this.s!.result;
    const v = this.view!;
    const threads =
      r.program?.threads.map((t) => ({ name: t.name, label: t.label })) ??
      [...new Set(v.steps.map((s) => s.threadName))].map((n) => ({ name: n, label: n }));
    const head = el('tr', {}, [
      el('th', { class: 'num', text: '#' }),
      ...threads.map((t, i) => el('th', { class: 'lane-head', text: `CPU${i}: ${t.name}`, title: t.label })),
    ]);
    const rows = v.steps
      .filter((s) => this.s!.showLocal || !s.local || v.conflict?.includes(s.index))
      .map((s) =>
        this.row(
          s,
          threads.map((t) => t.name),
        ),
      );
    const caption = v.steps.length
      ? null
      : el('caption', { text: r.traceKind === 'none' ? 'No trace.' : 'The trace is empty.' });
    return el('table', { class: 'lanes', attrs: { id: 'lanes' } }, [
      caption,
      el('thead', {}, [head]),
      el('tbody', {}, rows),
    ]);
  }

  private row(s: TraceStep, threads: string[]): HTMLElement {
    const v = this.view!;
    const cur = this.s!.step;
    const classes = ['step'];
    if (s.index === cur) classes.push('current');
    if (s.index > cur) classes.push('future');
    if (s.local) classes.push('local');
    if (s.sleeps) classes.push('sleeps');
    const mark = v.conflict?.[0] === s.index ? '1' : v.conflict?.[1] === s.index ? '2' : '';
    if (mark) classes.push('conflict');
    if (v.cycleStart !== undefined && s.index >= v.cycleStart) classes.push('cycle');
    const tr = el('tr', { class: classes.join(' '), data: { index: String(s.index) }, attrs: { tabindex: '0' } });
    tr.appendChild(el('td', { class: 'num', text: String(s.index + 1) }));
    threads.forEach((name) => {
      if (name !== s.threadName) return void tr.appendChild(el('td', { class: 'cell empty' }));
      const where = s.file && s.line ? `${s.file}:${s.line}` : '';
      tr.appendChild(
        el('td', { class: 'cell', title: where ? `${stepText(s)}\n${where}` : stepText(s) }, [
          mark ? el('span', { class: 'mark', text: `(${mark})` }) : null,
          el('span', { class: 'action', text: s.action }),
          s.detail ? el('span', { class: 'detail', text: s.detail }) : null,
          el('div', { class: 'held', text: s.held.length ? `holds ${s.held.join(', ')}` : '' }),
          where ? el('div', { class: 'where', text: where }) : null,
        ]),
      );
    });
    tr.addEventListener('click', () => this.selectStep(s));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.selectStep(s);
    });
    return tr;
  }

  private sidePanel(): HTMLElement {
    const v = this.view!;
    const r = this.s!.result;
    const side = el('aside', { class: 'side', attrs: { id: 'state' } });
    side.appendChild(this.conflictBox());
    if (!r.program || !v.states.length) return side;
    const at = this.s!.step + 1;
    const snap = snapshot(r.program, v.states[at]);
    const prev = at > 0 ? snapshot(r.program, v.states[at - 1]) : snap;
    side.appendChild(this.threadsBox(snap));
    side.appendChild(this.inodesBox(snap, prev));
    if (this.manual) side.appendChild(this.choicesBox(v.states[at]));
    return side;
  }

  private conflictBox(): HTMLElement {
    const v = this.view!;
    const box = el('section', { class: 'conflict-box', attrs: { id: 'conflict' } }, [
      el('h2', { text: v.conflict ? 'The conflicting events' : 'Conflict' }),
    ]);
    if (!v.conflict) {
      box.appendChild(
        el('p', {
          class: 'muted',
          text: this.manual ? 'No violation on this schedule yet.' : 'None: no interleaving violates an invariant.',
        }),
      );
      return box;
    }
    v.conflict.forEach((i, k) => {
      const s = v.steps[i];
      if (!s) return;
      const link = el('a', {
        class: 'conflict-link',
        attrs: { href: '#', 'data-index': String(i) },
        text: `(${k + 1}) step ${i + 1}, ${s.threadName}: ${stepText(s)}`,
      });
      link.addEventListener('click', (e) => {
        e.preventDefault();
        this.selectStep(s);
      });
      box.appendChild(
        el('p', {}, [link, s.file ? el('span', { class: 'where', text: ` ${s.file}:${s.line}` }) : null]),
      );
    });
    if (v.message) box.appendChild(el('p', { class: 'message', text: v.message }));
    return box;
  }

  private threadsBox(snap: Snapshot): HTMLElement {
    const items = snap.threads.map((t, i) =>
      el('li', { class: `thread-state ${t.status}`, data: { thread: t.name } }, [
        el('div', { class: 'thread-name', text: `CPU${i}: ${t.name}`, title: t.label }),
        el('div', { class: 'status', text: t.status + (t.next ? ` · next: ${t.next}` : '') }),
        el('div', { class: 'held', text: t.held.length ? `holds: ${t.held.join(', ')}` : 'holds no locks' }),
      ]),
    );
    return el('section', { attrs: { id: 'threads' } }, [
      el('h2', { text: `Threads after step ${this.s!.step + 1}` }),
      el('ul', {}, items),
    ]);
  }

  private inodesBox(snap: Snapshot, prev: Snapshot): HTMLElement {
    const changed = changedFields(prev, snap);
    const cards = snap.inodes.map((ino) => {
      const diff = changed.get(ino.name) ?? new Set<string>();
      const rows = FIELD_LABELS.map(([key, label]) => {
        const isChanged = this.s!.step >= 0 && diff.has(key);
        if (this.s!.hideUnchanged && !isChanged) return null;
        return el('div', { class: `field${isChanged ? ' changed' : ''}`, data: { field: key } }, [
          el('span', { class: 'label', text: label }),
          el('span', { class: 'value', text: fieldText(ino[key]) }),
        ]);
      });
      return el('div', { class: `inode${diff.size ? ' has-changes' : ''}`, data: { name: ino.name } }, [
        el('h3', { text: `${ino.name} (${ino.kind})` }),
        ...rows,
      ]);
    });
    return el('section', { attrs: { id: 'inodes' } }, [el('h2', { text: 'Inodes' }), ...cards]);
  }

  private choicesBox(state: SimState): HTMLElement {
    const p = this.s!.result.program!;
    const box = el('section', { class: 'choices', attrs: { id: 'choices' } }, [
      el('h2', { text: 'Choose the next thread' }),
    ]);
    const options: Transition[] = [];
    for (let t = 0; t < p.threads.length; t++) options.push(...threadTransitions(p, state, t));
    if (!options.length)
      box.appendChild(el('p', { class: 'muted', text: 'No thread can run: the run is over (or deadlocked).' }));
    for (const tr of options) {
      const th = p.threads[tr.thread];
      const ins = th.instrs[state.t[tr.thread].pc];
      const what =
        state.t[tr.thread].status === 1
          ? tr.choice === 1
            ? 'timeout'
            : 'wake up'
          : `${ins.action} ${ins.detail}${ins.next.length > 1 ? ` → branch ${tr.choice + 1}` : ''}`;
      const b = this.button(`choose-${tr.thread}-${tr.choice}`, `${th.name}: ${what}`, () => this.choose(tr), {
        secondary: true,
      });
      b.classList.add('choice');
      box.appendChild(b);
    }
    return box;
  }
}

function fieldText(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join('; ') : '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** Replays a schedule (the result's own, or a manual one) into steps and states. */
function viewOf(r: SimulationResult, manual: Transition[] | null): View {
  if (!r.program)
    return { steps: r.trace, states: [], conflict: r.conflict ?? null, message: r.message, invariant: r.invariant };
  const rep = replay(r.program, manual ?? r.schedule);
  if (!manual)
    return {
      steps: rep.steps,
      states: rep.states,
      conflict: r.conflict ?? null,
      message: r.message,
      invariant: r.invariant,
      cycleStart: r.cycleStart,
    };
  const at = rep.violations.findIndex((v) => v.length > 0);
  const found: Violation | undefined = at >= 0 ? rep.violations[at][0] : rep.final[0];
  if (!found) return { steps: rep.steps, states: rep.states, conflict: null };
  const last = at >= 0 ? at : rep.steps.length - 1;
  return {
    steps: rep.steps,
    states: rep.states,
    conflict: [relatedStep(rep.steps, last - 1, found.related), last],
    message: found.message,
    invariant: found.invariant,
  };
}

/** The result as currently shown (a manual schedule replaces the trace), for the exporters. */
function shownResult(r: SimulationResult, v: View): SimulationResult {
  return {
    ...r,
    trace: v.steps,
    conflict: v.conflict ?? undefined,
    message: v.message,
    invariant: v.invariant as SimulationResult['invariant'],
    verdict: v.invariant ? 'violation' : r.verdict,
    traceKind: v.invariant ? 'counterexample' : r.traceKind,
  };
}

new App(acquireVsCodeApi(), document.getElementById('app')!);
