"""Competition diagnostics: the LG code table and the error that carries them.

Codes are a public contract (docs/competition-errors.md documents each, a test checks each at
its line and column with a broken fixture), so they live here and nothing invents a code
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from journeys.diagnostics import Diagnostic

#: code -> (English title, Chinese title). Keep in step with docs/competition-errors.md.
LG_CODES: dict[str, tuple[str, str]] = {
    "LG001": ("file cannot be read", "文件无法读取"),
    "LG002": ("YAML syntax error", "YAML 语法错误"),
    "LG003": ("duplicate key", "重复的键"),
    "LG004": ("unsupported YAML feature", "不支持的 YAML 写法"),
    "LG010": ("wrong type", "类型错误"),
    "LG011": ("unknown field", "未知字段"),
    "LG012": ("missing required field", "缺少必填字段"),
    "LG013": ("unknown name", "未知名称"),
    "LG014": ("invalid duration", "时长格式错误"),
    "LG015": ("number out of range", "数值超出范围"),
    "LG016": ("duplicate", "重复"),
    "LG017": ("unknown scenario", "场景不存在"),
    "LG018": ("scenario has errors", "场景文件有错误"),
    "LG019": ("unknown seat", "席位不存在"),
    "LG020": ("teams and signup: exactly one", "队伍名单与报名二选一"),
    "LG021": ("unknown journey", "旅程不存在"),
    "LG022": ("journey does not fit the seat", "旅程不适合该席位"),
    "LG023": ("invalid persona mix", "客户构成无效"),
    "LG024": ("persona mix leaves a journey without callers", "客户构成使旅程无人来电"),
    "LG025": ("freeze too long", "封榜时间过长"),
    "LG026": ("tie-break not in the scorecard", "决胜指标不在计分卡中"),
    "LG027": ("rules contradict each other", "规则互相矛盾"),
}
#: The strict YAML layer's codes, as competition codes.
YAML_CODES = {
    "JY001": "LG001",
    "JY002": "LG002",
    "JY003": "LG003",
    "JY004": "LG004",
    "JY005": "LG004",
}


def render(d: Diagnostic) -> str:
    """`path:line:column: error LGnnn: message [中文标题]`."""
    zh = LG_CODES.get(d.code, ("", ""))[1]
    tail = f" [{zh}]" if zh else ""
    return f"{d.path}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}{tail}"


class CompetitionError(Exception):
    """A competition file has errors; `.diagnostics` render as
    `path:line:column: error LGnnn: ...`."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(render(d) for d in self.diagnostics)
