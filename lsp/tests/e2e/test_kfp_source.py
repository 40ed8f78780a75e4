"""KFP IR findings shown on the Python that produced them (the real compiled pair of
`testdata/sourcemap/`), refreshed when the Python changes."""

from __future__ import annotations

import asyncio
import shutil
import time

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import DOCS_URL, REPO, change_doc, open_doc

IR = REPO / "testdata" / "sourcemap" / "nested.yaml"
PY = REPO / "testdata" / "kfp-src" / "sourcemap_nested.py"


def place(text: str, snippet: str) -> tuple[int, int]:
    """0-based line and UTF-16 character of the one occurrence of `snippet`."""
    assert text.count(snippet) == 1, snippet
    before = text[: text.index(snippet)]
    line = before.count("\n")
    column = len(before) - (before.rfind("\n") + 1)
    return line, column


async def wait_for(client: LanguageClient, uri: str, wanted, since: int = 0, timeout=10.0):
    """The first publish of `uri` from publish number `since` on whose diagnostics pass
    `wanted`, and the number of the next publish."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i in range(since, len(client.publishes)):
            params = client.publishes[i][1]
            if params.uri == uri and wanted(params.diagnostics):
                return params.diagnostics, i + 1
        await asyncio.sleep(0.01)
    seen = [(p.uri, len(p.diagnostics)) for _, p in client.publishes[since:]]
    raise AssertionError(f"no wanted diagnostics for {uri} within {timeout}s; saw {seen}")


async def test_ir_findings_land_on_the_python_and_go_when_it_no_longer_matches(
    client: LanguageClient, workspace
):
    shutil.copy(IR, workspace / "nested.yaml")
    shutil.copy(PY, workspace / "sourcemap_nested.py")
    python = PY.read_text(encoding="utf-8")
    py_uri = open_doc(client, workspace / "sourcemap_nested.py")
    ir_uri = open_doc(client, workspace / "nested.yaml")

    on_py, since = await wait_for(client, py_uri, lambda d: len(d) > 0)
    got = {(d.code, d.range.start.line, d.range.start.character) for d in on_py}
    for rule, snippet in [
        ("missing-timeout", "train_model(seed=seed)"),
        ("missing-resource-limits", 'train_task.set_cpu_limit("4")'),
        ("io-step-without-retry", "fetch_shard(shard=day)"),
    ]:
        assert (rule, *place(python, snippet)) in got, (rule, snippet, got)
    timeout = next(
        d for d in on_py
        if d.code == "missing-timeout"
        and (d.range.start.line, d.range.start.character) == place(python, "train_model(seed=seed)")
    )
    assert timeout.source == "pipelint"
    assert timeout.code_description.href == DOCS_URL.format(rule="missing-timeout")
    assert timeout.related_information[0].location.uri == ir_uri

    # The ignore comment is offered on that Python line.
    line = timeout.range.start.line
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=py_uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in actions]
    assert "Ignore missing-timeout with a comment" in titles, titles

    # A component edited in the editor: the IR is older than the Python; nothing is left on
    # the Python, and the IR says so.
    edited = python.replace("    import boto3\n", "    import boto3  # edited\n", 1)
    assert edited != python
    change_doc(client, py_uri, 2, edited)
    await wait_for(client, py_uri, lambda d: len(d) == 0, since)
    on_ir, _ = await wait_for(
        client, ir_uri, lambda d: any(x.code == "stale-compiled-pipeline" for x in d)
    )
    assert sum(d.code == "stale-compiled-pipeline" for d in on_ir) == 1


async def test_a_pulled_python_report_holds_the_mapped_ir_findings(
    pull_client: LanguageClient, workspace
):
    shutil.copy(IR, workspace / "nested.yaml")
    shutil.copy(PY, workspace / "sourcemap_nested.py")
    python = PY.read_text(encoding="utf-8")
    py_uri = open_doc(pull_client, workspace / "sourcemap_nested.py")
    ir_uri = open_doc(pull_client, workspace / "nested.yaml")

    async def pull(uri: str):
        return await pull_client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    # The IR's report waits for its lint, which maps its findings into the Python.
    ir = await pull(ir_uri)
    assert not any(d.code == "stale-compiled-pipeline" for d in ir.items)
    py = await pull(py_uri)
    got = {(d.code, d.range.start.line, d.range.start.character) for d in py.items}
    assert ("missing-timeout", *place(python, "train_model(seed=seed)")) in got, got
    # The image finding sits on the string that names the image, where the pin goes.
    assert ("unpinned-image", *place(python, "ghcr.io/acme/exporter:1.4")) in got, got
    assert not pull_client.publishes


async def test_python_changed_on_disk_is_read_again(client: LanguageClient, workspace):
    shutil.copy(IR, workspace / "nested.yaml")
    py_path = workspace / "sourcemap_nested.py"
    shutil.copy(PY, py_path)
    py_uri = py_path.as_uri()
    ir_uri = open_doc(client, workspace / "nested.yaml")
    _, since = await wait_for(client, py_uri, lambda d: len(d) > 0)

    # Not open in the editor: changed on disk, reported by the file watcher.
    python = PY.read_text(encoding="utf-8")
    py_path.write_text(python.replace("    return rows > 1000\n", "    return rows > 10\n", 1))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=py_uri, type=types.FileChangeType.Changed)]
        )
    )
    await wait_for(client, py_uri, lambda d: len(d) == 0, since)
    on_ir, _ = await wait_for(
        client, ir_uri, lambda d: any(x.code == "stale-compiled-pipeline" for x in d), since
    )
    (stale,) = [d for d in on_ir if d.code == "stale-compiled-pipeline"]
    assert "check_quality" in stale.message


async def test_workspace_diagnostics_put_ir_findings_on_the_python(
    pull_client: LanguageClient, workspace
):
    shutil.copy(IR, workspace / "nested.yaml")
    py_path = workspace / "sourcemap_nested.py"
    shutil.copy(PY, py_path)
    python = PY.read_text(encoding="utf-8")

    async def workspace_reports():
        result = await pull_client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[])
        )
        return {r.uri: r for r in result.items}

    # Neither file open: the IR's workspace report, and one for the Python.
    reports = await workspace_reports()
    ir_uri, py_uri = (workspace / "nested.yaml").as_uri(), py_path.as_uri()
    on_py = {(d.code, d.range.start.line, d.range.start.character) for d in reports[py_uri].items}
    assert ("missing-timeout", *place(python, "train_model(seed=seed)")) in on_py, on_py
    assert not any(d.code == "stale-compiled-pipeline" for d in reports[ir_uri].items)

    # The Python open and edited so that the IR is stale: the next workspace pull lints
    # the IR again with the editor's text, and the Python's own report has nothing.
    # (Opening it drops the IR's report, which the next workspace pull makes again.)
    open_doc(pull_client, py_path)
    await workspace_reports()
    py = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=py_uri))
    )
    assert "missing-timeout" in {d.code for d in py.items}
    edited = python.replace("    return rows > 1000\n", "    return rows > 10\n", 1)
    change_doc(pull_client, py_uri, 2, edited)
    reports = await workspace_reports()
    assert py_uri not in reports  # open: its report comes with textDocument/diagnostic
    assert sum(d.code == "stale-compiled-pipeline" for d in reports[ir_uri].items) == 1
    py = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=py_uri))
    )
    assert list(py.items) == []
