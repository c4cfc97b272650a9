"""The one wording of each screening decision, in Chinese and English.

A leaf module (it imports nothing of gisplan) so that both the verdict
(:mod:`gisplan.verdict`) and the renderers (:mod:`gisplan.render.labels`) take
their words from here: the terminal, the JSON ``overall_label``, the DOCX and the
XLSX all say the same for one decision.
"""

from __future__ import annotations

__all__ = ["DECISION_LABELS", "UNVERIFIED_MARK", "decision_words", "unverified_mark"]

#: Decision -> words, per language. ``not_applicable`` is a clause or rule that does not
#: apply to the project (it names another industry or zone): never "complies".
#: ``conflict``/``clear`` are the area verdict of issue 2, ``error`` a batch row that
#: could not be screened.
DECISION_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "prohibited": "禁止准入（不相符）",
        "restricted": "限制准入（有条件相符）",
        "review": "需人工核对",
        "allowed": "允许（相符）",
        "not_applicable": "不适用",
        "conflict": "存在空间冲突（不相符）",
        "clear": "未发现空间冲突",
        "error": "无法筛查",
    },
    "en": {
        "prohibited": "prohibited (does not comply)",
        "restricted": "restricted (complies with conditions)",
        "review": "needs manual review",
        "allowed": "allowed (complies)",
        "not_applicable": "not applicable",
        "conflict": "spatial conflict (does not comply)",
        "clear": "no spatial conflict found",
        "error": "could not be screened",
    },
}

#: Shown next to a citation whose quoted words were not checked against the original text.
UNVERIFIED_MARK = {"zh": "条文待核", "en": "citation unverified"}


def decision_words(decision: str, lang: str = "zh") -> str:
    """The words of a decision (``"prohibited"`` -> ``禁止准入（不相符）``); unknown ones as they are."""
    return DECISION_LABELS["en" if lang == "en" else "zh"].get(str(decision), str(decision))


def unverified_mark(lang: str = "zh") -> str:
    """``（条文待核）`` or ``(citation unverified)``, appended to an unverified citation."""
    return "（条文待核）" if lang != "en" else " (citation unverified)"
