"""Diagnostics: every problem a designer can make, with a stable code and a position.

Why a registry: codes are a public contract (docs/journey-errors.md documents each one, tests
check each one), so they live in one table and nothing may invent a code elsewhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

#: code -> (severity, one-line title).  Keep in step with docs/journey-errors.md.
CODES: dict[str, tuple[str, str]] = {
    # file and YAML layer
    "JY001": ("error", "file cannot be read"),
    "JY002": ("error", "YAML syntax error"),
    "JY003": ("error", "duplicate key"),
    "JY004": ("error", "unsupported YAML feature"),
    "JY005": ("error", "alias expands too far"),
    # structure
    "JY010": ("error", "wrong type"),
    "JY011": ("error", "unknown field"),
    "JY012": ("error", "missing required field"),
    "JY013": ("error", "unknown name from the vocabulary"),
    "JY014": ("error", "unknown state variable"),
    "JY015": ("error", "unknown node"),
    "JY016": ("error", "duplicate id"),
    "JY017": ("error", "invalid id"),
    "JY018": ("error", "node needs exactly one of choices, route, ending"),
    "JY019": ("error", "value out of range or contradictory"),
    "JY020": ("error", "invalid duration"),
    "JY021": ("error", "invalid effect"),
    "JY022": ("error", "route must end with one unconditional entry"),
    "JY023": ("error", "invalid random branch"),
    "JY024": ("error", "invalid trigger"),
    "JY025": ("error", "route loop without a choice"),
    # expressions
    "JY030": ("error", "expression syntax error"),
    "JY031": ("error", "forbidden expression"),
    "JY032": ("error", "bad function call in expression"),
    "JY033": ("error", "expression type error"),
    # includes
    "JY040": ("error", "include cannot be loaded"),
    "JY041": ("error", "file is not the expected kind"),
    "JY042": ("error", "fragment exit problem"),
    "JY043": ("error", "include outside the journey's library"),
    # lint (warnings)
    "JY101": ("warning", "unreachable node"),
    "JY102": ("warning", "dead end"),
    "JY103": ("warning", "every choice can be disabled and there is no fallback"),
    "JY104": ("warning", "unused state variable"),
    "JY105": ("warning", "missing translation"),
    "JY106": ("warning", "unknown knowledge id"),
    "JY107": ("warning", "possible route loop too complex to decide"),
}


#: Chinese titles, appended to rendered diagnostics so Chinese-speaking designers read them too.
CODES_ZH: dict[str, str] = {
    "JY001": "文件无法读取",
    "JY002": "YAML 语法错误",
    "JY003": "重复的键",
    "JY004": "不支持的 YAML 写法",
    "JY005": "别名展开过大",
    "JY010": "类型错误",
    "JY011": "未知字段",
    "JY012": "缺少必填字段",
    "JY013": "词表中没有这个名称",
    "JY014": "未声明的状态变量",
    "JY015": "节点不存在",
    "JY016": "重复的 id",
    "JY017": "id 不合法",
    "JY018": "节点必须且只能有 choices、route、ending 之一",
    "JY019": "取值超出范围或互相矛盾",
    "JY020": "时长格式错误",
    "JY021": "效果写法错误",
    "JY022": "route 最后一项必须无条件",
    "JY023": "随机分支错误",
    "JY024": "触发规则错误",
    "JY025": "没有选项的 route 死循环",
    "JY030": "条件表达式语法错误",
    "JY031": "条件表达式含禁止的写法",
    "JY032": "条件表达式函数调用错误",
    "JY033": "条件表达式类型错误",
    "JY040": "引用的片段无法加载",
    "JY041": "文件类型不对",
    "JY042": "片段出口错误",
    "JY043": "引用的片段在旅程库之外",
    "JY101": "节点不可达",
    "JY102": "死胡同",
    "JY103": "选项可能全部被禁用且没有兜底",
    "JY104": "未使用的状态变量",
    "JY105": "缺少翻译",
    "JY106": "知识库 id 不存在",
    "JY107": "可能的 route 循环（条件过多无法判定）",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding at `path:line:column` (1-based).  `severity` is "error" or "warning"."""

    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str

    def render(self) -> str:
        zh = CODES_ZH.get(self.code)
        tail = f" [{zh}]" if zh else ""
        return (
            f"{self.path}:{self.line}:{self.column}: {self.severity} {self.code}: "
            f"{self.message}{tail}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "title_zh": CODES_ZH.get(self.code),
        }

    def __str__(self) -> str:
        return self.render()


def make(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    """A diagnostic whose severity comes from the code registry (unknown codes are a bug)."""
    severity = CODES[code][0]
    return Diagnostic(str(path), max(1, int(line)), max(1, int(column)), severity, code, message)


class JourneyError(Exception):
    """A journey (or other strict YAML file) has errors.  `.diagnostics` lists them all."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def did_you_mean(name: object, candidates: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest candidate, or '' when nothing is close."""
    if not isinstance(name, str):
        return ""
    pool = [c for c in candidates if isinstance(c, str)]
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            match = [lowered[name.lower()]]
    return f' (did you mean "{match[0]}"?)' if match else ""


def allowed_list(candidates: Iterable[str], limit: int = 12) -> str:
    """A short 'one of: a, b, c' list for messages."""
    items = list(candidates)
    shown = ", ".join(items[:limit])
    return shown + (", ..." if len(items) > limit else "")
