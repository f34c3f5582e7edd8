"""Exam diagnostics: the EX code table and the error that carries them.

Codes are a public contract (docs/exam-errors.md documents each, a test checks each at its
line and column), so they live here and nothing invents a code elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from journeys.diagnostics import Diagnostic

#: code -> (English title, Chinese title). Keep in step with docs/exam-errors.md.
EX_CODES: dict[str, tuple[str, str]] = {
    "EX001": ("file cannot be read", "文件无法读取"),
    "EX002": ("YAML syntax error", "YAML 语法错误"),
    "EX003": ("duplicate key", "重复的键"),
    "EX004": ("unsupported YAML feature", "不支持的 YAML 写法"),
    "EX010": ("wrong type", "类型错误"),
    "EX011": ("unknown field", "未知字段"),
    "EX012": ("missing required field", "缺少必填字段"),
    "EX013": ("unknown name", "未知名称"),
    "EX014": ("invalid duration", "时长格式错误"),
    "EX015": ("number out of range", "数值超出范围"),
    "EX016": ("duplicate id", "重复的 id"),
    "EX017": ("unknown scenario", "场景不存在"),
    "EX018": ("scenario has errors", "场景文件有错误"),
    "EX019": ("unknown seat", "席位不存在"),
    "EX020": ("rules contradict each other", "规则互相矛盾"),
    "EX021": ("unknown journey", "旅程不存在"),
    "EX022": ("journey does not fit the seat", "旅程不适合该席位"),
    "EX023": ("persona constraint rules out every caller", "客户条件排除了所有来电者"),
    "EX024": ("station cannot be filled", "考站抽不到符合条件的客户"),
}
#: The strict YAML layer's codes, as exam codes.
YAML_CODES = {
    "JY001": "EX001",
    "JY002": "EX002",
    "JY003": "EX003",
    "JY004": "EX004",
    "JY005": "EX004",
}


def render(d: Diagnostic) -> str:
    """`path:line:column: error EXnnn: message [中文标题]`."""
    zh = EX_CODES.get(d.code, ("", ""))[1]
    tail = f" [{zh}]" if zh else ""
    return f"{d.path}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}{tail}"


class ExamError(Exception):
    """An exam file has errors; `.diagnostics` render as `path:line:column: error EXnnn: ...`."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(render(d) for d in self.diagnostics)


class JournalError(Exception):
    """A journal that cannot be graded: unreadable, malformed, or an entry that does not replay
    (the message names the entry)."""
