"""Exact integer types of IR values.

``IntType`` is a fixed-width integer: ``u4`` is 0..15, ``i4`` is -8..7, ``i2n`` is the narrow
(symmetric) range -1..1, and ``bipolar`` is the 1-bit set {-1, +1} (stored as 0/1 in hardware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamfold.errors import IRError


@dataclass(frozen=True, slots=True)
class IntType:
    """Fixed-width integer; prints as i4 / u8 / i2n / bipolar."""

    bits: int
    signed: bool
    narrow: bool = False
    bipolar: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.bits, int) or self.bits < 1:
            raise IRError(f"IntType.bits must be an int >= 1, not {self.bits!r}")
        if self.bipolar and (self.bits != 1 or not self.signed or self.narrow):
            raise IRError("IntType: bipolar must be bits=1, signed, not narrow")
        if self.narrow and (not self.signed or self.bits < 2):
            raise IRError(f"IntType: narrow range must be signed with bits >= 2, not {self}")

    @property
    def min(self) -> int:
        if self.bipolar:
            return -1
        if not self.signed:
            return 0
        return -(1 << (self.bits - 1)) + (1 if self.narrow else 0)

    @property
    def max(self) -> int:
        if self.bipolar:
            return 1
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def levels(self) -> int:
        """Number of distinct values."""
        return 2 if self.bipolar else self.max - self.min + 1

    def value_of_level(self, level: int) -> int:
        """The value with index ``level`` in ascending order (0 .. levels-1)."""
        return 2 * level - 1 if self.bipolar else self.min + level

    def contains(self, lo: int, hi: int) -> bool:
        return self.min <= lo and hi <= self.max

    def holds(self, value: int) -> bool:
        """True when ``value`` is one of this type's values (bipolar has only -1 and +1)."""
        return value in (-1, 1) if self.bipolar else self.contains(value, value)

    def __str__(self) -> str:
        if self.bipolar:
            return "bipolar"
        return f"{'i' if self.signed else 'u'}{self.bits}{'n' if self.narrow else ''}"

    @staticmethod
    def parse(text: str) -> IntType:
        if text == "bipolar":
            return BIPOLAR
        m = re.fullmatch(r"([iu])(\d+)(n?)", text)
        if m is None:
            raise IRError(f"IntType: text must look like i4, u8, i2n or bipolar, not {text!r}")
        return IntType(int(m[2]), m[1] == "i", narrow=m[3] == "n")


BIPOLAR = IntType(1, True, bipolar=True)


def narrowest(lo: int, hi: int) -> IntType:
    """The narrowest plain IntType holding every integer in [lo, hi] (unsigned when lo >= 0)."""
    if lo > hi:
        raise IRError(f"narrowest: interval must be non-empty, not [{lo}, {hi}]")
    if lo >= 0:
        return IntType(max(1, hi.bit_length()), False)
    bits = max((-lo - 1).bit_length(), max(hi, 0).bit_length()) + 1
    return IntType(bits, True)
