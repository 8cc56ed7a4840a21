/**
 * The compiler-output set-ups of docs/editors.md, each driven by the real editor from its Debian package, with the
 * snippet read out of the doc verbatim and `vfslock` on PATH pointing at dist/cli.js (HOME is a scratch directory,
 * so no user's configuration comes in):
 * - Emacs compilation-mode (built in): `emacs --batch` runs the doc's `compilation-error-screen-columns` line and
 *   `(compile "vfslock check --no-color FILE")`, waits for the process, presses RET on each link of *compilation*
 *   and walks `next-error`, recording where each lands and the level compilation-mode gave it; the same for
 *   `vfslock review --tree . --emacs series.mbox` on a one-patch series.
 * - flycheck (elpa-flycheck): loads the doc's `flycheck-define-checker`, runs `flycheck-buffer` on a C file in c-mode
 *   and records `flycheck-current-errors`.
 * - ALE (vim-ale): headless vim with a ~/.vimrc of `packadd! ale` and the doc's `ale#linter#Define`, `:ALELint`, then
 *   `ale#engine#GetLoclist()` as JSON.
 * Each is skipped when the editor or package is missing (scripts/e2e/setup.sh installs them), except in CI, where it
 * fails.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { SET_OWNER_C, vfslockOnPath } from '../helpers/editors';
import { makeSeries, type Series } from '../helpers/patch-series';

const EMACS = process.env.VFSLOCK_EMACS ?? 'emacs';
const VIM = process.env.VFSLOCK_VIM ?? 'vim';
const CI = process.env.CI === 'true';
const DOC = readFileSync(join(PROJECT_ROOT, 'docs', 'editors.md'), 'utf8');

/** The code of the `n`th ```LANG block after HEADING in docs/editors.md. */
function snippet(heading: string, lang: string, n = 0): string {
  let at = DOC.indexOf(heading);
  assert.ok(at >= 0, `docs/editors.md has "${heading}"`);
  let start = -1;
  for (let i = 0; i <= n; i++) {
    start = DOC.indexOf('```' + lang + '\n', at);
    assert.ok(start >= 0, `docs/editors.md has ${lang} block ${n} after "${heading}"`);
    at = start + lang.length + 4;
  }
  return DOC.slice(at, DOC.indexOf('```', at));
}

/** `cmd args` exits 0 (the editor runs, the package loads). */
const works = (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { encoding: 'utf8', timeout: 30000, env: { ...process.env, HOME: tmpdir() } }).status === 0;

const hasEmacs = works(EMACS, ['--batch', '--eval', '(kill-emacs 0)']);
const hasFlycheck = hasEmacs && works(EMACS, ['--batch', '--eval', "(require 'flycheck)"]);
const hasAle = works(VIM, [
  '-N',
  '-u',
  'NONE',
  '-i',
  'NONE',
  '-es',
  '-c',
  'packadd ale',
  '-c',
  "if !exists(':ALELint') | cquit | endif",
  '-c',
  'qa!',
]);

/** skip unless present; in CI (after scripts/e2e/setup.sh) a missing editor fails the test instead. */
const skipUnless = (present: boolean, what: string) =>
  present || CI ? false : `${what} is not installed (scripts/e2e/setup.sh installs it from Debian)`;

// The C file: a setattr under the inode lock with no delegation break (deleg/missing-break), and its note at the lock.
const SOURCE = SET_OWNER_C;
const LINES = SOURCE.split('\n');
/** 1-based line and character column of `text` in SOURCE. */
function at(text: string): { line: number; col: number } {
  const i = LINES.findIndex((l) => l.includes(text));
  return { line: i + 1, col: LINES[i].indexOf(text) + 1 };
}
const FINDING = at('inode->i_op->setattr');
const NOTE = at('inode_lock(');
const MESSAGE =
  "example_set_owner: ->setattr changes attributes of inode without first breaking inode's delegation. " +
  '[deleg/missing-break]';

let dir = '';
let bin = '';
let file = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-editors-'));
  // `vfslock` on PATH, as the snippets call it.
  bin = vfslockOnPath(dir);
  file = join(dir, 'set_owner.c');
  writeFileSync(file, SOURCE);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `cmd args` in `cwd` with HOME=dir and vfslock on PATH; the JSON the editor wrote to $VFSLOCK_OUT. */
function runEditor(cmd: string, args: string[], env: Record<string, string>, cwd = dir) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120000,
    env: {
      ...process.env,
      HOME: dir,
      NO_COLOR: undefined,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      VFSLOCK_OUT: out,
      ...env,
    },
  });
  assert.ok(existsSync(out), `${cmd} wrote no result (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`);
  return { res: JSON.parse(readFileSync(out, 'utf8')), ms: Date.now() - t0, stderr: r.stderr };
}

const ELISP_PRELUDE = `
(require 'json)
(defvar vfslock-result nil)
(defun vfslock-put (key value) (setq vfslock-result (cons (cons key value) vfslock-result)))
(defun vfslock-finish ()
  (with-temp-file (getenv "VFSLOCK_OUT") (insert (json-encode vfslock-result)))
  (kill-emacs 0))
`;

// M-x compile: run the command, wait for it, then RET on each link and a walk with next-error.
const COMPILE_DRIVER = `${ELISP_PRELUDE}
(require 'compile)
(defun vfslock-locus (buf)
  "Where the last jump landed (the selected window's buffer) and what the link at BUF's point was."
  (let ((msg (with-current-buffer buf (get-text-property (point) 'compilation-message)))
        (text (with-current-buffer buf
                (buffer-substring-no-properties (line-beginning-position) (line-end-position)))))
    (with-current-buffer (window-buffer (selected-window))
      \`((file . ,(buffer-file-name))
        (line . ,(line-number-at-pos))
        (column . ,(1+ (- (point) (line-beginning-position))))
        (type . ,(aref ["info" "warning" "error"] (compilation--message->type msg)))
        (text . ,text)))))
(condition-case err
    (let* ((buf (compile (getenv "VFSLOCK_COMMAND")))
           (deadline (+ (float-time) 90)))
      (while (and (get-buffer-process buf) (< (float-time) deadline))
        (accept-process-output (get-buffer-process buf) 0.1))
      (vfslock-put 'finished (if (get-buffer-process buf) :json-false t))
      (vfslock-put 'output (with-current-buffer buf (buffer-substring-no-properties (point-min) (point-max))))
      ;; RET on each line compilation-mode made a link.
      (let (links)
        (with-current-buffer buf (goto-char (point-min)))
        (while (with-current-buffer buf (not (eobp)))
          (when (with-current-buffer buf (get-text-property (point) 'compilation-message))
            (with-current-buffer buf (compile-goto-error))
            (push (vfslock-locus buf) links))
          (set-buffer buf)
          (forward-line 1))
        (vfslock-put 'links (vconcat (nreverse links))))
      ;; next-error from the first locus (C-u C-x \`), then on until there is no next one.
      (let (visited)
        (condition-case e
            (progn
              (set-buffer buf)
              (next-error 1 t)
              (push (vfslock-locus buf) visited)
              (while t
                (next-error)
                (push (vfslock-locus buf) visited)))
          (error (vfslock-put 'stop (error-message-string e))))
        (vfslock-put 'next_error (vconcat (nreverse visited)))))
  (error (vfslock-put 'error (error-message-string err))))
(vfslock-finish)
`;

function emacsCompile(command: string, cwd: string) {
  const init = snippet('## Emacs\n', 'elisp', 0);
  assert.match(init, /compilation-error-screen-columns/);
  writeFileSync(join(dir, 'compile-init.el'), init);
  writeFileSync(join(dir, 'compile-driver.el'), COMPILE_DRIVER);
  return runEditor(
    EMACS,
    ['--batch', '-l', join(dir, 'compile-init.el'), '-l', join(dir, 'compile-driver.el')],
    { VFSLOCK_COMMAND: command },
    cwd,
  );
}

describe('Emacs compilation-mode (docs/editors.md, "Emacs")', { skip: skipUnless(hasEmacs, EMACS) }, () => {
  test('M-x compile with vfslock check: the finding and its note are links to their line and column', (t) => {
    assert.ok(hasEmacs, `${EMACS} is not installed: scripts/e2e/setup.sh installs Debian's emacs-nox`);
    // The command as docs/editors.md gives it, on this test's file.
    const documented = /`M-x compile` with `(vfslock check --no-color) fs\/namei\.c`/.exec(DOC);
    assert.ok(documented, 'docs/editors.md gives the M-x compile command');
    const { res, ms } = emacsCompile(`${documented[1]} set_owner.c`, dir);
    t.diagnostic(`emacs --batch compile: ${ms} ms`);
    assert.equal(res.error, undefined, res.error);
    assert.equal(res.finished, true, res.output);
    const error = { file, line: FINDING.line, column: FINDING.col, type: 'error' };
    const note = { file, line: NOTE.line, column: NOTE.col, type: 'info' };
    const strip = (l: { text: string }[]) => l.map(({ text: _text, ...rest }) => rest);
    assert.deepEqual(strip(res.links), [error, note], res.output);
    assert.equal(res.links[0].text, `set_owner.c:${FINDING.line}:${FINDING.col}: error: ${MESSAGE}`);
    assert.equal(res.links[1].text, `set_owner.c:${NOTE.line}:${NOTE.col}: note: inode locked here (inode_lock)`);
    // next-error skips info-level loci (compilation-skip-threshold 1): the finding only.
    assert.deepEqual(strip(res.next_error), [error]);
  });

  describe('review --emacs', () => {
    let s: Series;
    before(() => {
      const clean = SOURCE.replace(
        '\terror = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);\n',
        '\terror = try_break_deleg(inode, NULL);\n\tif (!error)\n\t\terror = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);\n',
      );
      s = makeSeries({ 'fs/a.c': clean }, [{ subject: 'fs: drop the break', files: { 'fs/a.c': SOURCE } }]);
      copyFileSync(s.mbox, join(s.tree, 'series.mbox'));
    });
    after(() => s?.cleanup());

    test('M-x compile with vfslock review --emacs: the finding head is an error link into the mbox', (t) => {
      assert.ok(hasEmacs, `${EMACS} is not installed: scripts/e2e/setup.sh installs Debian's emacs-nox`);
      const documented = /`(vfslock review --tree \. --emacs --no-color series\.mbox)`/.exec(DOC);
      assert.ok(documented, 'docs/editors.md gives the review command');
      const { res, ms } = emacsCompile(documented[1], s.tree);
      t.diagnostic(`emacs --batch compile (review): ${ms} ms`);
      assert.equal(res.error, undefined, res.error);
      assert.equal(res.finished, true, res.output);
      const mbox = readFileSync(s.mbox, 'utf8').split('\n');
      const added = mbox.indexOf('+\terror = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);') + 1;
      assert.ok(added > 0);
      const head = {
        file: join(s.tree, 'series.mbox'),
        line: added,
        column: 1,
        type: 'error',
        text: `series.mbox:${added}: ERROR: deleg/missing-break: ${MESSAGE.replace(' [deleg/missing-break]', '')}`,
      };
      // The note names the file in the tree (run at its top: --tree .), at the lock.
      const note = {
        file: join(s.tree, 'fs', 'a.c'),
        line: NOTE.line,
        column: NOTE.col,
        type: 'info',
        text: `fs/a.c:${NOTE.line}:${NOTE.col}: note: inode locked here (inode_lock)`,
      };
      assert.deepEqual(res.links, [head, note], res.output);
      assert.deepEqual(res.next_error, [head], 'next-error visits the finding');
    });
  });
});

const FLYCHECK_DRIVER = `${ELISP_PRELUDE}
(condition-case err
    (progn
      (vfslock-put 'version (condition-case nil (progn (require 'pkg-info) (flycheck-version)) (error "?")))
      (find-file (getenv "VFSLOCK_FILE"))
      (vfslock-put 'mode (symbol-name major-mode))
      (flycheck-mode 1)
      (vfslock-put 'checker (symbol-name (flycheck-get-checker-for-buffer)))
      (flycheck-buffer)
      (let ((deadline (+ (float-time) 90)))
        (while (and (flycheck-running-p) (< (float-time) deadline))
          (accept-process-output nil 0.05)))
      (vfslock-put 'status (symbol-name flycheck-last-status-change))
      (vfslock-put 'errors
                   (vconcat
                    (mapcar (lambda (e)
                              (let ((region (flycheck-error-region-for-mode e 'symbols)))
                                \`((level . ,(symbol-name (flycheck-error-level e)))
                                  (line . ,(flycheck-error-line e))
                                  (column . ,(flycheck-error-column e))
                                  (checker . ,(symbol-name (flycheck-error-checker e)))
                                  (message . ,(flycheck-error-message e))
                                  (text . ,(buffer-substring-no-properties (car region) (cdr region))))))
                            flycheck-current-errors))))
  (error (vfslock-put 'error (error-message-string err))))
(vfslock-finish)
`;

test(
  'flycheck runs the documented checker: the finding is an error at its line and column, the note an info',
  { skip: skipUnless(hasFlycheck, 'flycheck (elpa-flycheck)') },
  (t) => {
    assert.ok(hasFlycheck, `${EMACS} with flycheck is not installed: scripts/e2e/setup.sh installs elpa-flycheck`);
    const checker = snippet('## Emacs\n', 'elisp', 1);
    assert.match(checker, /^\(flycheck-define-checker vfslock/);
    writeFileSync(join(dir, 'flycheck-init.el'), checker);
    writeFileSync(join(dir, 'flycheck-driver.el'), FLYCHECK_DRIVER);
    const { res, ms } = runEditor(
      EMACS,
      [
        '--batch',
        '--eval',
        "(require 'flycheck)",
        '-l',
        join(dir, 'flycheck-init.el'),
        '-l',
        join(dir, 'flycheck-driver.el'),
      ],
      { VFSLOCK_FILE: file },
    );
    t.diagnostic(`emacs --batch flycheck ${res.version}: ${ms} ms`);
    assert.equal(res.error, undefined, res.error);
    assert.equal(res.mode, 'c-mode');
    assert.equal(res.checker, 'vfslock');
    assert.equal(res.status, 'finished');
    assert.deepEqual(res.errors, [
      { level: 'info', ...lc(NOTE), checker: 'vfslock', message: 'inode locked here (inode_lock)', text: 'inode_lock' },
      { level: 'error', ...lc(FINDING), checker: 'vfslock', message: MESSAGE, text: 'inode' },
    ]);
  },
);
const lc = (p: { line: number; col: number }) => ({ line: p.line, column: p.col });

// ALE: lint, wait until ALE is done with the buffer (bounded), write its loclist.
const ALE_DRIVER = `
filetype plugin on
execute 'edit ' . fnameescape($VFSLOCK_FILE)
let s:r = {'filetype': &filetype}
ALELint
let s:n = 0
while s:n < 900 && (ale#engine#IsCheckingBuffer(bufnr('')) || !has_key(get(g:ale_buffer_info, bufnr(''), {}), 'loclist'))
  sleep 100m
  let s:n += 1
endwhile
let s:r.checking = ale#engine#IsCheckingBuffer(bufnr(''))
let s:r.loclist = map(copy(ale#engine#GetLoclist(bufnr(''))), {_, v -> {'linter': get(v, 'linter_name', ''), 'lnum': v.lnum, 'col': v.col, 'type': v.type, 'text': v.text, 'detail': get(v, 'detail', '')}})
call writefile([json_encode(s:r)], $VFSLOCK_OUT)
qa!
`;

test(
  'ALE runs the documented linter: the finding is an E at its line and column, the note in its detail',
  { skip: skipUnless(hasAle, 'vim with ALE (vim-ale)') },
  (t) => {
    assert.ok(hasAle, `${VIM} with ALE is not installed: scripts/e2e/setup.sh installs Debian's vim and vim-ale`);
    const linter = snippet('**ALE**', 'vim');
    assert.match(linter, /^call ale#linter#Define\('c', \{/);
    // ~/.vimrc as the doc says: Debian's vim-ale is an optional package, added before the linter is defined.
    writeFileSync(join(dir, '.vimrc'), `packadd! ale\n${linter}`);
    writeFileSync(join(dir, 'ale-driver.vim'), ALE_DRIVER);
    const { res, ms } = runEditor(
      VIM,
      ['-N', '-i', 'NONE', '-es', '-u', join(dir, '.vimrc'), '-S', join(dir, 'ale-driver.vim')],
      { VFSLOCK_FILE: file },
    );
    t.diagnostic(`vim -es ALE: ${ms} ms; other linters' entries: ${res.loclist.length - 1}`);
    assert.equal(res.filetype, 'c');
    assert.equal(res.checking, 0, 'ALE finished');
    // ALE runs every C linter it finds (gcc where installed); vfslock's entries are ours.
    assert.deepEqual(
      res.loclist.filter((e: { linter: string }) => e.linter === 'vfslock'),
      [
        {
          linter: 'vfslock',
          lnum: FINDING.line,
          col: FINDING.col,
          type: 'E',
          text: MESSAGE,
          detail: `${MESSAGE}\n${file}:${NOTE.line}:${NOTE.col}: note: inode locked here (inode_lock)`,
        },
      ],
    );
  },
);
