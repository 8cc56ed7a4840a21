/**
 * The output switches of `vfslock review` (checkpatch.pl's --terse, --emacs, --showfile, -q, --no-summary,
 * --mailback; --no-color, --exit-zero) and its progress line, kept apart from the input options in src/cli/commands/review.ts.
 */
import { OUTPUT_OPTIONS } from '../cli/options';
import { useColor, type Io } from '../cli/io';
import { Progress, progressWanted } from '../cli/progress';
import { isReviewClean, toReviewJson, toReviewSarif, toReviewText } from './printers';
import type { PatchReview, SeriesReview } from './review';

export const REVIEW_OUTPUT_OPTIONS = {
  ...OUTPUT_OPTIONS,
  emacs: { type: 'boolean' },
  showfile: { type: 'boolean' },
} as const;

export const REVIEW_OUTPUT_USAGE = `Output (as scripts/checkpatch.pl):
  --terse        one line per finding introduced: PATCH:LINE: SEVERITY: rule: message (implies --emacs and -q)
  --emacs        each finding starts PATCH:LINE: (its line in the patch input; - for standard input)
  --showfile     each finding starts FILE:LINE: of the patched file (relative to the tree) instead
  -q, --quiet    only patches that introduce something or do not apply; no summary when clean
  --no-summary   no count lines
  --mailback     no output at all when the series is clean (nothing introduced, every patch applied)
  --no-color     no colour (also: NO_COLOR set to anything non-empty); --color forces it
  --exit-zero    exit status 0 when something is introduced (2 still means unusable input)
  -h, --help     this text`;

interface OutputValues {
  format?: string;
  color?: boolean;
  'no-color'?: boolean;
  terse?: boolean;
  emacs?: boolean;
  showfile?: boolean;
  quiet?: boolean[];
  'no-summary'?: boolean;
  mailback?: boolean;
}

export function reviewOutput(values: OutputValues, io: Io) {
  const quiet = !!values.quiet?.length;
  const format = values.format ?? 'text';
  const progress = new Progress(io, progressWanted(io, { quiet, terse: values.terse, format }));
  let findings = 0;
  return {
    onPatchDone: (r: PatchReview, done: number, total: number) => {
      findings += r.introduced.length;
      progress.update(done, total, findings, 'patches');
    },
    done: () => progress.clear(),
    print: (review: SeriesReview, version: string, treeUri: string) => {
      if (values.mailback && isReviewClean(review)) return;
      if (format === 'json') io.out(toReviewJson(review));
      else if (format === 'sarif') io.out(toReviewSarif(review, version, treeUri));
      else {
        io.out(
          toReviewText(review, {
            color: useColor(values, io),
            terse: values.terse,
            emacs: values.emacs,
            showfile: values.showfile,
            quiet,
            summary: !values['no-summary'],
          }),
        );
      }
    },
  };
}
