"""Code actions (quick fixes, the ignore comment and "Fix all", listed without edits and
resolved when chosen), hover, and configuration."""

from __future__ import annotations

import asyncio
import pathlib

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import REPO, apply_edits, change_doc, open_doc, tup, wait_publish


async def resolved(client: LanguageClient, actions: list[types.CodeAction]):
    """The actions as the editor applies them: a client that resolves code actions (VS Code
    here) gets them listed without edits, each with the data to resolve it by; others get
    the edits in the list."""
    out = []
    for a in actions:
        if a.edit is None:
            assert a.data is not None, a
            a = await client.code_action_resolve_async(a)
        out.append(a)
    return out


async def actions_for(client: LanguageClient, uri: str, diagnostic: types.Diagnostic):
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    # Only the actions for this diagnostic (others may share its lines; "Fix all" has none).
    return {
        a.title: a
        for a in await resolved(client, result or [])
        if any(
            d.code == diagnostic.code and d.range == diagnostic.range for d in a.diagnostics or []
        )
    }


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.kind == types.CodeActionKind.QuickFix
    return list(action.edit.changes[uri])


async def open_and_find(client, path: pathlib.Path, code: str):
    uri = open_doc(client, path)
    _, params = await wait_publish(client, uri, version=1)
    diagnostic = next(d for d in params.diagnostics if d.code == code)
    return uri, diagnostic


async def test_retry_quick_fix_on_an_argo_io_template(client: LanguageClient, workspace):
    path = workspace / "argo-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, io = await open_and_find(client, path, "io-step-without-retry")
    actions = await actions_for(client, uri, io)
    title = (
        'Add a bounded `retryStrategy` to template "fetch" (3 retries, backoff from 30s, '
        "none started after 10m) (unsafe: changes what runs)"
    )
    assert set(actions) == {title, "Ignore io-step-without-retry with a comment"}
    fix = actions[title]
    # A fix that changes what runs is offered, never preferred (not applied by "auto fix").
    assert not fix.is_preferred
    assert [d.code for d in fix.diagnostics] == ["io-step-without-retry"]
    fixed = apply_edits(text, edits_of(fix, uri))
    assert fixed == text.replace(
        "    - name: fetch\n",
        "    - name: fetch\n"
        "      retryStrategy:\n"
        '        limit: "3"\n'
        "        retryPolicy: Always\n"
        "        backoff:\n"
        '          duration: "30s"\n'
        '          factor: "2"\n'
        '          maxDuration: "10m"\n',
    )
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    codes = {d.code for d in params.diagnostics}
    assert "io-step-without-retry" not in codes
    assert "retry-on-non-idempotent-step" not in codes
    assert "malformed-pipeline" not in codes
    assert {"unpinned-image", "missing-resource-limits"} <= codes


async def test_cache_quick_fix_on_a_random_kfp_task(client: LanguageClient, workspace):
    path = workspace / "kfp-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, cache = await open_and_find(client, path, "cache-on-random-step")
    actions = await actions_for(client, uri, cache)
    title = next((t for t in actions if t.startswith("Set `enableCache: false` on task")), None)
    assert title is not None, list(actions)
    assert '"sample-rows"' in title and "set_caching_options(enable_caching=False)" in title
    fixed = apply_edits(text, edits_of(actions[title], uri))
    expected = text.replace(
        "      sample-rows:\n        cachingOptions:\n          enableCache: true\n",
        "      sample-rows:\n        cachingOptions:\n          enableCache: false\n",
    )
    assert expected != text
    assert fixed == expected
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    assert "cache-on-random-step" not in {d.code for d in params.diagnostics}


async def test_a_safe_quick_fix_is_preferred_and_clears_its_finding(
    client: LanguageClient, workspace
):
    path = workspace / "argo-fixable.yaml"
    text = path.read_text(encoding="utf-8")
    uri, typo = await open_and_find(client, path, "invalid-manifest")
    actions = await actions_for(client, uri, typo)
    fix = actions["Rename it to `imagePullPolicy`"]
    assert fix.is_preferred
    fixed = apply_edits(text, edits_of(fix, uri))
    assert fixed == text.replace("imagePullPolice:", "imagePullPolicy:")
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    assert [d.code for d in params.diagnostics] == ["unbounded-retry"]


async def fix_all_action(client: LanguageClient, uri: str, only):
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return await resolved(client, [a for a in result or [] if a.kind == "source.fixAll.pipelint"])


async def test_fix_all_applies_every_safe_fix(client: LanguageClient, workspace):
    path = workspace / "argo-fixable.yaml"
    text = path.read_text(encoding="utf-8")
    uri = open_doc(client, path)
    _, params = await wait_publish(client, uri, version=1)
    assert {d.code for d in params.diagnostics} == {"unbounded-retry", "invalid-manifest"}
    # Asked for by kind, as an editor does on save; not offered to a request for quick fixes
    # only.
    assert await fix_all_action(client, uri, [types.CodeActionKind.QuickFix]) == []
    (action,) = await fix_all_action(client, uri, [types.CodeActionKind.SourceFixAll])
    assert action.title == "Fix all pipelint problems in this file"
    fixed = apply_edits(text, list(action.edit.changes[uri]))
    assert fixed == text.replace(
        "retryStrategy: {retryPolicy: Always}", 'retryStrategy: {retryPolicy: Always, limit: "3"}'
    ).replace("imagePullPolice:", "imagePullPolicy:")
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    assert list(params.diagnostics) == []
    # Nothing left to fix: no action.
    assert await fix_all_action(client, uri, [types.CodeActionKind.SourceFixAll]) == []


async def test_fix_all_leaves_unsafe_fixes_to_the_user(client: LanguageClient, workspace):
    path = workspace / "argo-bad.yaml"
    uri = open_doc(client, path)
    _, params = await wait_publish(client, uri, version=1)
    assert "io-step-without-retry" in {d.code for d in params.diagnostics}
    # Its only fix is unsafe: "Fix all" (safe fixes) has nothing to do.
    assert await fix_all_action(client, uri, [types.CodeActionKind.SourceFixAll]) == []


async def test_no_quick_fix_invents_a_digest(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "kfp-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    for d in params.diagnostics:
        if d.code != "unpinned-image":
            continue
        actions = await actions_for(client, uri, d)
        assert list(actions) == ["Ignore unpinned-image with a comment"]


async def test_ignore_comment_on_the_flagged_line(client: LanguageClient, workspace):
    path = workspace / "kfp-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, image = await open_and_find(client, path, "unpinned-image")
    actions = await actions_for(client, uri, image)
    action = actions["Ignore unpinned-image with a comment"]
    assert not action.is_preferred
    fixed = apply_edits(text, edits_of(action, uri))
    assert fixed == text.replace(
        "        image: python:3.11\n",
        "        image: python:3.11  # pipelint: ignore[unpinned-image] <reason>\n",
        1,
    )


async def test_ignore_comment_after_non_ascii_text(client: LanguageClient, workspace):
    path = workspace / "argo-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, image = await open_and_find(client, path, "unpinned-image")
    actions = await actions_for(client, uri, image)
    fixed = apply_edits(text, edits_of(actions["Ignore unpinned-image with a comment"], uri))
    assert "--recursive]}  # pipelint: ignore[unpinned-image] <reason>\n" in fixed
    assert len(fixed.splitlines()) == len(text.splitlines())


async def test_the_ignore_comment_silences_the_finding(client: LanguageClient, workspace):
    path = workspace / "kfp-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, image = await open_and_find(client, path, "unpinned-image")
    actions = await actions_for(client, uri, image)
    fixed = apply_edits(text, edits_of(actions["Ignore unpinned-image with a comment"], uri))
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    assert tup(image.range) not in {tup(d.range) for d in params.diagnostics}


async def test_code_actions_elsewhere_are_empty(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "argo-bad.yaml")
    await wait_publish(client, uri, version=1)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=1, character=0), end=types.Position(line=1, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not result


async def test_hover_shows_the_rule_doc(client: LanguageClient, workspace):
    path = workspace / "argo-bad.yaml"
    uri, image = await open_and_find(client, path, "unpinned-image")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=14, character=2),  # anywhere on the line
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    doc = (REPO / "rules" / "unpinned-image.md").read_text(encoding="utf-8")
    heading = doc.splitlines()[0]
    value = hover.contents.value
    assert "**pipelint(unpinned-image)**" in value
    assert heading in value
    assert doc.strip()[-200:] in value, "the whole page is shown"
    # Both findings of that line, each rule once.
    assert "**pipelint(missing-resource-limits)**" in value
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=2, character=1),
        )
    )
    assert nothing is None


async def test_config_change_relints_open_documents(client: LanguageClient, workspace):
    for _ in range(200):  # the registration request follows `initialized`
        if client.registrations:
            break
        await asyncio.sleep(0.01)
    (registration,) = client.registrations
    assert registration.method == "workspace/didChangeWatchedFiles"
    # The config, and the Python that KFP IR is mapped into.
    assert registration.register_options["watchers"] == [
        {"globPattern": "**/.pipelint.yaml"},
        {"globPattern": "**/*.py"},
    ]
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    assert "missing-resource-limits" in {d.code for d in params.diagnostics}

    config = workspace / ".pipelint.yaml"
    config.write_text(
        'rules:\n  missing-resource-limits:\n    severity: "off"\n'
        "  unpinned-image:\n    severity: info\n",
        encoding="utf-8",
    )
    since = len(client.publishes)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    _, params = await wait_publish(client, uri, since=since)
    by_code = {d.code: d for d in params.diagnostics}
    assert "missing-resource-limits" not in by_code
    assert by_code["unpinned-image"].severity == types.DiagnosticSeverity.Information

    config.unlink()
    since = len(client.publishes)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Deleted)]
        )
    )
    _, params = await wait_publish(client, uri, since=since)
    assert "missing-resource-limits" in {d.code for d in params.diagnostics}


async def test_a_broken_config_is_reported_where_it_is_written(client: LanguageClient, workspace):
    config = workspace / ".pipelint.yaml"
    text = "rules:\n  unpinned-imag:\n    severity: off\n"
    config.write_text(text, encoding="utf-8")
    uri = open_doc(client, config)
    _, params = await wait_publish(client, uri, version=1)
    (d,) = params.diagnostics
    assert d.code == "invalid-config"
    assert tup(d.range) == (1, 2, 1, 16)
    assert "did you mean `unpinned-image`" in d.message
    # Pipelines beside it are still linted, with the defaults, and the user is told once.
    pipeline = open_doc(client, workspace / "argo-bad.yaml")
    _, params = await wait_publish(client, pipeline, version=1)
    assert "unpinned-image" in {d.code for d in params.diagnostics}
    assert any(".pipelint.yaml" in m.message for m in client.messages)


async def test_each_workspace_folder_uses_its_own_config(client: LanguageClient, workspace, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / ".pipelint.yaml").write_text(
        'rules:\n  unpinned-image:\n    severity: "off"\n', encoding="utf-8"
    )
    text = (workspace / "argo-bad.yaml").read_text(encoding="utf-8")
    (other / "argo-bad.yaml").write_text(text, encoding="utf-8")
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=other.as_uri(), name="other")], removed=[]
            )
        )
    )
    first = open_doc(client, workspace / "argo-bad.yaml")
    second = open_doc(client, other / "argo-bad.yaml")
    _, a = await wait_publish(client, first, version=1)
    _, b = await wait_publish(client, second, version=1)
    assert "unpinned-image" in {d.code for d in a.diagnostics}
    assert "unpinned-image" not in {d.code for d in b.diagnostics}
    assert "missing-resource-limits" in {d.code for d in b.diagnostics}


async def listed(client: LanguageClient, uri: str, diagnostic: types.Diagnostic):
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return {a.title: a for a in result or []}


def snippet_edits(action: types.CodeAction, uri: str) -> list:
    (change,) = action.edit.document_changes
    assert change.text_document.uri == uri
    return list(change.edits)


async def test_actions_are_listed_without_edits_and_resolved_when_chosen(
    client: LanguageClient, workspace
):
    path = workspace / "argo-fixable.yaml"
    text = path.read_text(encoding="utf-8")
    uri, typo = await open_and_find(client, path, "invalid-manifest")
    actions = await listed(client, uri, typo)
    assert set(actions) == {
        "Rename it to `imagePullPolicy`",
        "Ignore invalid-manifest with a comment",
        "Fix all pipelint problems in this file",
    }
    # VS Code resolves code actions: the list has titles, kinds, diagnostics and data only.
    assert all(a.edit is None and a.data is not None for a in actions.values())
    rename = actions["Rename it to `imagePullPolicy`"]
    assert rename.kind == types.CodeActionKind.QuickFix and rename.is_preferred
    assert [d.code for d in rename.diagnostics] == ["invalid-manifest"]
    chosen = await client.code_action_resolve_async(rename)
    assert chosen.title == rename.title
    fixed = apply_edits(text, list(chosen.edit.changes[uri]))
    assert fixed == text.replace("imagePullPolice:", "imagePullPolicy:")
    # After an edit, an action listed for the old text is refused, not misapplied.
    change_doc(client, uri, 2, "\n" + text)
    with pytest.raises(Exception, match="changed"):
        await client.code_action_resolve_async(rename)


async def test_a_client_that_cannot_resolve_gets_the_edits_in_the_list(
    emacs_client: LanguageClient, workspace
):
    client = emacs_client
    path = workspace / "argo-fixable.yaml"
    uri, typo = await open_and_find(client, path, "invalid-manifest")
    actions = await listed(client, uri, typo)
    assert actions["Rename it to `imagePullPolicy`"].edit.changes[uri]
    ignore = actions["Ignore invalid-manifest with a comment"]
    # Eglot takes no snippet edits: the reason is plain text to replace.
    (edit,) = ignore.edit.changes[uri]
    assert edit.new_text.endswith("# pipelint: ignore[invalid-manifest] <reason>")
    assert all(a.data is None for a in actions.values())


async def test_the_reason_is_a_snippet_tab_stop_where_the_client_takes_snippets(
    snippet_client: LanguageClient, workspace
):
    client = snippet_client
    path = workspace / "kfp-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, image = await open_and_find(client, path, "unpinned-image")
    actions = await actions_for(client, uri, image)
    (edit,) = snippet_edits(actions["Ignore unpinned-image with a comment"], uri)
    assert isinstance(edit, types.SnippetTextEdit), edit
    assert edit.snippet.value == "  # pipelint: ignore[unpinned-image] ${1:<reason>}"
    start = sum(len(line) + 1 for line in text.split("\n")[: edit.range.start.line])
    assert text[start:].startswith("        image: python:3.11\n")


async def test_an_unwritten_reason_is_flagged_where_reasons_are_required(
    client: LanguageClient, workspace
):
    (workspace / ".pipelint.yaml").write_text("require-suppression-reason: true\n")
    path = workspace / "kfp-bad.yaml"
    text = path.read_text(encoding="utf-8")
    uri, image = await open_and_find(client, path, "unpinned-image")
    actions = await actions_for(client, uri, image)
    fixed = apply_edits(text, edits_of(actions["Ignore unpinned-image with a comment"], uri))
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    assert tup(image.range) not in {tup(d.range) for d in params.diagnostics}
    flagged = [d for d in params.diagnostics if d.code == "unused-suppression"]
    assert [d.message.split("\n")[0] for d in flagged] == [
        "this suppression comment gives no reason, and the config requires one"
    ]
    # Once a reason is written, nothing is flagged.
    since = len(client.publishes)
    change_doc(client, uri, 3, fixed.replace("<reason>", "the base image is rebuilt nightly"))
    _, params = await wait_publish(client, uri, since=since)
    assert "unused-suppression" not in {d.code for d in params.diagnostics}


async def test_a_pipeline_finding_inside_a_string_is_ignored_from_the_pipelines_first_line(
    client: LanguageClient, workspace
):
    path = workspace / "kfp-stale-sdk.yaml"
    text = path.read_text(encoding="utf-8")
    uri, stale = await open_and_find(client, path, "sdk-backend-version-mismatch")
    # The flagged line is inside a multi-line string, where no comment can go.
    assert text.split("\n")[stale.range.start.line].lstrip().startswith("\\ python3 -m pip")
    actions = await actions_for(client, uri, stale)
    fixed = apply_edits(
        text, edits_of(actions["Ignore sdk-backend-version-mismatch with a comment"], uri)
    )
    assert "\ncomponents:  # pipelint: ignore[sdk-backend-version-mismatch] <reason>\n" in fixed
    since = len(client.publishes)
    change_doc(client, uri, 2, fixed)
    _, params = await wait_publish(client, uri, since=since)
    codes = [d.code for d in params.diagnostics]
    assert "sdk-backend-version-mismatch" not in codes
    assert "unused-suppression" not in codes
    # The step's finding on a line with a comment of its own goes on the step's line.
    uri2, image = await open_and_find_in(client, uri, params, "unpinned-image", '"train"')
    actions = await actions_for(client, uri2, image)
    refixed = apply_edits(fixed, edits_of(actions["Ignore unpinned-image with a comment"], uri))
    assert "      train:  # pipelint: ignore[unpinned-image] <reason>\n" in refixed
    since = len(client.publishes)
    change_doc(client, uri, 3, refixed)
    _, params = await wait_publish(client, uri, since=since)
    images = [d.message for d in params.diagnostics if d.code == "unpinned-image"]
    assert len(images) == 1 and '"sample-rows"' in images[0]


async def open_and_find_in(client, uri, params, code: str, step: str):
    return uri, next(d for d in params.diagnostics if d.code == code and step in d.message)
