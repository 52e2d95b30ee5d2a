"""Errors the core raises for people to read: every message is Chinese and says what to do."""

from __future__ import annotations


class ClinicError(Exception):
    """Base of every error shown to a user."""


class ValidationFailed(ClinicError):
    """One or more fields are wrong. ``fields`` maps field name → Chinese message."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("；".join(self.fields.values()))


class DuplicateResident(ClinicError):
    """The ID number already belongs to someone in the register."""

    def __init__(self, existing_id: str, name: str, id_number: str) -> None:
        self.existing_id = existing_id
        self.name = name
        super().__init__(f"身份证号 {id_number} 已登记为 {name}，不能重复登记")


class NotFoundError(ClinicError):
    pass
