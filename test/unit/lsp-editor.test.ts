/**
 * A real editor as the client of `vfslock lsp --stdio`: headless Neovim runs the `init.lua` snippet of
 * docs/editors.md verbatim (with `vfslock` on PATH pointing at dist/cli.js), opens a buggy C file, waits for the
 * diagnostics, asks for the code actions, applies the quick fix through Neovim's own workspace-edit code (which
 * sends the didChange), waits for the diagnostics to clear, hovers over inode_lock, and writes what it saw as JSON.
 * Skipped when `nvim` is not installed (scripts/e2e/setup.sh installs Debian's neovim), except in CI, where it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { CLI } from '../helpers/lsp-client';

const NVIM = process.env.VFSLOCK_NVIM ?? 'nvim';

function nvimVersion(): [number, number, number] | null {
  const r = spawnSync(NVIM, ['--version'], { encoding: 'utf8', timeout: 10000 });
  const m = r.status === 0 ? /NVIM v(\d+)\.(\d+)\.(\d+)/.exec(r.stdout) : null;
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The first ```lua block under "### Neovim" in docs/editors.md. */
function neovimSnippet(): string {
  const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'editors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Neovim'));
  const start = section.indexOf('```lua\n');
  assert.ok(start >= 0, 'docs/editors.md has a Neovim lua snippet');
  return section.slice(start + 7, section.indexOf('```', start + 7));
}

/** Neovim 0.7 has no vim.lsp.start: the same config through start_client + buf_attach_client. */
const POLYFILL = `
if not vim.lsp.start then
  local started = {}
  vim.lsp.start = function(config)
    started[config.name] = started[config.name] or vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(0, started[config.name])
    return started[config.name]
  end
end
`;

const DRIVER = `
local out = os.getenv('VFSLOCK_OUT')
local res = {}
local function lspcode(d)
  local l = d.user_data and d.user_data.lsp or {}
  return d.code or l.code
end
local function simple(list)
  local t = {}
  for _, d in ipairs(list) do
    local l = d.user_data and d.user_data.lsp or {}
    table.insert(t, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, severity = d.severity,
      source = d.source or l.source, code = lspcode(d), href = l.codeDescription and l.codeDescription.href or vim.NIL,
      message = d.message })
  end
  return t
end
local ok, err = pcall(function()
  local v = vim.version()
  res.version = v.major .. '.' .. v.minor .. '.' .. v.patch
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('VFSLOCK_FILE')))
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].filetype ~= 'c' then vim.bo[buf].filetype = 'c' end
  res.got_diagnostics = vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  res.before = simple(vim.diagnostic.get(buf))
  local d = vim.diagnostic.get(buf)[1]
  if not d then return end
  local uri = vim.uri_from_bufnr(buf)
  local lsp = d.user_data and d.user_data.lsp
  local range = lsp and lsp.range or { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } }
  local answers = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction',
    { textDocument = { uri = uri }, range = range, context = { diagnostics = { lsp } } }, 60000) or {}
  res.actions = {}
  local fix
  for _, a in pairs(answers) do
    for _, action in ipairs(a.result or {}) do
      table.insert(res.actions, { title = action.title, kind = action.kind, has_edit = action.edit ~= nil })
      if action.edit and not fix then fix = action end
    end
  end
  if fix then
    vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
    res.fixed_text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\\n')
    res.cleared = vim.wait(60000, function() return #vim.diagnostic.get(buf) == 0 end, 50)
    res.after = simple(vim.diagnostic.get(buf))
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i, line in ipairs(lines) do
    local c = line:find('inode_lock(', 1, true)
    if c then
      local h = vim.lsp.buf_request_sync(buf, 'textDocument/hover',
        { textDocument = { uri = uri }, position = { line = i - 1, character = c + 1 } }, 30000) or {}
      for _, a in pairs(h) do
        if a.result then res.hover = a.result.contents.value end
      end
      break
    end
  end
end)
if not ok then res.error = tostring(err) end
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(res))
f:close()
vim.cmd('qa!')
`;

const version = nvimVersion();

// In CI (CI=true, after scripts/e2e/setup.sh) a missing Neovim fails the test instead of skipping it.
test(
  'headless Neovim with the docs/editors.md config: diagnostics, quick fix through the editor, hover',
  {
    skip:
      version || process.env.CI === 'true'
        ? false
        : `${NVIM} is not installed (Debian: apt-get install neovim; scripts/e2e/setup.sh installs it)`,
    timeout: 180000,
  },
  (t) => {
    assert.ok(version, `${NVIM} is not installed: scripts/e2e/setup.sh installs Debian's neovim`);
    const dir = mkdtempSync(join(tmpdir(), 'vfslock-nvim-'));
    try {
      // `vfslock` on PATH, as the snippet calls it.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'vfslock'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
      chmodSync(join(bin, 'vfslock'), 0o755);
      const file = join(dir, 'missing_break.c');
      const text = readFileSync(join(PROJECT_ROOT, 'examples', 'missing_break.c'), 'utf8');
      writeFileSync(file, text);
      writeFileSync(join(dir, 'init.lua'), POLYFILL + neovimSnippet());
      writeFileSync(join(dir, 'driver.lua'), DRIVER);
      const out = join(dir, 'out.json');
      const xdg = join(dir, 'xdg');
      const r = spawnSync(
        NVIM,
        ['--headless', '-n', '-i', 'NONE', '-u', join(dir, 'init.lua'), '-c', `luafile ${join(dir, 'driver.lua')}`],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 150000,
          env: {
            ...process.env,
            PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
            VFSLOCK_OUT: out,
            VFSLOCK_FILE: file,
            XDG_CONFIG_HOME: xdg,
            XDG_DATA_HOME: xdg,
            XDG_STATE_HOME: xdg,
            XDG_CACHE_HOME: xdg,
          },
        },
      );
      assert.ok(
        existsSync(out),
        `Neovim wrote no result (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`,
      );
      const res = JSON.parse(readFileSync(out, 'utf8'));
      t.diagnostic(
        `Neovim ${res.version}; code actions: ${(res.actions ?? []).map((a: { title: string }) => a.title).join(' | ')}`,
      );
      assert.equal(res.error, undefined, res.error);
      assert.equal(res.got_diagnostics, true, 'diagnostics arrived');
      const lines = text.split('\n');
      const callLine = lines.findIndex((l) => l.includes('->setattr('));
      assert.deepEqual(
        res.before.map(
          (d: {
            code: string;
            lnum: number;
            col: number;
            end_lnum: number;
            end_col: number;
            severity: number;
            source: string;
          }) => [d.code, d.lnum, d.col, d.end_lnum, d.end_col, d.severity, d.source],
        ),
        [
          [
            'deleg/missing-break',
            callLine,
            lines[callLine].indexOf('inode->i_op->setattr'),
            callLine,
            lines[callLine].indexOf(';'),
            1,
            'vfslock',
          ],
        ],
      );
      assert.equal(
        res.before[0].href,
        'https://github.com/vfs-lock-review/vfs-lock-review/blob/main/docs/rules/deleg-missing-break.md',
      );
      assert.ok(
        res.actions.some((a: { kind: string; has_edit: boolean }) => a.kind === 'quickfix' && a.has_edit),
        JSON.stringify(res.actions),
      );
      assert.notEqual(res.fixed_text, text.replace(/\n$/, ''), 'the quick fix changed the buffer');
      assert.equal(res.cleared, true, `diagnostics after the fix: ${JSON.stringify(res.after)}`);
      assert.deepEqual(res.after, []);
      assert.match(res.hover ?? '', /^\*\*inode_lock\(\)\*\* takes the lock of `inode`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
