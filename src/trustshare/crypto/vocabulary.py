"""The consent vocabulary: scopes and purposes, mirroring `contracts/src/ConsentVocabulary.sol`.

Scopes are the disclosure groups of a record (`Scope.ENROLLMENT.group_name == "enrollment"`);
purposes are what an insurer may use them for. Both are bitmasks on-chain (uint32).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple, Self

from trustshare.crypto.errors import UnknownVocabularyError


class _Label(NamedTuple):
    name: str
    en: str
    zh: str


class _Vocabulary(enum.IntFlag):
    """Shared behaviour of `Scope` and `Purpose`: names, labels, parsing."""

    @classmethod
    def _labels(cls) -> dict[int, _Label]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def key(self) -> str:
        """The machine name of a single flag (`"line_items"`)."""
        return self._single_label().name

    @property
    def label_en(self) -> str:
        """The English label of a single flag."""
        return self._single_label().en

    @property
    def label_zh(self) -> str:
        """The Chinese label of a single flag."""
        return self._single_label().zh

    def _single_label(self) -> _Label:
        label = type(self)._labels().get(int(self))
        if label is None:
            raise UnknownVocabularyError(f"{self!r} is not a single {type(self).__name__.lower()}")
        return label

    def members(self) -> list[Self]:
        """Return the single flags set in this value, in bit order."""
        return [flag for flag in type(self) if flag in self]

    def keys(self) -> list[str]:
        """Return the machine names of the flags set, in bit order."""
        return [flag.key for flag in self.members()]

    def describe(self, language: str = "en") -> str:
        """Human-readable list of the flags set, in English (`en`) or Chinese (`zh`)."""
        if language == "zh":
            return "、".join(flag.label_zh for flag in self.members())
        if language == "en":
            return ", ".join(flag.label_en for flag in self.members())
        raise UnknownVocabularyError(f"language must be 'en' or 'zh', got {language!r}")

    @classmethod
    def every(cls) -> Self:
        """Every defined flag (`ALL_SCOPES` / `ALL_PURPOSES` of the contract)."""
        value = cls(0)
        for flag in cls:
            value |= flag
        return value

    @classmethod
    def from_names(cls, names: str | Iterable[str]) -> Self:
        """Parse names into flags.

        Accepts machine names (`line_items`), contract constant names (`SCOPE_LINE_ITEMS`),
        English or Chinese labels, case-insensitively; a string may list several separated by
        commas or `|`. Raises `UnknownVocabularyError` listing the valid names.
        """
        if isinstance(names, str):
            names = names.replace("|", ",").split(",")
        lookup = cls._lookup()
        value = cls(0)
        seen = False
        for raw in names:
            name = raw.strip()
            if not name:
                continue
            flag = lookup.get(name.casefold())
            if flag is None:
                valid = ", ".join(label.name for label in cls._labels().values())
                raise UnknownVocabularyError(
                    f"unknown {cls.__name__.lower()} {name!r}; valid names: {valid}"
                )
            value |= flag
            seen = True
        if not seen:
            raise UnknownVocabularyError(f"no {cls.__name__.lower()} named")
        return value

    @classmethod
    def from_bits(cls, bits: int) -> Self:
        """Parse an on-chain bitmask, refusing undefined bits."""
        if bits < 0 or bits & ~int(cls.every()):
            raise UnknownVocabularyError(
                f"bitmask {bits:#x} has bits outside the defined "
                f"{cls.__name__.lower()}s {int(cls.every()):#x}"
            )
        return cls(bits)

    @classmethod
    def _lookup(cls) -> dict[str, Self]:
        prefix = f"{cls.__name__.upper()}_"
        table: dict[str, Self] = {}
        for flag in cls:
            label = cls._labels()[int(flag)]
            for alias in (label.name, prefix + label.name, label.en, label.zh):
                table[alias.casefold()] = flag
        return table


class Scope(_Vocabulary):
    """What an insurer may see: one flag per disclosure group of a record."""

    ENROLLMENT = 1 << 0
    SETTLEMENT_SUMMARY = 1 << 1
    FUND_BREAKDOWN = 1 << 2
    LINE_ITEMS = 1 << 3
    DIAGNOSIS = 1 << 4

    @classmethod
    def _labels(cls) -> dict[int, _Label]:
        return _SCOPE_LABELS

    @property
    def group_name(self) -> str:
        """The disclosure group this scope opens (same as `key`)."""
        return self.key

    @classmethod
    def from_group_name(cls, group_name: str) -> Scope:
        """Return the scope of a disclosure group name; exact machine names only."""
        for flag in cls:
            if flag.key == group_name:
                return flag
        valid = ", ".join(GROUP_NAMES)
        raise UnknownVocabularyError(f"unknown disclosure group {group_name!r}; valid: {valid}")


class Purpose(_Vocabulary):
    """What an insurer may use the disclosed data for."""

    UNDERWRITING = 1 << 0
    DIRECT_SETTLEMENT = 1 << 1
    CLAIM = 1 << 2

    @classmethod
    def _labels(cls) -> dict[int, _Label]:
        return _PURPOSE_LABELS


_SCOPE_LABELS = {
    1 << 0: _Label("enrollment", "enrollment facts", "参保信息"),
    1 << 1: _Label("settlement_summary", "settlement summary", "结算概要"),
    1 << 2: _Label("fund_breakdown", "fund breakdown", "基金支付明细"),
    1 << 3: _Label("line_items", "line items", "费用明细"),
    1 << 4: _Label("diagnosis", "diagnosis", "诊断信息"),
}

_PURPOSE_LABELS = {
    1 << 0: _Label("underwriting", "one-click enrollment (underwriting)", "一键投保"),
    1 << 1: _Label("direct_settlement", "direct settlement at discharge", "商保直赔"),
    1 << 2: _Label("claim", "fast claim", "快赔"),
}

GROUP_NAMES: tuple[str, ...] = tuple(label.name for label in _SCOPE_LABELS.values())
"""The disclosure group names, in scope-bit order."""

SCOPE_ENROLLMENT = Scope.ENROLLMENT
SCOPE_SETTLEMENT_SUMMARY = Scope.SETTLEMENT_SUMMARY
SCOPE_FUND_BREAKDOWN = Scope.FUND_BREAKDOWN
SCOPE_LINE_ITEMS = Scope.LINE_ITEMS
SCOPE_DIAGNOSIS = Scope.DIAGNOSIS
ALL_SCOPES = Scope.every()
PURPOSE_UNDERWRITING = Purpose.UNDERWRITING
PURPOSE_DIRECT_SETTLEMENT = Purpose.DIRECT_SETTLEMENT
PURPOSE_CLAIM = Purpose.CLAIM
ALL_PURPOSES = Purpose.every()
