"""Weak spots and the knowledge push ("精准滴灌", issue 16): what a mistaken choice violated, when
a trainee repeats the same kind of mistake, and which learning pack answers it.

Pure: no I/O, no engine. The Session feeds it decisions (practice mode only), the trainee
history feeds it per-contact mistake counts; both get the same kinds, rule and packs.

- **What a mistake violated** (`violation`). A choice is a mistake when `journeys.policies`
  says so (`is_mistake`: a risk, a behaviour that moves a rubric dimension down, a poorly
  fitting sale). Nothing is written by hand in the journeys: the violation is derived from the
  choice — its risk types, the rubric dimensions its mistaken behaviours move down, and the
  knowledge ids the journey links to it. Its *kinds* name the mistake for repetition: each risk
  type (`risk.privacy_breach`) when the choice carries a risk, otherwise each mistaken
  behaviour (`behaviour.interrupt`), otherwise `sale.low_fit`.
- **Repetition** (`RepeatRule`, default: 2 times within the last 5 contacts). Occurrences are
  decisions: the same kind twice in one contact counts twice. After a push the count of that
  kind starts again, so a trainee who keeps erring gets the pack again after `times` more.
- **The learning pack** (`learning_pack`): at most one micro-lesson, FAQ, case and compliance
  point from the knowledge base, on the point first — the entries the mistaken choices link
  that carry the kind's own tags (`KIND_TAGS`), then other entries with those tags, then the
  rest the choices link (most linked first), then entries tagged with the rubric dimensions
  the kind moves down.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from journeys.model import CrossSell
from journeys.policies import MISTAKE_BEHAVIOURS, is_mistake
from journeys.vocabulary import BEHAVIOURS, RISK_TYPES, RUBRIC

#: The parts of a learning pack, in the order they are shown.
PACK_KINDS: tuple[str, ...] = ("lesson", "faq", "case", "compliance")
PACK_LABELS: dict[str, dict[str, str]] = {
    "lesson": {"zh-CN": "微课", "en": "Micro-lesson"},
    "faq": {"zh-CN": "常见问答", "en": "FAQ"},
    "case": {"zh-CN": "案例", "en": "Case"},
    "compliance": {"zh-CN": "合规要点", "en": "Compliance point"},
}
#: Knowledge-base tags that answer a kind of mistake when the choices link too little.
KIND_TAGS: dict[str, tuple[str, ...]] = {
    "risk.privacy_breach": ("privacy", "verification"),
    "risk.wrong_info": ("accuracy", "new_rule"),
    "risk.compliance_breach": ("compliance", "privacy"),
    "risk.escalation_risk": ("trigger", "complaint", "escalation"),
    "risk.mis_selling": ("suitability", "sales", "consent"),
    "behaviour.skip_verification": ("verification", "privacy"),
    "behaviour.disclose_private": ("privacy",),
    "behaviour.interrupt": ("listening",),
    "behaviour.argue": ("complaint", "pressure"),
    "behaviour.blame_customer": ("empathy",),
    "behaviour.blame_system": ("recovery",),
    "behaviour.scripted": ("empathy",),
    "behaviour.rush": ("listening",),
    "behaviour.wrong_info": ("accuracy",),
    "behaviour.vague_info": ("accuracy", "explain"),
    "behaviour.jargon": ("explain",),
    "behaviour.refuse": ("soothing",),
    "behaviour.overpromise": ("accuracy", "compliance"),
    "behaviour.pushy_sales": ("consent", "sales"),
    "sale.low_fit": ("needs", "suitability", "sales"),
}


@dataclass(frozen=True)
class RepeatRule:
    """A mistake is *repeated* when its kind occurs `times` times within the last `window`
    contacts (the current one included)."""

    times: int = 2
    window: int = 5

    def __post_init__(self) -> None:
        if isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1:
            raise ValueError(f"times must be a whole number >= 1, not {self.times!r}")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise ValueError(f"window must be a whole number >= 1, not {self.window!r}")

    def to_json(self) -> dict[str, int]:
        return {"times": self.times, "window": self.window}


DEFAULT_RULE = RepeatRule()


@dataclass(frozen=True)
class Violation:
    """What one mistaken choice violated."""

    kinds: tuple[str, ...]
    rubric: tuple[str, ...]
    risks: tuple[str, ...]
    behaviours: tuple[str, ...]
    knowledge: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "rubric": list(self.rubric), "risks": list(self.risks),
                "behaviours": list(self.behaviours), "knowledge": list(self.knowledge)}  # fmt: skip


@dataclass(frozen=True)
class _View:
    behaviours: tuple[str, ...]
    risk: tuple[str, ...]
    cross_sell: Any = None


def violation(behaviours: Iterable[str], risks: Iterable[str] = (),
              knowledge: Iterable[str] = (), fit: str | None = None) -> Violation | None:  # fmt: skip
    """The violation of a choice with these behaviours, risk types, linked knowledge ids and
    cross-sell fit; None when `journeys.policies.is_mistake` says it is no mistake."""
    tags = tuple(behaviours)
    risk = tuple(dict.fromkeys(r for r in risks if r))
    if not is_mistake(_View(tags, risk, CrossSell("", fit) if fit else None)):
        return None
    bad = tuple(b for b in tags if b in MISTAKE_BEHAVIOURS)
    if risk:
        kinds = tuple(f"risk.{r}" for r in risk)
    elif bad:
        kinds = tuple(f"behaviour.{b}" for b in bad)
    else:
        kinds = ("sale.low_fit",)
    dims = [d for b in bad for d, direction in BEHAVIOURS[b].rubric if direction < 0]
    if kinds == ("sale.low_fit",):
        dims.append("sales")
    return Violation(kinds, tuple(dict.fromkeys(dims)), risk, bad,
                     tuple(dict.fromkeys(k for k in knowledge if k)))  # fmt: skip


def choice_violation(choice: Any) -> Violation | None:
    """The violation of a journey choice (`journeys.model.Choice` or a runtime view)."""
    risk = getattr(choice, "risk", None)
    risks = (risk,) if isinstance(risk, str) else tuple(risk or ())
    offer = getattr(choice, "cross_sell", None)
    fit = offer.get("fit") if isinstance(offer, Mapping) else getattr(offer, "fit", None)
    return violation(tuple(getattr(choice, "behaviours", ()) or ()), risks,
                     tuple(getattr(choice, "knowledge", ()) or ()), fit)  # fmt: skip


def decision_violation(decision: Mapping[str, Any]) -> Violation | None:
    """The violation of a recorded decision (a seat's decision detail: `behaviours`, `risks`,
    `knowledge` as ids or `{id, ...}`)."""
    kids = [k if isinstance(k, str) else str(k.get("id")) for k in decision.get("knowledge") or ()]
    risks = [r if isinstance(r, str) else str(r.get("type")) for r in decision.get("risks") or ()]
    return violation(decision.get("behaviours") or (), risks, kids)


def journey_violations(journey: Any) -> dict[tuple[str, str], Violation]:
    """Every mistaken choice of a journey: {(node id, choice id): violation}."""
    out: dict[tuple[str, str], Violation] = {}
    for node_id, node in journey.nodes.items():
        for choice in getattr(node, "choices", ()) or ():
            v = choice_violation(choice)
            if v is not None:
                out[(node_id, choice.id)] = v
    return out


def kind_label(kind: str, lang: str = "en") -> str:
    """A kind of mistake in words (never its id)."""
    family, _, name = kind.partition(".")
    if family == "risk" and name in RISK_TYPES:
        return RISK_TYPES[name].get(lang, RISK_TYPES[name]["en"])
    if family == "behaviour" and name in BEHAVIOURS:
        return BEHAVIOURS[name].label(lang)
    if kind == "sale.low_fit":
        return "推荐不合适的产品" if lang == "zh-CN" else "an offer that does not fit"
    return name.replace("_", " ")


def kind_text(kind: str) -> dict[str, str]:
    return {lang: kind_label(kind, lang) for lang in ("zh-CN", "en")}


def kind_rubric(kind: str) -> tuple[str, ...]:
    """The rubric dimensions a kind of mistake moves down (a risk: compliance or accuracy)."""
    family, _, name = kind.partition(".")
    if family == "behaviour" and name in BEHAVIOURS:
        return tuple(d for d, direction in BEHAVIOURS[name].rubric if direction < 0)
    if family == "risk":
        return {"privacy_breach": ("compliance",), "compliance_breach": ("compliance",),
                "wrong_info": ("accuracy",), "mis_selling": ("sales",),
                "escalation_risk": ("soothing",)}.get(name, ())  # fmt: skip
    return ("sales",)


def kind_tags(kind: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*KIND_TAGS.get(kind, ()), *kind_rubric(kind)]))


# -- the knowledge base as plain entries ---------------------------------------------------------
def kb_entries(kb: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{id: {id, kind, title{}, body{}, tags[]}} from `journeys.knowledge` entries (or dicts)."""
    out: dict[str, dict[str, Any]] = {}
    for kid, entry in kb.items():
        doc = entry.to_json() if hasattr(entry, "to_json") else dict(entry)
        out[kid] = {"id": kid, "kind": doc["kind"], "title": dict(doc["title"]),
                    "body": dict(doc["body"]), "tags": list(doc.get("tags") or ())}  # fmt: skip
    return out


def learning_pack(kind: str, linked: Iterable[str], kb: Mapping[str, Mapping[str, Any]]
                  ) -> list[dict[str, Any]]:  # fmt: skip
    """At most one entry per pack kind (lesson, FAQ, case, compliance point), on the point
    first: the knowledge the mistaken choices linked that carries the kind's own tags
    (`KIND_TAGS`), then other entries with those tags, then the rest of what the choices
    linked (in the given order), then entries tagged with the rubric dimensions it moves down."""
    point = KIND_TAGS.get(kind, ())  # the kind's own tags
    tags = kind_tags(kind)  # ... and the rubric dimensions it moves down

    def tagged(among: tuple[str, ...]) -> list[Mapping[str, Any]]:
        return sorted(
            (e for e in kb.values() if any(t in e.get("tags", ()) for t in among)),
            key=lambda e: (min(among.index(t) for t in e.get("tags", ()) if t in among), e["id"]),
        )

    mine = [kb[k] for k in dict.fromkeys(linked) if k in kb]
    on_point = [e for e in mine if any(t in e.get("tags", ()) for t in point)]
    candidates = on_point + tagged(point) + mine + tagged(tags)
    pack: dict[str, Mapping[str, Any]] = {}
    for entry in candidates:
        if entry["kind"] in PACK_KINDS and entry["kind"] not in pack:
            pack[entry["kind"]] = entry
    return [{"id": pack[k]["id"], "kind": k, "label": dict(PACK_LABELS[k]),
             "title": dict(pack[k]["title"]), "body": dict(pack[k]["body"])}
            for k in PACK_KINDS if k in pack]  # fmt: skip


# -- the live push (a session) -------------------------------------------------------------------
@dataclass
class MistakeTracker:
    """Counts one trainee's mistakes decision by decision and says when to push a pack."""

    kb: Mapping[str, Mapping[str, Any]]
    rule: RepeatRule = DEFAULT_RULE
    contacts: list[str] = field(default_factory=list)
    #: (contact position, kind, linked knowledge, contact id) of every mistake, in order
    events: list[tuple[int, str, tuple[str, ...], str]] = field(default_factory=list)
    since: dict[str, int] = field(default_factory=dict)  # kind -> first event counted again
    pushes: list[dict[str, Any]] = field(default_factory=list)
    journeys: list[str | None] = field(default_factory=list)  # per contact position

    def observe(self, contact_id: str, decision: Mapping[str, Any],
                journey_id: str | None = None) -> dict[str, Any] | None:  # fmt: skip
        """Take one decision of the trainee; the push it earns, or None."""
        if contact_id not in self.contacts:
            self.contacts.append(contact_id)
            self.journeys.append(journey_id)
        pos = self.contacts.index(contact_id)
        v = decision_violation(decision)
        if v is None:
            return None
        for kind in v.kinds:
            self.events.append((pos, kind, v.knowledge, contact_id))
        oldest = len(self.contacts) - self.rule.window
        due = []
        for kind in v.kinds:
            hits = [i for i, e in enumerate(self.events)
                    if e[1] == kind and e[0] >= oldest and i >= self.since.get(kind, 0)]  # fmt: skip
            if len(hits) >= self.rule.times:
                due.append((kind, hits))
        if not due:
            return None
        kind, hits = due[0]
        for k, _ in due:  # one push per decision; every kind it answers starts again
            self.since[k] = len(self.events)
        linked = Counter(kid for i in hits for kid in self.events[i][2])
        order = sorted(linked, key=lambda k: (-linked[k], k))
        push = {
            "n": len(self.pushes) + 1, "kind": kind, "label": kind_text(kind),
            "count": len(hits), "rule": self.rule.to_json(), "contact_id": contact_id,
            "contacts": sorted({self.events[i][3] for i in hits}),
            "rubric": list(kind_rubric(kind)),
            "risk": kind.partition(".")[2] if kind.startswith("risk.") else None,
            "pack": learning_pack(kind, order, self.kb),
        }  # fmt: skip
        self.pushes.append(push)
        return push

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per kind: occurrences, contacts, linked knowledge (most linked first)."""
        out: dict[str, dict[str, Any]] = {}
        for pos, kind, kids, _cid in self.events:
            row = out.setdefault(kind, {"count": 0, "contacts": set(), "linked": Counter(),
                                        "last": pos})  # fmt: skip
            row["count"] += 1
            row["contacts"].add(pos)
            row["linked"].update(kids)
            row["last"] = pos
        return out

    def weak_spots(self, top: int = 3) -> list[dict[str, Any]]:
        """The session's top weak spots with their packs (for the debrief)."""
        rows = [ContactMistakes(pos, self.journeys[pos], {}) for pos in range(len(self.contacts))]
        linked: dict[str, Counter[str]] = {}
        for pos, kind, kids, _cid in self.events:
            rows[pos].kinds[kind] = rows[pos].kinds.get(kind, 0) + 1
            linked.setdefault(kind, Counter()).update(kids)
        return rank_weak_spots(rows, self.kb, self.rule, top=top,
                               linked=lambda kind, _j: _ordered(linked.get(kind)))  # fmt: skip


def _ordered(counter: Counter[str] | None) -> list[str]:
    if not counter:
        return []
    return sorted(counter, key=lambda k: (-counter[k], k))


# -- weak spots over a history ---------------------------------------------------------------------
@dataclass
class ContactMistakes:
    """One contact in a trainee's history: its position, journey and mistakes by kind."""

    order: int
    journey_id: str | None
    kinds: dict[str, int]
    at: float | None = None


def rank_weak_spots(contacts: Sequence[ContactMistakes], kb: Mapping[str, Mapping[str, Any]],
                    rule: RepeatRule = DEFAULT_RULE, *, top: int = 5,
                    linked: Callable[[str, Sequence[str]], Sequence[str]] | None = None,
                    ) -> list[dict[str, Any]]:  # fmt: skip
    """The weak spots of a run of contacts (oldest first): per kind of mistake, how often and
    in how many contacts, whether it is *repeated now* (the rule holds over the last `window`
    contacts) or ever was, the journeys it happened in, and its learning pack. Ranked: repeated
    now first, then by occurrences in the last window, then overall."""
    n = len(contacts)
    recent_from = n - rule.window
    rows: dict[str, dict[str, Any]] = {}
    window: deque[dict[str, int]] = deque(maxlen=rule.window)
    for i, c in enumerate(contacts):
        window.append(c.kinds)
        for kind, count in c.kinds.items():
            if count <= 0:
                continue
            r = rows.setdefault(kind, {"kind": kind, "label": kind_text(kind), "count": 0,
                                       "contacts": 0, "recent": 0, "ever_repeated": False,
                                       "journeys": Counter(), "first_at": c.at,
                                       "last_at": c.at})  # fmt: skip
            r["count"] += count
            r["contacts"] += 1
            r["last_at"] = c.at
            if i >= recent_from:
                r["recent"] += count
            if c.journey_id:
                r["journeys"][c.journey_id] += count
            if sum(w.get(kind, 0) for w in window) >= rule.times:
                r["ever_repeated"] = True
    out = []
    for kind, r in rows.items():
        journeys = sorted(r["journeys"], key=lambda j: (-r["journeys"][j], j))
        kids = list(linked(kind, journeys)) if linked is not None else []
        out.append({**r, "repeated_now": r["recent"] >= rule.times,
                    "journeys": [{"id": j, "count": r["journeys"][j]} for j in journeys],
                    "rubric": list(kind_rubric(kind)),
                    "risk": kind.partition(".")[2] if kind.startswith("risk.") else None,
                    "pack": learning_pack(kind, kids, kb)})  # fmt: skip
    out.sort(key=lambda r: (not r["repeated_now"], -r["recent"], -r["count"], r["kind"]))
    return out[:top]


def journey_links(journeys: Mapping[str, Any]) -> Callable[[str, Sequence[str]], list[str]]:
    """A `linked` provider for `rank_weak_spots`: the knowledge the given journeys link to
    their choices of a kind (derived from the journeys, most linked first)."""
    table: dict[str, dict[str, Counter[str]]] = {}
    for jid, journey in journeys.items():
        per: dict[str, Counter[str]] = {}
        for v in journey_violations(journey).values():
            for kind in v.kinds:
                per.setdefault(kind, Counter()).update(v.knowledge)
        table[jid] = per

    def linked(kind: str, journey_ids: Sequence[str]) -> list[str]:
        total: Counter[str] = Counter()
        for jid in journey_ids:
            total.update(table.get(jid, {}).get(kind, Counter()))
        if not total:  # the kind happened in journeys we cannot read: any journey's links
            for per in table.values():
                total.update(per.get(kind, Counter()))
        return _ordered(total)

    return linked


def practice_plan(spots: Sequence[Mapping[str, Any]], journeys: Mapping[str, Any], *,
                  per_spot: int = 2) -> list[dict[str, Any]]:  # fmt: skip
    """Which journeys to replay next: for each weak spot, the journeys where the trainee made
    it (most often first), then other journeys that put the same mistake on offer — each
    journey once, with the weak spots it trains."""
    offers: dict[str, list[str]] = {}
    for jid, journey in sorted(journeys.items()):
        kinds = {k for v in journey_violations(journey).values() for k in v.kinds}
        for kind in kinds:
            offers.setdefault(kind, []).append(jid)
    plan: dict[str, dict[str, Any]] = {}
    for rank, spot in enumerate(spots, start=1):
        kind = spot["kind"]
        mine = [j["id"] for j in spot.get("journeys") or () if j["id"] in journeys]
        picks = (mine + [j for j in offers.get(kind, []) if j not in mine])[:per_spot]
        for jid in picks:
            item = plan.setdefault(jid, {"journey": jid, "title": _title(journeys[jid]),
                                         "priority": rank, "trains": [],
                                         "why": "repeat" if jid in mine else "practice"})  # fmt: skip
            if kind not in [t["kind"] for t in item["trains"]]:
                item["trains"].append({"kind": kind, "label": kind_text(kind)})
    order = list(plan)
    return sorted(plan.values(), key=lambda p: (p["priority"], p["why"] != "repeat",
                                               order.index(p["journey"])))  # fmt: skip


def _title(journey: Any) -> dict[str, str]:
    title = getattr(journey, "title", None)
    if title is None:
        return {}
    return {lang: title[lang] for lang in ("zh-CN", "en")}


def entry_title(entry: Mapping[str, Any], lang: str) -> str:
    """A pack entry's title in `lang`, without a leading "Case:"/"案例：" that repeats its label."""
    title = str((entry.get("title") or {}).get(lang) or (entry.get("title") or {}).get("en") or "")
    label = str((entry.get("label") or {}).get(lang) or "")
    for sep in ("：", ": "):
        if label and title.lower().startswith((label + sep).lower()):
            return title[len(label) + len(sep) :]
    return title


def rubric_label(dim: str, lang: str) -> str:
    return RUBRIC.get(dim, {}).get(lang, dim)
