"""`shapan journey lsp`: a language server for journey YAML (pygls 2, stdio).

What an editor gets (VS Code, Neovim, Helix, Emacs, Sublime... any LSP client):

- **diagnostics as you type**: on didOpen / didChange / didSave the unsaved text goes through
  the validator (`journeys.loader.load_journey_text`, includes resolved beside the file) and,
  when it loads, lint against the knowledge base that applies to the file (the shipped base
  plus a `knowledge/` folder beside it); every finding keeps its code (JY0xx / JY1xx).
  Findings inside an included fragment are published on that fragment's file. Knowledge files
  are checked as saved on disk.
- **completion**: node ids after `goto:` / `start:` / in `exits:`; behaviour tags in
  `behaviours:` and `require_next:`; risk types in `risk:` / `risk_if_missed:`; state
  variables in `if:` conditions and `effects:`; persona fields in `persona('...')` and in the
  `persona:` filter; knowledge ids in `knowledge:`; fragment files after `use:`.
- **hover**: a node id shows the node's lines in both languages (or its choices'), a behaviour
  tag, risk type or knowledge id its label in both languages.
- **go to definition**: a `goto` target (or any node id) jumps to the node, in the fragment file
  for an included node; `use: file.yaml` opens the fragment; a knowledge id jumps to its entry.

The analysis (`analyse`, `complete`, `hover_text`, `definition`) is plain Python over the text,
so it is tested without an editor; `serve()` wires it to pygls. pygls is imported only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journeys.vocabulary import BEHAVIOURS, PERSONA_FIELDS, RISK_TYPES

NAME = "shapan-journeys"
#: Functions a condition may call (docs/journey-format.md#conditions).
CONDITION_FUNCTIONS = ("persona", "chosen", "visited", "visits")

_WORD = re.compile(r"[\w.\-/]+")
_TOP_KEY = re.compile(r"^(journey|fragment|knowledge)\s*:", re.MULTILINE)


# ----------------------------------------------------------------------------- analysis
@dataclass
class NodeInfo:
    id: str
    path: str
    line: int  # 1-based
    column: int
    stage: str = ""
    texts: list[dict[str, str]] = field(default_factory=list)  # lines said, else choices


@dataclass
class Analysis:
    """What the server knows about one document after its last change."""

    path: str
    kind: str  # journey | fragment | knowledge | unknown
    diagnostics: list[Any] = field(default_factory=list)  # journeys.diagnostics.Diagnostic
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    state: list[str] = field(default_factory=list)
    knowledge: dict[str, Any] = field(default_factory=dict)
    loaded: bool = False


def _kind(text: str) -> str:
    keys = set(_TOP_KEY.findall(text))
    if "journey" in keys:
        return "journey"
    if "fragment" in keys:
        return "fragment"
    if "knowledge" in keys:
        return "knowledge"
    return "unknown"


_KB_CACHE: dict[str, dict[str, Any]] = {}


def knowledge_for(path: str) -> dict[str, Any]:
    """The knowledge base lint uses for a journey at `path`: shipped + `knowledge/` beside it
    (the shipped base alone when the designer's base has errors: those show on its files)."""
    folder = str(Path(path).parent)
    kb = _KB_CACHE.get(folder)
    if kb is None:
        from journeys.diagnostics import JourneyError
        from journeys.knowledge import load_knowledge_base, merged_knowledge_base

        try:
            kb = merged_knowledge_base(beside=[path])
        except JourneyError:
            kb = load_knowledge_base()
        _KB_CACHE[folder] = kb
    return kb


def _node_texts(node: Any) -> list[dict[str, str]]:
    def both(text: Any) -> dict[str, str]:
        return {"zh-CN": text["zh-CN"], "en": text["en"]}

    if node.say:
        return [both(line.text) for line in node.say]
    return [both(c.text) for c in node.choices]


def _scan_nodes(text: str, path: str) -> dict[str, NodeInfo]:
    """Node ids written under `nodes:` (for completion while the file does not load)."""
    out: dict[str, NodeInfo] = {}
    lines = text.splitlines()
    indent = None
    inside = False
    for i, line in enumerate(lines):
        if re.match(r"^nodes\s*:\s*$", line):
            inside, indent = True, None
            continue
        if not inside or not line.strip() or line.lstrip().startswith("#"):
            continue
        width = len(line) - len(line.lstrip())
        if width == 0:
            inside = False
            continue
        if indent is None:
            indent = width
        m = re.match(r"^\s*([\w][\w.\-]*)\s*:", line)
        if width == indent and m:
            out[m.group(1)] = NodeInfo(m.group(1), path, i + 1, width + 1)
    return out


def _scan_state(text: str) -> list[str]:
    names: list[str] = []
    inside = False
    indent = None
    for line in text.splitlines():
        if re.match(r"^state\s*:\s*$", line):
            inside, indent = True, None
            continue
        if not inside or not line.strip():
            continue
        width = len(line) - len(line.lstrip())
        if width == 0:
            inside = False
            continue
        if indent is None:
            indent = width
        m = re.match(r"^\s*(\w+)\s*:", line)
        if width == indent and m:
            names.append(m.group(1))
    return names


def analyse(text: str, path: str, previous: Analysis | None = None) -> Analysis:
    """Validate and lint `text` as the file at `path`; collect what completion needs."""
    from journeys.diagnostics import JourneyError

    kind = _kind(text)
    a = Analysis(path=path, kind=kind)
    if kind == "knowledge":
        from journeys.knowledge import load_knowledge_base

        try:
            a.knowledge = load_knowledge_base([path]) if Path(path).is_file() else {}
        except JourneyError as err:
            a.diagnostics = list(err.diagnostics)
        return a
    a.knowledge = knowledge_for(path)
    journey = None
    try:
        if kind == "fragment":
            from journeys.loader import _JourneyLoader
            from journeys.strict_yaml import load_text

            _JourneyLoader(path, Path(path).parent).standalone_fragment(load_text(text, path))
        else:
            from journeys.loader import load_journey_text

            journey = load_journey_text(text, path, base_dir=Path(path).parent)
    except JourneyError as err:
        a.diagnostics = list(err.diagnostics)
    if journey is not None:
        from journeys.lint import lint_journey

        a.diagnostics = lint_journey(journey, a.knowledge)
        a.loaded = True
        for nid, node in journey.nodes.items():
            src = node.source
            a.nodes[nid] = NodeInfo(
                nid,
                src.path if src else path,
                src.line if src else 1,
                src.column if src else 1,
                str(getattr(node, "stage", "") or ""),
                _node_texts(node),
            )
        a.state = list(journey.state)
    else:
        # keep what the last good version knew, updated with what the text still declares
        scanned = _scan_nodes(text, path)
        if previous is not None:
            for nid, info in previous.nodes.items():
                if nid in scanned and scanned[nid].path == info.path:
                    scanned[nid] = NodeInfo(
                        nid, path, scanned[nid].line, scanned[nid].column, info.stage, info.texts
                    )
                elif "." in nid or info.path != path:  # included nodes stay
                    scanned.setdefault(nid, info)
        a.nodes = scanned
        a.state = _scan_state(text) or (previous.state if previous else [])
    return a


# ----------------------------------------------------------------------------- completion
@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # node | behaviour | risk | state | persona | knowledge | file | function
    detail: str = ""


def _block_parent(lines: list[str], row: int) -> str | None:
    """For a `- item` line, the key of the block list it belongs to."""
    line = lines[row]
    width = len(line) - len(line.lstrip())
    for i in range(row - 1, -1, -1):
        prev = lines[i]
        if not prev.strip():
            continue
        w = len(prev) - len(prev.lstrip())
        m = re.match(r"^\s*(?:-\s*)?(\w+)\s*:\s*$", prev)
        if w < width or (w == width and m):
            return m.group(1) if m else None
        if w == width and prev.lstrip().startswith("-"):
            continue
    return None


def context_at(text: str, line: int, character: int) -> str | None:
    """What kind of name belongs at a position (0-based line and character)."""
    lines = text.splitlines() or [""]
    if line >= len(lines):
        return None
    before = lines[line][:character]
    if re.search(r"persona\(\s*['\"]\w*$", before):
        return "persona"
    if re.search(r"\b(goto|start)\s*:\s*['\"]?[\w.\-]*$", before):
        return "node"
    if re.search(r"\bexits\s*:\s*\{[^}]*:\s*[\w.\-]*$", before):
        return "node"
    if re.search(r"\b(behaviours|require_next)\s*:\s*\[[^\]]*$", before):
        return "behaviour"
    if re.search(r"\b(risk|risk_if_missed)\s*:\s*\[?[^\]:]*$", before):
        return "risk"
    if re.search(r"\bknowledge\s*:\s*\[[^\]]*$", before):
        return "knowledge"
    if re.search(r"\buse\s*:\s*['\"]?[\w./\-]*$", before):
        return "file"
    if re.search(r"\bif\s*:\s*['\"]?[^'\"]*$", before):
        return "condition"
    if re.search(r"\beffects\s*:\s*\{[^}]*$", before):
        return "state"
    if re.search(r"^\s*persona\s*:\s*\{[^}]*$", before):
        return "persona"
    if re.match(r"^\s*-\s*[\w.\-]*$", before):
        parent = _block_parent(lines, line)
        return {
            "behaviours": "behaviour",
            "require_next": "behaviour",
            "risk": "risk",
            "knowledge": "knowledge",
        }.get(parent or "")
    return None


def complete(a: Analysis, text: str, line: int, character: int) -> list[Item]:
    """Completion items at a position (0-based)."""
    ctx = context_at(text, line, character)
    if ctx == "node":
        return [Item(n, "node", f"node {n} ({info.stage})") for n, info in a.nodes.items()]
    if ctx == "behaviour":
        return [Item(t, "behaviour", f"{b.en} / {b.zh}") for t, b in BEHAVIOURS.items()]
    if ctx == "risk":
        return [Item(r, "risk", f"{v['en']} / {v['zh-CN']}") for r, v in RISK_TYPES.items()]
    if ctx == "knowledge":
        return [Item(k, "knowledge", _kb_title(e)) for k, e in sorted(a.knowledge.items())]
    if ctx == "persona":
        return [
            Item(f, "persona", f"persona field ({t.__name__})") for f, t in PERSONA_FIELDS.items()
        ]
    if ctx == "state":
        return [Item(s, "state", "state variable") for s in a.state]
    if ctx == "condition":
        return [Item(s, "state", "state variable") for s in a.state] + [
            Item(f"{f}(", "function", "condition function") for f in CONDITION_FUNCTIONS
        ]
    if ctx == "file":
        base = Path(a.path).parent
        files = sorted(
            str(p.relative_to(base))
            for p in base.rglob("*.yaml")
            if p.resolve() != Path(a.path).resolve() and "fragment" in _head(p)
        )
        return [Item(f, "file", "fragment") for f in files[:200]]
    return []


def _head(p: Path) -> str:
    try:
        with p.open(encoding="utf-8") as f:
            return f.read(2000)
    except OSError:
        return ""


def _kb_title(entry: Any) -> str:
    title = getattr(entry, "title", None)
    if title is None:
        return "knowledge entry"
    return f"{title['en']} / {title['zh-CN']}"


# ----------------------------------------------------------------------------- hover, definition
def word_at(text: str, line: int, character: int) -> str:
    lines = text.splitlines()
    if line >= len(lines):
        return ""
    for m in _WORD.finditer(lines[line]):
        if m.start() <= character <= m.end():
            return m.group(0).strip(".")
    return ""


def hover_text(a: Analysis, text: str, line: int, character: int) -> str | None:
    """Markdown for the name under the cursor, or None."""
    word = word_at(text, line, character)
    if not word:
        return None
    node = a.nodes.get(word)
    if node is not None:
        out = [f"**node `{node.id}`**" + (f" — {node.stage}" if node.stage else "")]
        for t in node.texts[:4]:
            out.append(f"- zh-CN: {t['zh-CN']}\n  en: {t['en']}")
        if not node.texts:
            out.append("(no lines yet / 暂无台词)")
        return "\n".join(out)
    if word in BEHAVIOURS:
        b = BEHAVIOURS[word]
        return f"**behaviour `{word}`**: {b.en} / {b.zh}"
    if word in RISK_TYPES:
        r = RISK_TYPES[word]
        return f"**risk `{word}`**: {r['en']} / {r['zh-CN']}"
    entry = a.knowledge.get(word)
    if entry is not None:
        return f"**knowledge `{word}`**: {_kb_title(entry)}"
    return None


@dataclass(frozen=True)
class Target:
    path: str
    line: int  # 1-based
    column: int


def definition(a: Analysis, text: str, line: int, character: int) -> Target | None:
    """Where the name under the cursor is defined: a node, an included file, a knowledge entry."""
    lines = text.splitlines()
    if line < len(lines):
        m = re.search(r"\buse\s*:\s*['\"]?([^'\",}\s]+)", lines[line])
        if m and m.start(1) <= character <= m.end(1):
            target = (Path(a.path).parent / m.group(1)).resolve()
            return Target(str(target), 1, 1) if target.is_file() else None
    word = word_at(text, line, character)
    node = a.nodes.get(word)
    if node is not None:
        return Target(node.path, node.line, node.column)
    entry = a.knowledge.get(word)
    src = getattr(entry, "source", None)
    if src is not None:
        return Target(src.path, src.line, src.column)
    return None


# ----------------------------------------------------------------------------- the server
def build_server() -> Any:
    """The pygls LanguageServer with every feature registered."""
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer
    from pygls.uris import from_fs_path, to_fs_path

    from sandbox import __version__

    server = LanguageServer(NAME, str(__version__))
    known: dict[str, Analysis] = {}
    published: dict[str, set[str]] = {}
    severity = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}

    def fs_path(uri: str) -> str:
        return to_fs_path(uri) or uri

    def to_lsp(d: Any, lines: list[str]) -> Any:
        row = max(0, d.line - 1)
        col = max(0, d.column - 1)
        text = lines[row] if row < len(lines) else ""
        m = re.compile(r"[^\s,}\]]+").match(text, col) if col < len(text) else None
        end = m.end() if m else max(col + 1, len(text))
        return lsp.Diagnostic(
            range=lsp.Range(lsp.Position(row, col), lsp.Position(row, end)),
            message=d.message,
            severity=severity.get(d.severity, lsp.DiagnosticSeverity.Information),
            code=d.code,
            source="shapan",
        )

    def validate(ls: Any, uri: str) -> None:
        doc = ls.workspace.get_text_document(uri)
        path = fs_path(uri)
        a = analyse(doc.source, path, known.get(uri))
        known[uri] = a
        mine = Path(path).resolve()
        by_uri: dict[str, list[Any]] = {uri: []}
        for d in a.diagnostics:
            dp = Path(d.path)
            if dp.resolve() == mine or d.path == path:
                by_uri[uri].append(to_lsp(d, doc.lines))
            else:
                other = from_fs_path(str(dp.resolve())) or d.path
                try:
                    other_lines = dp.read_text(encoding="utf-8").splitlines()
                except OSError:
                    other_lines = []
                by_uri.setdefault(other, []).append(to_lsp(d, other_lines))
        for gone in published.get(uri, set()) - set(by_uri):
            by_uri[gone] = []
        published[uri] = {u for u in by_uri if u != uri}
        for target, diags in by_uri.items():
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=target,
                    diagnostics=diags,
                    version=doc.version if target == uri else None,
                )
            )

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        validate(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        validate(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        _KB_CACHE.clear()  # a saved knowledge file may have changed the base
        validate(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        known.pop(uri, None)
        for target in {uri} | published.pop(uri, set()):
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=target, diagnostics=[])
            )

    kinds = {
        "node": lsp.CompletionItemKind.Reference,
        "behaviour": lsp.CompletionItemKind.EnumMember,
        "risk": lsp.CompletionItemKind.EnumMember,
        "state": lsp.CompletionItemKind.Variable,
        "persona": lsp.CompletionItemKind.Field,
        "knowledge": lsp.CompletionItemKind.Reference,
        "file": lsp.CompletionItemKind.File,
        "function": lsp.CompletionItemKind.Function,
    }

    def analysis(ls: Any, uri: str) -> tuple[Analysis, str]:
        doc = ls.workspace.get_text_document(uri)
        a = known.get(uri)
        if a is None:
            a = known[uri] = analyse(doc.source, fs_path(uri))
        return a, doc.source

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[":", " ", "[", ",", "'", '"', "(", "{", "-"]),
    )
    def completion(ls: LanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        a, text = analysis(ls, params.text_document.uri)
        pos = params.position
        items = [
            lsp.CompletionItem(label=i.label, kind=kinds.get(i.kind), detail=i.detail)
            for i in complete(a, text, pos.line, pos.character)
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        a, text = analysis(ls, params.text_document.uri)
        md = hover_text(a, text, params.position.line, params.position.character)
        if md is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=md))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def goto_definition(ls: LanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        a, text = analysis(ls, params.text_document.uri)
        t = definition(a, text, params.position.line, params.position.character)
        if t is None:
            return None
        at = lsp.Position(max(0, t.line - 1), max(0, t.column - 1))
        return lsp.Location(uri=from_fs_path(t.path) or t.path, range=lsp.Range(at, at))

    return server


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit."""
    build_server().start_io()
    return 0
