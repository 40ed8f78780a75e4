"""The editor experience (#19): incremental sync and the publish cap, pull and workspace
diagnostics, navigation, config completion and hover, settings and logs, hover and docs links
for clients that lack Markdown or `codeDescription`."""

from __future__ import annotations

import asyncio
import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import DOCS_URL, REPO, change_doc, edit_doc, open_doc, tup, wait_publish


def position(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


# ---------------------------------------------------------------------------------------
# Item 2: incremental sync, positions in UTF-16 over CRLF lines; the publish cap


async def test_the_server_asks_for_incremental_changes(client: LanguageClient):
    sync = client.init_result.capabilities.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental


async def test_incremental_edits_on_a_crlf_file_with_wide_characters(
    client: LanguageClient, workspace
):
    path = workspace / "argo-bad.yaml"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    uri = open_doc(client, path, text)
    _, first = await wait_publish(client, uri, version=1)
    image = next(d for d in first.diagnostics if d.code == "unpinned-image")
    # The fetch line holds `données-😀` (the emoji is two UTF-16 units) before the image.
    assert tup(image.range) == (14, 45, 14, 68)
    # Insert a comment line above and pin the image in place, as two changes of one edit.
    pinned = '"amazon/aws-cli:2.17.0@sha256:' + "a" * 64 + '"'
    edit_doc(
        client,
        uri,
        2,
        [
            ((14, 45, 14, 68), pinned),
            ((0, 0, 0, 0), "# edited\r\n"),
        ],
    )
    _, second = await wait_publish(client, uri, version=2)
    codes = {d.code for d in second.diagnostics}
    assert "unpinned-image" not in codes
    limits = next(d for d in second.diagnostics if d.code == "missing-resource-limits")
    assert limits.range.start.line == 15  # moved down by the inserted line
    # Joining two lines across the CRLF: the finding below moves up.
    edit_doc(client, uri, 3, [((0, 8, 1, 0), " ")])
    _, third = await wait_publish(client, uri, version=3)
    limits3 = next(d for d in third.diagnostics if d.code == "missing-resource-limits")
    a, b = tup(limits.range), tup(limits3.range)
    assert (b[0], b[2]) == (a[0] - 1, a[2] - 1)  # both ends one line up
    assert (b[1], b[3]) == (a[1], a[3])  # the same columns


async def test_a_publish_is_capped_with_the_most_severe_first(
    configured_client: LanguageClient, workspace
):
    client = configured_client
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    # `select` kept two rules; `maxDiagnostics: 1` keeps the error and says what is left.
    assert [d.code for d in params.diagnostics] == ["unpinned-image", None]
    more = params.diagnostics[1]
    assert more.severity == types.DiagnosticSeverity.Information
    assert more.message.startswith("1 more findings are not shown: the 1 most severe are")


# ---------------------------------------------------------------------------------------
# Item 1: requests do not wait for other documents, nor navigation for any lint


async def test_outline_is_answered_while_the_document_is_linted_again(
    client: LanguageClient, workspace
):
    uri = open_doc(client, workspace / "kfp-bad.yaml")
    await wait_publish(client, uri, version=1)
    # A change starts a lint after the debounce; the outline does not wait for it.
    edit_doc(client, uri, 2, [((0, 0, 0, 0), "# edited\n")])
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    (pipeline,) = symbols
    assert pipeline.name == "sample-and-train"
    assert [s.name for s in pipeline.children] == ["sample-rows", "train"]
    assert [s.kind for s in pipeline.children] == [types.SymbolKind.Function] * 2
    # Positions are the edited text's: one line further down than on disk.
    disk = (workspace / "kfp-bad.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, l in enumerate(disk) if l.strip() == "sample-rows:") + 1
    assert pipeline.children[0].selection_range.start.line == line


# ---------------------------------------------------------------------------------------
# Item 4: pull diagnostics and workspace diagnostics


async def test_a_pulling_client_gets_reports_instead_of_publishes(
    pull_client: LanguageClient, workspace
):
    client = pull_client
    provider = client.init_result.capabilities.diagnostic_provider
    assert provider.workspace_diagnostics and provider.inter_file_dependencies
    uri = open_doc(client, workspace / "argo-bad.yaml")
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert report.kind == "full"
    assert "unpinned-image" in {d.code for d in report.items}
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            previous_result_id=report.result_id,
        )
    )
    assert again.kind == "unchanged" and again.result_id == report.result_id
    await asyncio.sleep(0.5)
    assert not [p for _, p in client.publishes if p.uri == uri]


async def workspace_report(client: LanguageClient, previous=()):
    result = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=list(previous))
    )
    return {pathlib.Path(r.uri.removeprefix("file://")).name: r for r in result.items}


async def test_workspace_diagnostics_cover_pipelines_that_are_not_open(
    pull_client: LanguageClient, workspace
):
    client = pull_client
    (workspace / "generated").mkdir()
    (workspace / "generated" / "copy.yaml").write_text(
        (workspace / "argo-bad.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (workspace / ".pipelint.yaml").write_text('exclude: ["generated/**"]\n', encoding="utf-8")
    open_doc(client, workspace / "kfp-bad.yaml")
    reports = await workspace_report(client)
    # Pipelines only (not deployment.yaml), not the open one, not the excluded copy.
    assert {"argo-bad.yaml", "argo-ref.yaml", "shared-templates.yaml"} <= set(reports)
    assert not {"deployment.yaml", "kfp-bad.yaml", "copy.yaml"} & set(reports)
    argo = reports["argo-bad.yaml"]
    assert argo.kind == "full"
    assert "unpinned-image" in {d.code for d in argo.items}
    # Pulled again with the result ids: unchanged.
    previous = [types.PreviousResultId(uri=r.uri, value=r.result_id) for r in reports.values()]
    again = await workspace_report(client, previous)
    assert {r.kind for r in again.values()} == {"unchanged"}
    # A file changed on disk: the server asks the client to pull again, and it is new.
    path = workspace / "argo-bad.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("aws-cli:latest", "aws-cli:2.17.0"),
        encoding="utf-8",
    )
    refreshes = client.diagnostic_refresh_count
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    for _ in range(500):
        if client.diagnostic_refresh_count > refreshes:
            break
        await asyncio.sleep(0.01)
    assert client.diagnostic_refresh_count > refreshes
    after = await workspace_report(client, previous)
    assert after["argo-bad.yaml"].kind == "full"
    assert after["argo-ref.yaml"].kind == "unchanged"
    images = [d.message for d in after["argo-bad.yaml"].items if d.code == "unpinned-image"]
    assert images and "latest" not in images[0]


# ---------------------------------------------------------------------------------------
# Item 5: navigation, outline, config completion and hover


async def definition(client: LanguageClient, uri: str, line: int, character: int):
    return await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position(line, character),
        )
    )


async def test_go_to_an_argo_template_here_and_in_another_file(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "argo-ref.yaml")
    # `template: report` -> `- name: report` of the same file.
    (local,) = await definition(client, uri, 15, 24)
    assert local.uri == uri and tup(local.range) == (16, 12, 16, 18)
    # `templateRef.template: prepare-data` -> the WorkflowTemplate in shared-templates.yaml.
    (remote,) = await definition(client, uri, 13, 26)
    assert remote.uri == (workspace / "shared-templates.yaml").as_uri()
    assert tup(remote.range) == (13, 12, 13, 24)
    # `templateRef.name` -> that WorkflowTemplate's name.
    (manifest,) = await definition(client, uri, 12, 22)
    assert tup(manifest.range) == (4, 8, 4, 20)
    # A step's own name is not a reference.
    assert not await definition(client, uri, 10, 22)


async def test_go_to_a_kfp_component_and_executor(client: LanguageClient, workspace):
    path = workspace / "kfp-bad.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    uri = open_doc(client, path)
    ref = next(i for i, l in enumerate(lines) if l.strip() == "name: comp-train")
    (component,) = await definition(client, uri, ref, lines[ref].index("comp-train") + 3)
    key = lines.index("  comp-train:")
    assert tup(component.range) == (key, 2, key, 12)
    label = next(i for i, l in enumerate(lines) if l.strip() == "executorLabel: exec-train")
    (executor,) = await definition(client, uri, label, lines[label].index("exec-train"))
    key = lines.index("    exec-train:")
    assert tup(executor.range) == (key, 4, key, 14)


async def test_config_completion_and_hover(client: LanguageClient, workspace):
    path = workspace / ".pipelint.yaml"
    text = "rules:\n  unpinned-image:\n    severity: \nignore:\n  - \n"
    uri = open_doc(client, path, text)

    async def labels(line, character):
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position(line, character),
            )
        )
        items = result.items if isinstance(result, types.CompletionList) else result
        return [i.label for i in items]

    assert await labels(2, 14) == ["error", "warning", "info", "off"]
    ids = await labels(4, 4)
    assert "unpinned-image" in ids and "missing-resource-limits" in ids
    assert "rules" in await labels(5, 0)

    # Hover, on a valid config.
    change_doc(client, uri, 2, 'rules:\n  unpinned-image:\n    severity: "off"\nexclude: ["gen/**"]\n')

    async def hover(line, character):
        return await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position(line, character),
            )
        )

    rule = await hover(1, 5)
    assert rule.contents.value.startswith("**unpinned-image** (default severity:")
    key = await hover(3, 2)
    assert key.contents.value.startswith("**exclude**\n\nGlobs of files")
    # A look-alike: a word inside a glob is neither a key nor a rule.
    assert await hover(3, 12) is None


# ---------------------------------------------------------------------------------------
# Item 6: settings and logs


async def test_settings_from_initialization_and_a_log_file(
    configured_client: LanguageClient, workspace
):
    client = configured_client
    uri = open_doc(client, workspace / "kfp-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    assert {d.code for d in params.diagnostics} <= {"unpinned-image", "missing-resource-limits", None}
    log = workspace / "pipelint-lsp.log"
    for _ in range(200):
        if log.exists() and "diagnostics in" not in log.read_text(encoding="utf-8"):
            break
        await asyncio.sleep(0.01)
    # Info is not debug: the per-lint line is not there, and nothing else was worth a line.
    assert "diagnostics in" not in log.read_text(encoding="utf-8")
    # Raised to debug: the next lint is logged, in the client's log and the file.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pipelint": {"logLevel": "debug"}})
    )
    edit_doc(client, uri, 2, [((0, 0, 0, 0), "# edited\n")])
    await wait_publish(client, uri, version=2)
    for _ in range(200):
        if "diagnostics in" in log.read_text(encoding="utf-8"):
            break
        await asyncio.sleep(0.01)
    assert f"{uri} v2: " in log.read_text(encoding="utf-8")
    assert any("diagnostics in" in m.message for m in client.log_messages)


async def test_ignore_from_did_change_configuration_relints(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, before = await wait_publish(client, uri, version=1)
    assert "unpinned-image" in {d.code for d in before.diagnostics}
    since = len(client.publishes)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pipelint": {"ignore": ["unpinned-image"]}})
    )
    _, after = await wait_publish(client, uri, since=since)
    assert "unpinned-image" not in {d.code for d in after.diagnostics}
    assert "missing-resource-limits" in {d.code for d in after.diagnostics}
    # By default (warnings) a lint writes no log line.
    assert not any("diagnostics in" in m.message for m in client.log_messages)


async def test_settings_null_asks_the_client_for_its_settings(client: LanguageClient, workspace):
    # VS Code's client sends `settings: null` and answers `workspace/configuration`.
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, before = await wait_publish(client, uri, version=1)
    assert "unpinned-image" in {d.code for d in before.diagnostics}
    client.set_configuration({"ignore": ["unpinned-image"]}, section="pipelint")
    since = len(client.publishes)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    _, after = await wait_publish(client, uri, since=since)
    assert "unpinned-image" not in {d.code for d in after.diagnostics}
    assert "missing-resource-limits" in {d.code for d in after.diagnostics}


# ---------------------------------------------------------------------------------------
# Item 7: docs links without codeDescription, plain-text hover, the short part first


async def test_docs_link_ends_the_message_for_a_client_without_code_description(
    emacs_client: LanguageClient, workspace
):
    client = emacs_client
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    image = next(d for d in params.diagnostics if d.code == "unpinned-image")
    assert image.code_description is None
    assert image.message.endswith("\ndocs: " + DOCS_URL.replace("{rule}", "unpinned-image"))


async def test_vs_code_gets_code_description_and_no_link_in_the_message(
    client: LanguageClient, workspace
):
    uri = open_doc(client, workspace / "argo-bad.yaml")
    _, params = await wait_publish(client, uri, version=1)
    image = next(d for d in params.diagnostics if d.code == "unpinned-image")
    assert image.code_description.href == DOCS_URL.replace("{rule}", "unpinned-image")
    assert "docs:" not in image.message


async def test_hover_puts_fix_summary_and_link_above_the_page(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "argo-bad.yaml")
    await wait_publish(client, uri, version=1)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position(14, 2))
    )
    value = hover.contents.value
    fold = value.index("\n\n---\n\n")
    short = value[:fold]
    assert "**pipelint(unpinned-image)**" in short
    assert "help: " in short
    assert f"[Documentation of unpinned-image]({DOCS_URL.replace('{rule}', 'unpinned-image')})" in short
    page = (REPO / "rules" / "unpinned-image.md").read_text(encoding="utf-8")
    assert page.splitlines()[0] not in short  # the page's heading is below the fold
    assert page.splitlines()[0] in value[fold:]


async def test_plain_text_hover_for_a_client_that_prefers_it(
    plaintext_client: LanguageClient, workspace
):
    client = plaintext_client
    uri = open_doc(client, workspace / "argo-bad.yaml")
    await wait_publish(client, uri, version=1)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position(14, 2))
    )
    assert hover.contents.kind == types.MarkupKind.PlainText
    value = hover.contents.value
    assert value.startswith("pipelint(")
    # No emphasis, fences or heading marks; the heading's text stays.
    assert "**" not in value and "```" not in value
    assert "\n# missing-resource-limits\n" not in value
    assert "\nmissing-resource-limits\n" in value
