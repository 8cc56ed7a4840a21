/**
 * analysis/truncated (info): the analysis of this function stopped at its budget (too many paths, a body too long
 * or nested too deeply for the CFG), so its findings may be incomplete. See docs/rules/analysis-truncated.md.
 * (The engine's per-file time budget adds its own notes, in engine.ts.)
 */
import { messages } from './messages';
import type { Rule } from './context';

export const analysisTruncated: Rule = {
  ids: ['analysis/truncated'],

  onFinish(ctx) {
    if (!ctx.truncated && !ctx.cfg.truncated) return;
    const why =
      ctx.cfg.truncatedBy === 'depth'
        ? 'its statements are nested too deeply'
        : ctx.cfg.truncated
          ? 'its body is too long'
          : 'it has too many paths';
    ctx.note(
      ctx.make(
        'analysis/truncated',
        'info',
        ctx.unit.nameStart,
        ctx.unit.nameEnd,
        '',
        messages.truncated(ctx.unit.name, why),
        [],
      ),
    );
  },
};
