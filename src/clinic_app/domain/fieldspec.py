"""What the follow-up and checkup field specs have in common: choices and number text.

Both forms (``domain/followup.py``, ``domain/checkup.py``) describe their fields as frozen
dataclasses; a field with choices lists them either as codes with labels or as plain words, and
numbers print without a trailing ``.0``. One place for both, so a form shows a choice or a
range the same way wherever it is printed or edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ChoiceField:
    """Mixed into a field spec dataclass that has a ``choices`` attribute."""

    choices: Mapping[str, str] | Sequence[str] | None
    label: str

    def choice_items(self) -> list[tuple[str, str]]:
        """(code, label) pairs; a plain list of words uses each word as its own code."""
        if self.choices is None:
            return []
        if isinstance(self.choices, Mapping):
            return list(self.choices.items())
        return [(c, c) for c in self.choices]

    def parse_choice(self, raw: str) -> str:
        """A choice typed as its code or its label, as its code; anything else refused with
        the labels a doctor may choose from."""
        items = dict(self.choice_items())
        if raw in items:
            return raw
        by_label = {label: code for code, label in items.items()}
        if raw in by_label:
            return by_label[raw]
        raise ValueError(f"{self.label}只能是：{'、'.join(items.values())}")


def num(value: float) -> str:
    """A number without a trailing .0: 36.5 → '36.5', 140.0 → '140'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
