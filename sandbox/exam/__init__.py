"""Certification exams: the exam file, its strict validator, replay grading (docs/exam-format.md).

- `load_exam(name_or_path) -> Exam` (raises `ExamError`), `check_exam`, `shipped_exams()`;
- `grade(exam, form_index, journal) -> ExamResult` (raises `JournalError`);
- `play(exam, form_index, chooser)` / `policy_chooser(policy)`: take an exam headless.
"""

from sandbox.exam.errors import EX_CODES, ExamError, JournalError
from sandbox.exam.grading import grade
from sandbox.exam.loader import check_exam, load_exam, shipped_exams
from sandbox.exam.model import Exam
from sandbox.exam.replay import play, policy_chooser, read_journal
from sandbox.exam.result import ContactGrade, ExamResult

__all__ = [
    "EX_CODES",
    "ContactGrade",
    "Exam",
    "ExamError",
    "ExamResult",
    "JournalError",
    "check_exam",
    "grade",
    "load_exam",
    "play",
    "policy_chooser",
    "read_journal",
    "shipped_exams",
]
