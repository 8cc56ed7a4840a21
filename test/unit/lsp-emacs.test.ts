/**
 * Emacs with eglot as the client of `vfslock lsp --stdio`: `emacs --batch` (Debian's emacs-nox and elpa-eglot, as a
 * Debian user has them: site-start activates the elpa packages) loads the init snippet of docs/editors.md verbatim
 * (with `vfslock` on PATH pointing at dist/cli.js), opens a buggy C file in c-mode, starts eglot as `M-x eglot` does,
 * waits for Flymake's diagnostics, applies the preferred quick fix through `eglot-code-actions` (eglot edits the buffer
 * and sends the didChange), waits for Flymake to clear, asks ElDoc for the hover on inode_lock, shuts the server
 * down, and writes what it saw as JSON.
 * Batch Emacs has no command loop, so it never becomes idle: eglot sends buffer changes and Flymake re-checks from
 * idle timers. The driver runs the pending idle timers after each half second of waiting, as the command loop does
 * when the user pauses.
 * Skipped when `emacs` or eglot is missing (scripts/e2e/setup.sh installs them), except in CI, where it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { SET_OWNER_C, vfslockOnPath } from '../helpers/editors';

const EMACS = process.env.VFSLOCK_EMACS ?? 'emacs';

/** Emacs's version when it runs and loads eglot, else null. */
function emacsWithEglot(): string | null {
  const r = spawnSync(EMACS, ['--batch', '--eval', '(progn (require (quote eglot)) (princ emacs-version))'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  return r.status === 0 && /^\d+\.\d+/.test(r.stdout) ? r.stdout.trim() : null;
}

/** The first ```elisp block under "### Emacs (eglot)" in docs/editors.md. */
function eglotSnippet(): string {
  const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'editors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Emacs (eglot)'));
  const start = section.indexOf('```elisp\n');
  assert.ok(start >= 0, 'docs/editors.md has an eglot elisp snippet');
  return section.slice(start + 9, section.indexOf('```', start + 9));
}

// The C file: a setattr under the inode lock with no delegation break (deleg/missing-break).
const SOURCE = SET_OWNER_C;

const DRIVER = `
(require 'cl-lib)
(require 'json)
(require 'flymake)
(require 'eglot)
(defvar vfslock-result nil)
(defun vfslock-put (key value) (setq vfslock-result (cons (cons key value) vfslock-result)))
(defun vfslock-run-idle-timers ()
  "Run the pending idle timers, as the command loop does when the user pauses."
  (dolist (timer (copy-sequence timer-idle-list))
    (when (memq timer timer-idle-list) (timer-event-handler timer))))
(defun vfslock-wait (pred seconds)
  "Let process output and timers run until PRED holds or SECONDS pass; PRED's last value.
Each half second without PRED counts as a pause of the user's."
  (let* ((deadline (+ (float-time) seconds)) (pause (+ (float-time) 0.5)) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      (when (> (float-time) pause)
        (vfslock-run-idle-timers)
        (setq pause (+ (float-time) 0.5))))
    v))
(defun vfslock-pos (pos)
  "POS as a 0-based [line character] pair."
  (save-excursion (goto-char pos) (vector (1- (line-number-at-pos)) (- pos (line-beginning-position)))))
(defun vfslock-diags ()
  (vconcat
   (mapcar (lambda (d)
             (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))))
               \`((start . ,(vfslock-pos (flymake-diagnostic-beg d)))
                 (end . ,(vfslock-pos (flymake-diagnostic-end d)))
                 (type . ,(symbol-name (flymake-diagnostic-type d)))
                 (text . ,(flymake-diagnostic-text d))
                 (code . ,(plist-get lsp :code))
                 (href . ,(plist-get (plist-get lsp :codeDescription) :href)))))
           (sort (flymake-diagnostics)
                 (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b)))))))
(condition-case err
    (progn
      (vfslock-put 'version emacs-version)
      (find-file (getenv "VFSLOCK_FILE"))
      (vfslock-put 'mode (symbol-name major-mode))
      ;; What M-x eglot does when eglot-server-programs names the server for the buffer's mode.
      (apply #'eglot (eglot--guess-contact))
      (vfslock-put 'managed (if (eglot-current-server) t :json-false))
      (vfslock-put 'got_diagnostics (if (vfslock-wait #'flymake-diagnostics 60) t :json-false))
      (vfslock-put 'before (vfslock-diags))
      (let ((d (car (flymake-diagnostics)))
            (titles nil))
        (when d
          ;; M-x eglot-code-actions on the diagnostic, RET at the prompt: eglot's default is the server's
          ;; preferred action.
          (goto-char (flymake-diagnostic-beg d))
          (let ((last-nonmenu-event ?\\r)
                (completing-read-function
                 (lambda (prompt collection &rest args)
                   (setq titles (mapcar #'car collection))
                   (vfslock-put 'prompt prompt)
                   (nth 4 args))))
            (eglot-code-actions (flymake-diagnostic-beg d) (flymake-diagnostic-end d) "quickfix" t))
          (vfslock-put 'actions (vconcat titles))
          (vfslock-put 'fixed_text (buffer-substring-no-properties (point-min) (point-max)))
          (vfslock-put 'cleared (if (vfslock-wait (lambda () (null (flymake-diagnostics))) 60) t :json-false))
          (vfslock-put 'after (vfslock-diags))))
      ;; M-x eldoc on inode_lock: eglot's hover, as ElDoc displays it.
      (goto-char (point-min))
      (when (search-forward "inode_lock(" nil t)
        (goto-char (+ (match-beginning 0) 2))
        (let (docs)
          (add-hook 'eldoc-display-functions (lambda (ds _interactive) (setq docs ds)) nil t)
          (eldoc-print-current-symbol-info t)
          (vfslock-wait (lambda () docs) 30)
          (vfslock-put 'hover (mapconcat #'car docs "\\n"))))
      (eglot-shutdown (eglot-current-server))
      (vfslock-put 'shutdown t))
  (error (vfslock-put 'error (error-message-string err))))
(with-temp-file (getenv "VFSLOCK_OUT") (insert (json-encode vfslock-result)))
(kill-emacs 0)
`;

const version = emacsWithEglot();

// In CI (CI=true, after scripts/e2e/setup.sh) a missing Emacs or eglot fails the test instead of skipping it.
test(
  'headless Emacs + eglot with the docs/editors.md init: Flymake diagnostics, quick fix through eglot, ElDoc hover',
  {
    skip:
      version || process.env.CI === 'true'
        ? false
        : `${EMACS} with eglot is not installed (Debian: apt-get install emacs-nox elpa-eglot; scripts/e2e/setup.sh installs them)`,
    timeout: 180000,
  },
  (t) => {
    assert.ok(
      version,
      `${EMACS} with eglot is not installed: scripts/e2e/setup.sh installs Debian's emacs-nox and elpa-eglot`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'vfslock-emacs-'));
    try {
      // `vfslock` on PATH, as the snippet calls it.
      const bin = vfslockOnPath(dir);
      const file = join(dir, 'set_owner.c');
      writeFileSync(file, SOURCE);
      writeFileSync(join(dir, 'init.el'), eglotSnippet());
      writeFileSync(join(dir, 'driver.el'), DRIVER);
      const out = join(dir, 'out.json');
      const r = spawnSync(EMACS, ['--batch', '-l', join(dir, 'init.el'), '-l', join(dir, 'driver.el')], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 150000,
        // HOME: no user's ~/.emacs.d (packages, eglot settings) comes into the run.
        env: {
          ...process.env,
          HOME: dir,
          PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
          VFSLOCK_OUT: out,
          VFSLOCK_FILE: file,
        },
      });
      assert.ok(
        existsSync(out),
        `Emacs wrote no result (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`,
      );
      const res = JSON.parse(readFileSync(out, 'utf8'));
      t.diagnostic(`Emacs ${res.version}; code actions: ${(res.actions ?? []).join(' | ')}`);
      assert.equal(res.error, undefined, `${res.error}\n${r.stderr}`);
      assert.equal(res.mode, 'c-mode');
      assert.equal(res.managed, true, 'eglot manages the buffer');
      assert.equal(res.got_diagnostics, true, 'Flymake got diagnostics');
      const lines = SOURCE.split('\n');
      const callLine = lines.findIndex((l) => l.includes('->setattr('));
      assert.deepEqual(res.before, [
        {
          start: [callLine, lines[callLine].indexOf('inode->i_op->setattr')],
          end: [callLine, lines[callLine].indexOf(';')],
          type: 'eglot-error',
          text:
            'vfslock [deleg/missing-break]: example_set_owner: ->setattr changes attributes of inode without first ' +
            "breaking inode's delegation.",
          code: 'deleg/missing-break',
          href: 'https://github.com/vfs-lock-review/vfs-lock-review/blob/main/docs/rules/deleg-missing-break.md',
        },
      ]);
      // Both actions are quick fixes, so eglot asks; its default (the server's preferred action) is the fix.
      assert.match(res.prompt, /^\[eglot\] Pick an action \(default Break the delegation of inode first/);
      assert.deepEqual(res.actions, [
        'Break the delegation of inode first, then wait and retry after unlocking',
        'Open documentation for deleg/missing-break',
      ]);
      assert.match(
        res.fixed_text,
        /\n\terror = try_break_deleg\(inode, &delegated_inode\);\n\tif \(!error\)\n\t\terror = inode->i_op->setattr\(/,
      );
      assert.match(
        res.fixed_text,
        /\n\tif \(delegated_inode\) \{\n\t\terror = break_deleg_wait\(&delegated_inode\);\n/,
      );
      assert.equal(res.cleared, true, `diagnostics after the fix: ${JSON.stringify(res.after)}`);
      assert.deepEqual(res.after, []);
      assert.match(res.hover ?? '', /^\*\*inode_lock\(\)\*\* takes the lock of `inode`/);
      assert.equal(res.shutdown, true, 'the server answered shutdown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
