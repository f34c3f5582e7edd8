"""`shapan journey lsp` driven as a real LSP client session over stdio (issue 17):
initialize, didOpen, didChange, then diagnostics, a completion, a hover and a definition
location come back, as an editor would see them."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

FIXTURE = Path(__file__).parent / "fixtures" / "bots_balanced.yaml"


class Client:
    """A minimal JSON-RPC client: Content-Length framing over the server's stdin/stdout."""

    def __init__(self, cwd: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "journey", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            assert length is not None
            self.inbox.put(json.loads(out.read(length)))

    def send(self, msg: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **msg}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            msg = self.inbox.get(timeout=60)
            if msg.get("id") == self.next_id and "method" not in msg:
                assert "error" not in msg, msg
                return msg.get("result")

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        while True:
            msg = self.inbox.get(timeout=60)
            if (
                msg.get("method") == "textDocument/publishDiagnostics"
                and msg["params"]["uri"] == uri
            ):
                return list(msg["params"]["diagnostics"])


def _pos(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


def test_a_real_lsp_session_over_stdio(tmp_path):
    good = FIXTURE.read_text(encoding="utf-8")
    broken = good.replace("goto: solve\n      - id: ask", "goto: solev\n      - id: ask", 1)
    assert broken != good
    path = tmp_path / "bill.yaml"
    path.write_text(broken, encoding="utf-8")
    uri = path.resolve().as_uri()
    client = Client(tmp_path)
    try:
        init = client.request(
            "initialize",
            {"processId": None, "rootUri": tmp_path.resolve().as_uri(), "capabilities": {}},
        )
        caps = init["capabilities"]
        assert caps["completionProvider"] and caps["definitionProvider"] and caps["hoverProvider"]
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": broken}},
        )
        diags = client.diagnostics(uri)
        assert diags, "the unknown goto target is reported"
        first = diags[0]
        assert first["code"].startswith("JY") and first["source"] == "shapan"
        assert first["severity"] == 1 and "solev" in first["message"]
        assert first["range"]["start"]["line"] == _pos(broken, "goto: solev")["line"]

        # the designer fixes the typo: the diagnostics clear as they type
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": good}]},
        )
        assert client.diagnostics(uri) == []

        # completion of node ids after `goto:`
        at = _pos(good, "goto: solve", len("goto: "))
        done = client.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": at}
        )
        labels = {i["label"] for i in (done["items"] if isinstance(done, dict) else done)}
        assert {"greet", "listen", "solve", "end_resolved"} <= labels

        # go to definition of the goto target: the node `solve:`
        at = _pos(good, "goto: solve", len("goto: so"))
        loc = client.request(
            "textDocument/definition", {"textDocument": {"uri": uri}, "position": at}
        )
        loc = loc[0] if isinstance(loc, list) else loc
        assert loc["uri"] == uri
        assert loc["range"]["start"]["line"] == _pos(good, "  solve:")["line"]

        # hover on a node id shows its text in both languages
        at = _pos(good, "goto: listen", len("goto: li"))
        hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": at})
        assert hover is not None
        value = hover["contents"]["value"]
        assert "listen" in value and "zh-CN" in value and "en:" in value

        # behaviour tags complete inside `behaviours: [`
        at = _pos(good, "behaviours: [greeting, empathy]", len("behaviours: ["))
        done = client.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": at}
        )
        labels = {i["label"] for i in (done["items"] if isinstance(done, dict) else done)}
        assert {"empathy", "restate", "offer_solution"} <= labels

        client.request("shutdown", {})
        client.notify("exit", {})
        assert client.proc.wait(timeout=20) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_the_analysis_behind_completion_hover_and_definition():
    from journeys.library import library_dir
    from sandbox.workbench.lsp import analyse, complete, context_at, definition, hover_text

    path = library_dir() / "privacy_trap.yaml"
    text = path.read_text(encoding="utf-8")
    a = analyse(text, str(path))
    assert a.loaded and a.diagnostics == [] and "verify.ask" in a.nodes
    lines = text.splitlines()

    def where(needle: str, offset: int) -> tuple[int, int]:
        row = next(i for i, ln in enumerate(lines) if needle in ln)
        return row, lines[row].index(needle) + offset

    # an include opens its fragment; an included node and a knowledge link jump to their files
    row, col = where("use: common/greeting.yaml", len("use: co"))
    assert definition(a, text, row, col).path.endswith("common/greeting.yaml")
    row, col = where("goto: verify.ask", len("goto: ve"))
    target = definition(a, text, row, col)
    assert target.path.endswith("common/verify_identity.yaml") and target.line > 1
    row, col = where("knowledge: [kb.", len("knowledge: [kb"))
    assert definition(a, text, row, col).path.endswith(".yaml")
    assert "/" in hover_text(a, text, row, col)  # its title in both languages
    # the completion contexts
    assert context_at("      risk: [", 0, 13) == "risk"
    assert context_at("    if: \"persona('se", 0, 20) == "persona"
    assert context_at("    effects: {", 0, 14) == "state"
    assert context_at("    knowledge: [", 0, 16) == "knowledge"
    block = "        behaviours:\n          - emp"
    assert context_at(block, 1, len("          - emp")) == "behaviour"
    names = {i.label for i in complete(a, '    if: "', 0, 9)}
    assert {"anger", "verified", "persona("} <= names
    names = {i.label for i in complete(a, "    risk: [", 0, 11)}
    assert "privacy_breach" in names
    # while the text is broken, node ids still complete (from the text and the last good load)
    broken = text.replace("start:", "start: [", 1)
    b = analyse(broken, str(path), previous=a)
    assert not b.loaded and b.diagnostics
    assert {"spouse", "verify.ask"} <= set(b.nodes)
