"""End-to-end tests of `pipelint lsp` with a real LSP client (pytest-lsp, over stdio).

The server binary is `$PIPELINT_BIN`, else `target/debug/pipelint` in this repository
(`.ci/run` builds it first). Every test gets a fresh server and a fresh workspace folder in a
temporary directory holding copies of `fixtures/`.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES = HERE / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"
SERVER = os.environ.get("PIPELINT_BIN") or str(REPO / "target" / "debug" / "pipelint")
DOCS_URL = "https://pipelint.dev/rules/{rule}"

# Figures measured by tests and printed at the end of the run (reported, never asserted).
MEASUREMENTS: list[str] = []


def record_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.publishes.append((time.monotonic(), params))


def record_registration(client: LanguageClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)


def make_client() -> LanguageClient:
    """pytest-lsp's client, keeping every publishDiagnostics with the time it arrived, and
    accepting dynamic registrations (the config file watcher) as editors do."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = record_registration
    register_lsp_features(client, features)
    client.publishes = []
    client.registrations = []
    return client


CONFIG = ClientServerConfig(
    server_command=[SERVER, "lsp", "--stdio"], client_factory=make_client
)


@pytest.fixture
def workspace(tmp_path: pathlib.Path) -> pathlib.Path:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURES, ws)
    return ws


def initialize_params(
    workspace: pathlib.Path,
    encodings: list[str] | None = None,
    *,
    editor: str = "visual-studio-code",
    options: dict | None = None,
) -> types.InitializeParams:
    capabilities = client_capabilities(editor)
    if encodings is not None:
        capabilities.general.position_encodings = [
            types.PositionEncodingKind(e) for e in encodings
        ]
    return types.InitializeParams(
        capabilities=capabilities,
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        initialization_options={"docsUrl": DOCS_URL, **(options or {})},
    )


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A VS Code-like client (UTF-16 positions) on the workspace."""
    lsp_client.init_result = await lsp_client.initialize_session(
        initialize_params(workspace)
    )
    yield
    await lsp_client.shutdown_session()
    # shutdown then exit: the server ends with status 0, as the spec asks.
    assert lsp_client._server.returncode == 0


@pytest_lsp.fixture(config=CONFIG)
async def client_utf8(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A client that prefers UTF-8 positions."""
    lsp_client.init_result = await lsp_client.initialize_session(
        initialize_params(workspace, ["utf-8", "utf-16"])
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def pull_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A client that pulls diagnostics (`textDocument/diagnostic`, `workspace/diagnostic`)
    and accepts `workspace/diagnostic/refresh`, as VS Code does today."""
    params = initialize_params(workspace)
    params.capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        related_document_support=False
    )
    params.capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    lsp_client.init_result = await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def emacs_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """Emacs 29 (Eglot): no `codeDescriptionSupport`, pushed diagnostics."""
    lsp_client.init_result = await lsp_client.initialize_session(
        initialize_params(workspace, editor="emacs")
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def snippet_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A client that takes LSP 3.18 snippet edits (`snippetEditSupport`) and resolves code
    actions."""
    params = initialize_params(workspace)
    params.capabilities.workspace.workspace_edit.snippet_edit_support = True
    lsp_client.init_result = await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def plaintext_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A client that prefers plain-text hover."""
    params = initialize_params(workspace)
    params.capabilities.text_document.hover.content_format = [
        types.MarkupKind.PlainText,
        types.MarkupKind.Markdown,
    ]
    lsp_client.init_result = await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def configured_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    """Settings in `initializationOptions`: one rule, a low cap, a log file at info."""
    lsp_client.init_result = await lsp_client.initialize_session(
        initialize_params(
            workspace,
            options={
                "select": ["unpinned-image", "missing-resource-limits"],
                "maxDiagnostics": 1,
                "logLevel": "info",
                "logFile": "pipelint-lsp.log",
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


# ---------------------------------------------------------------------------------------
# Helpers shared by the tests


def open_doc(
    client: LanguageClient, path: pathlib.Path, text: str | None = None, version: int = 1
) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="yaml",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def edit_doc(
    client: LanguageClient, uri: str, version: int, edits: list[tuple[tuple[int, int, int, int], str]]
):
    """Incremental changes: each ((start line, start char, end line, end char), new text)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=r[0], character=r[1]),
                        end=types.Position(line=r[2], character=r[3]),
                    ),
                    text=text,
                )
                for r, text in edits
            ],
        )
    )


def change_doc(client: LanguageClient, uri: str, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_publish(
    client: LanguageClient,
    uri: str,
    *,
    since: int = 0,
    version: int | None = None,
    timeout: float = 10.0,
) -> tuple[float, types.PublishDiagnosticsParams]:
    """The first publishDiagnostics for `uri` (and `version`) after publish number `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for at, params in client.publishes[since:]:
            if params.uri == uri and (version is None or params.version == version):
                return at, params
        await asyncio.sleep(0.005)
    seen = [(p.uri, p.version) for _, p in client.publishes[since:]]
    raise AssertionError(f"no diagnostics for {uri} v{version} within {timeout}s; saw {seen}")


async def no_publish(client: LanguageClient, uri: str, *, since: int = 0, wait: float = 1.0):
    await asyncio.sleep(wait)
    got = [p for _, p in client.publishes[since:] if p.uri == uri]
    assert not got, f"unexpected diagnostics for {uri}: {got}"


def rng(l0: int, c0: int, l1: int, c1: int) -> tuple[int, int, int, int]:
    """A range as a hashable tuple: (start line, start character, end line, end character)."""
    return (l0, c0, l1, c1)


def tup(r: types.Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Applies LSP text edits (UTF-16 positions) the way an editor does."""
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        # Python strings index code points; convert the UTF-16 column on that line.
        before = sum(len(line) for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return before + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return before + len(line.rstrip("\r\n"))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("pipelint lsp measurements (reported, not asserted)")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
