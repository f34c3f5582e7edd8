"""The knowledge base: lessons, FAQs, compliance rules and cases that choices link to.

Why strict like journeys: the debrief shows these entries next to a trainee's decisions, and lint
checks every `knowledge:` id of every journey against them, so a typo must be caught with a
file:line:column, never shown as a blank panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from journeys import spec
from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean, make
from journeys.model import Source, Text
from journeys.strict_yaml import YList, YMap, load_file, unknown_fields
from journeys.vocabulary import LANGUAGES


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str
    kind: str  # lesson | faq | compliance | case
    title: Text
    body: Text
    tags: tuple[str, ...]
    source: Source

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title.to_json(),
            "body": self.body.to_json(),
            "tags": list(self.tags),
        }


def knowledge_dir() -> Path:
    return Path(__file__).parent / "library" / "knowledge"


def knowledge_sources(
    extra: Iterable[str | Path] | None = None, beside: Iterable[str | Path] = ()
) -> list[Path]:
    """The knowledge files that add up to one base, in order: the shipped base, the
    `knowledge/` folder beside each journey in `beside` (a journey file or its folder), then
    every `extra` file or folder (`--knowledge`).  The same file twice counts once."""
    roots: list[Path] = [knowledge_dir()]
    for b in beside:
        folder = Path(b) if Path(b).is_dir() else Path(b).parent
        if (folder / "knowledge").is_dir():
            roots.append(folder / "knowledge")
    roots += [Path(x) for x in extra or ()]
    files: list[Path] = []
    seen: set[Path] = set()
    for p in roots:
        for f in sorted(p.glob("*.yaml")) if p.is_dir() else [p]:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files


def merged_knowledge_base(
    extra: Iterable[str | Path] | None = None, beside: Iterable[str | Path] = ()
) -> dict[str, KnowledgeEntry]:
    """The shipped base + a `knowledge/` folder beside the journeys + every `--knowledge`.

    Why add up: a designer's own entries extend the shipped lessons, they do not replace them
    (a journey links both).  An id defined twice is JY016 at the second definition."""
    return load_knowledge_base(knowledge_sources(extra, beside))


def load_knowledge_base(paths: Iterable[str | Path] | None = None) -> dict[str, KnowledgeEntry]:
    """Load knowledge files (folders mean their `*.yaml`); None = the shipped folder.

    Raises `JourneyError` with every problem (unknown fields, duplicate ids across files, ...).
    """
    files: list[Path] = []
    for p in [knowledge_dir()] if paths is None else [Path(x) for x in paths]:
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    entries: dict[str, KnowledgeEntry] = {}
    diags: list[Diagnostic] = []
    for f in files:
        try:
            doc = load_file(f)
        except JourneyError as err:
            diags.extend(err.diagnostics)
            continue
        _load_one(str(f), doc, entries, diags)
    if diags:
        raise JourneyError(diags)
    return entries


def _load_one(
    path: str, doc: object, entries: dict[str, KnowledgeEntry], diags: list[Diagnostic]
) -> None:
    def err(pos, code: str, msg: str) -> None:
        diags.append(make(path, pos.line, pos.column, code, msg))

    if not isinstance(doc, YMap) or not isinstance(doc.get("knowledge"), YList):
        if isinstance(doc, YMap):
            diags.extend(unknown_fields(doc, spec.OBJECTS["knowledge_file"].allowed))
        diags.append(
            make(path, 1, 1, "JY041", "a knowledge file needs 'knowledge:' with a list of entries")
        )
        return
    diags.extend(unknown_fields(doc, spec.OBJECTS["knowledge_file"].allowed))
    obj = spec.OBJECTS["knowledge_entry"]
    items = doc["knowledge"]
    for i, item in enumerate(items):
        ipos = items.item_pos(i)
        if not isinstance(item, YMap):
            err(ipos, "JY010", "a knowledge entry must be a mapping with id, kind, title, body")
            continue
        before = len(diags)
        diags.extend(unknown_fields(item, obj.allowed, "the knowledge entry"))
        for name in obj.required:
            if name not in item:
                err(ipos, "JY012", f'the knowledge entry is missing the required field "{name}"')
        if len(diags) > before:
            continue
        kid = item["id"]
        if not isinstance(kid, str) or not kid.strip() or any(ch.isspace() for ch in kid):
            err(item.value_pos("id"), "JY017", "a knowledge id must be text without spaces")
            continue
        if kid in entries:
            first = entries[kid].source
            err(
                item.value_pos("id"),
                "JY016",
                f"knowledge id '{kid}' is already defined at {first.render()}",
            )
            continue
        kind = item["kind"]
        if kind not in spec.KNOWLEDGE_KINDS:
            hint = (
                did_you_mean(kind, spec.KNOWLEDGE_KINDS)
                or f"; use {allowed_list(spec.KNOWLEDGE_KINDS)}"
            )
            err(item.value_pos("kind"), "JY013", f"unknown knowledge kind '{kind}'{hint}")
            continue
        texts = []
        for name in ("title", "body"):
            value, pos = item[name], item.value_pos(name)
            if isinstance(value, str):
                texts.append(Text(dict.fromkeys(LANGUAGES, value), plain=True))
            elif (
                isinstance(value, YMap)
                and value
                and all(isinstance(v, str) for v in value.values())
            ):
                bad = [k for k in value if k not in LANGUAGES]
                if bad:
                    hint = did_you_mean(bad[0], LANGUAGES)
                    err(value.key_pos(bad[0]), "JY013", f"unknown language '{bad[0]}'{hint}")
                    break
                texts.append(Text(dict(value)))
            else:
                err(pos, "JY010", f"{name} must be text or {{zh-CN: ..., en: ...}}")
                break
        if len(texts) != 2:
            continue
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            err(item.value_pos("tags"), "JY010", "tags must be a list of words")
            continue
        entries[kid] = KnowledgeEntry(
            kid, kind, texts[0], texts[1], tuple(tags), Source(path, ipos.line, ipos.column)
        )
