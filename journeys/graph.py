"""Graph export of a journey: Mermaid and Graphviz DOT text, SVG/PNG through the `dot` binary.

Why both: Mermaid renders in Markdown (GitLab, GitHub, wikis) for reviews; DOT/SVG gives a
printable map for design sessions.  Endings are coloured by outcome so a designer sees at a glance
where the good and bad endings are; fragment nodes are grouped by their include alias.
"""

from __future__ import annotations

import shutil
import subprocess

from journeys.model import Journey, Node

OUTCOME_COLOURS: dict[str, str] = {
    "resolved": "#2e7d32",
    "sale": "#1565c0",
    "escalated": "#ef6c00",
    "transferred": "#6a1b9a",
    "callback_promised": "#00838f",
    "customer_hung_up": "#c62828",
    "compliance_breach": "#b71c1c",
    "unresolved": "#757575",
}
STAGE_FILL = "#f5f5f5"


class GraphvizMissing(RuntimeError):
    """The `dot` binary is not installed."""


def _edges(node: Node) -> list[tuple[str, str, str]]:
    out = []
    for c in node.choices:
        label = c.id + (" [if]" if c.condition is not None else "") + (" (once)" if c.once else "")
        if c.fallback:
            label += " (fallback)"
        out.append((node.id, c.goto or node.id, label))
    for r in node.route:
        if r.kind == "if":
            out.append((node.id, r.goto or "", f"if {r.condition.source}"))
        elif r.kind == "goto":
            out.append((node.id, r.goto or "", "else" if len(node.route) > 1 else ""))
        else:
            total = sum(w for _, w in r.weights)
            for target, w in r.weights:
                out.append((node.id, target, f"{100 * w / total:.0f}%"))
    return out


#: Characters of a node's first line shown under its id.
FIRST_LINE_CHARS = 36


def first_line(node: Node, lang: str) -> str:
    """The first line said in `node` (in `lang`), shortened for a graph label; '' if none."""
    if not node.say:
        return ""
    text = " ".join(node.say[0].text[lang].split())
    if len(text) > FIRST_LINE_CHARS:
        text = text[: FIRST_LINE_CHARS - 1].rstrip() + "…"
    return f"{node.say[0].speaker}: {text}"


def _label(node: Node, lang: str) -> str:
    """Id, stage or outcome, and the node's first line in `lang` (what `--lang` chooses)."""
    if node.ending:
        head = f"{node.id}\n[{node.ending.outcome}]"
    else:
        head = f"{node.id}\n({node.stage})" if node.stage else node.id
    line = first_line(node, lang)
    return f"{head}\n{line}" if line else head


def to_mermaid(journey: Journey, lang: str = "en") -> str:
    """A Mermaid flowchart."""

    def mid(nid: str) -> str:
        return "n_" + nid.replace(".", "__")

    def esc(text: str) -> str:
        return text.replace('"', "#quot;").replace("\n", "<br/>")

    lines = ["flowchart TD", f"  %% {journey.id} v{journey.version} {journey.content_hash[:12]}"]
    groups: dict[str | None, list[Node]] = {}
    for node in journey.nodes.values():
        groups.setdefault(node.fragment, []).append(node)
    for alias, nodes in groups.items():
        indent = "  "
        if alias:
            lines.append(f'  subgraph {mid(alias)}["{esc(alias)}"]')
            indent = "    "
        for node in nodes:
            text = esc(_label(node, lang))
            shape = (
                f'(["{text}"])'
                if node.ending
                else (f'{{"{text}"}}' if node.route else f'["{text}"]')
            )
            lines.append(f"{indent}{mid(node.id)}{shape}")
        if alias:
            lines.append("  end")
    lines.append(f'  start((" ")) --> {mid(journey.start)}')
    for node in journey.nodes.values():
        for a, b, label in _edges(node):
            arrow = f'-->|"{esc(label)}"|' if label else "-->"
            lines.append(f"  {mid(a)} {arrow} {mid(b)}")
    for outcome, colour in OUTCOME_COLOURS.items():
        lines.append(f"  classDef {outcome} fill:{colour},color:#ffffff,stroke:{colour}")
    for node in journey.nodes.values():
        if node.ending:
            lines.append(f"  class {mid(node.id)} {node.ending.outcome}")
    return "\n".join(lines) + "\n"


def to_dot(journey: Journey, lang: str = "en") -> str:
    """A Graphviz DOT digraph."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    title = journey.title[lang]
    out = [
        f"digraph {q(journey.id)} {{",
        f'  label={q(f"{title} ({journey.id} v{journey.version})")}; labelloc=t; rankdir=TB; fontname="sans-serif";',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="sans-serif"];',
        '  edge [fontname="sans-serif", fontsize=10];',
        '  "__start" [shape=circle, label="", width=0.2, fillcolor="#000000"];',
    ]
    groups: dict[str | None, list[Node]] = {}
    for node in journey.nodes.values():
        groups.setdefault(node.fragment, []).append(node)
    for alias, nodes in groups.items():
        indent = "  "
        if alias:
            out.append(f"  subgraph {q('cluster_' + alias)} {{ label={q(alias)}; style=dashed;")
            indent = "    "
        for node in nodes:
            attrs = [f"label={q(_label(node, lang))}"]
            if node.ending:
                colour = OUTCOME_COLOURS.get(node.ending.outcome, "#757575")
                attrs += ["shape=doubleoctagon", f'fillcolor="{colour}"', 'fontcolor="#ffffff"']
            elif node.route:
                attrs += ["shape=diamond", 'style="filled"']
            out.append(f"{indent}{q(node.id)} [{', '.join(attrs)}];")
        if alias:
            out.append("  }")
    out.append(f'  "__start" -> {q(journey.start)};')
    for node in journey.nodes.values():
        for a, b, label in _edges(node):
            out.append(f"  {q(a)} -> {q(b)}" + (f" [label={q(label)}];" if label else ";"))
    out.append("}")
    return "\n".join(out) + "\n"


def render(journey: Journey, fmt: str, lang: str = "en", timeout_s: float = 60.0) -> bytes:
    """SVG or PNG bytes rendered by Graphviz `dot`; raises GraphvizMissing without it."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "Graphviz 'dot' is not installed; install it (Debian/Ubuntu: apt-get install -y "
            "graphviz, macOS: brew install graphviz) or use --format mermaid|dot"
        )
    proc = subprocess.run(
        [exe, f"-T{fmt}"],
        input=to_dot(journey, lang).encode("utf-8"),
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout
