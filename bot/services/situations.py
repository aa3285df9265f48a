"""Recognise free text that describes a situation or asks for help, before the place lookup.

"eleven vågar inte gå hem" is not a place called Orhem, and "akut" is not a school: such text
leads to the guide's acute question or to the socialjour's number instead. The text is folded
and matched in memory only; nothing here stores, logs or returns it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.text_normalise import normalise
from knowledge.situations import Situation, shipped_situations


@dataclass(frozen=True)
class SituationWords:
    """Folded phrases → the answer of their situation ("guide" or "socialjour")."""

    phrases: tuple[tuple[str, str], ...]  # (" folded phrase ", answer), longest first

    @classmethod
    def build(cls, situations: tuple[Situation, ...]) -> SituationWords:
        folded = {
            f" {key} ": situation.answer
            for situation in situations
            for phrase in situation.phrases
            if (key := normalise(phrase))
        }
        ordered = sorted(folded.items(), key=lambda item: -len(item[0]))
        return cls(tuple(ordered))

    def answer_for(self, text: str) -> str | None:
        """The answer for the first (longest) phrase in `text`, or None for ordinary text."""
        padded = f" {normalise(text)} "
        for phrase, answer in self.phrases:
            if phrase in padded:
                return answer
        return None


SHIPPED = SituationWords.build(shipped_situations())


def situation_answer(text: str) -> str | None:
    """What free text should lead to ("guide", "socialjour"), or None to look it up as a place."""
    return SHIPPED.answer_for(text)
