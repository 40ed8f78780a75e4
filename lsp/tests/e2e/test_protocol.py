"""Robustness and lifecycle: bad input never takes the server down; shutdown/exit per spec."""

from __future__ import annotations

import json
import subprocess

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from conftest import SERVER, open_doc, wait_publish


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def hover_somewhere(client: LanguageClient, uri: str):
    return await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=14, character=3),
        )
    )


async def test_malformed_json_rpc_does_not_stop_the_server(client: LanguageClient, workspace):
    uri = open_doc(client, workspace / "argo-bad.yaml")
    await wait_publish(client, uri, version=1)
    writer = client.protocol.writer
    writer.write(frame(b'{"jsonrpc": "2.0", "id": 9001, "method": '))  # cut short
    writer.write(frame(b"\xff\xfe not even UTF-8"))
    writer.write(frame(b'{"jsonrpc": "2.0", "id": 9002, "params": {}}'))  # no method
    writer.write(b"X-Not-A-Header\r\n\r\n")
    writer.write(frame(b'[1, 2, 3]'))
    # The next real request is answered.
    hover = await hover_somewhere(client, uri)
    assert hover is not None and "unpinned-image" in hover.contents.value
    # And documents are still linted.
    deployment_free = open_doc(client, workspace / "kfp-bad.yaml")
    await wait_publish(client, deployment_free, version=1)


async def test_unknown_methods_and_bad_params_are_errors_not_crashes(
    client: LanguageClient, workspace
):
    with pytest.raises(JsonRpcException) as unknown:
        await client.protocol.send_request_async("pipelint/doesNotExist", {"x": 1})
    assert unknown.value.code == -32601
    # Parameters of the wrong shape (pygls would not send them: written raw).
    client.protocol.writer.write(
        frame(b'{"jsonrpc": "2.0", "id": 9100, "method": "textDocument/hover", "params": {"bogus": 1}}')
    )
    client.protocol.notify("pipelint/unknownNotification", {"x": 1})
    client.protocol.writer.write(
        frame(b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 1}}')
    )
    uri = open_doc(client, workspace / "argo-bad.yaml")
    hover_params = types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=14, character=3),
    )
    assert await client.text_document_hover_async(hover_params) is not None


async def test_requests_for_unknown_documents_answer_null(client: LanguageClient, workspace):
    hover = await hover_somewhere(client, (workspace / "never-opened.yaml").as_uri())
    assert hover is None


def run_raw(messages: list[dict], timeout: float = 20) -> subprocess.CompletedProcess:
    """Runs the server on a fixed script of messages, then closes its input."""
    stdin = b"".join(frame(json.dumps(m).encode()) for m in messages)
    return subprocess.run(
        [SERVER, "lsp"], input=stdin, capture_output=True, timeout=timeout, check=False
    )


def responses(stdout: bytes) -> list[dict]:
    out = []
    while stdout:
        head, _, rest = stdout.partition(b"\r\n\r\n")
        length = int(head.split(b":")[1])
        out.append(json.loads(rest[:length]))
        stdout = rest[length:]
    return out


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "initialized", "params": {}}
EXIT = {"jsonrpc": "2.0", "method": "exit"}


def test_exit_without_shutdown_ends_with_status_1():
    done = run_raw([INIT, INITIALIZED, EXIT])
    assert done.returncode == 1, done.stderr
    (init,) = [r for r in responses(done.stdout) if r.get("id") == 1]
    assert init["result"]["capabilities"]["positionEncoding"] == "utf-16"
    assert init["result"]["serverInfo"]["name"] == "pipelint"


def test_shutdown_and_exit_over_raw_stdio_end_with_status_0():
    done = run_raw(
        [INIT, INITIALIZED, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, EXIT]
    )
    assert done.returncode == 0, done.stderr
    assert {"jsonrpc": "2.0", "id": 2, "result": None} in responses(done.stdout)


def test_errors_per_json_rpc():
    done = run_raw(
        [
            {"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {}},
            INIT,
            INITIALIZED,
            {"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover", "params": {"bogus": 1}},
            {"jsonrpc": "2.0", "id": 9, "method": "pipelint/unknown"},
            {"jsonrpc": "2.0", "id": 10, "method": "shutdown"},
            {"jsonrpc": "2.0", "id": 11, "method": "textDocument/hover", "params": {}},
            EXIT,
        ]
    )
    assert done.returncode == 0, done.stderr
    by_id = {r.get("id"): r for r in responses(done.stdout)}
    assert by_id[7]["error"]["code"] == -32002  # not initialized yet
    assert by_id[8]["error"]["code"] == -32602  # invalid params
    assert by_id[9]["error"]["code"] == -32601  # method not found
    assert by_id[10]["result"] is None
    assert by_id[11]["error"]["code"] == -32600  # after shutdown


def test_unparseable_messages_get_a_parse_error_with_a_null_id():
    stdin = frame(b"{oops") + frame(json.dumps(INIT).encode()) + frame(json.dumps(EXIT).encode())
    done = subprocess.run(
        [SERVER, "lsp"], input=stdin, capture_output=True, timeout=20, check=False
    )
    got = responses(done.stdout)
    assert {"jsonrpc": "2.0", "id": None, "error": got[0]["error"]} == got[0]
    assert got[0]["error"]["code"] == -32700
    assert got[1]["id"] == 1 and "capabilities" in got[1]["result"]


def test_a_client_that_vanishes_ends_the_server():
    done = run_raw([INIT, INITIALIZED])
    assert done.returncode == 1
