"""L0: IntType ranges, text form and validation; narrowest() on hand-computed intervals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold.errors import IRError
from streamfold.ir import BIPOLAR, IntType, narrowest

TYPES = [  # type, text, min, max, levels
    pytest.param(IntType(1, False), "u1", 0, 1, 2, id="u1"),
    pytest.param(IntType(8, False), "u8", 0, 255, 256, id="u8"),
    pytest.param(IntType(2, True), "i2", -2, 1, 4, id="i2"),
    pytest.param(IntType(8, True), "i8", -128, 127, 256, id="i8"),
    pytest.param(IntType(2, True, narrow=True), "i2n", -1, 1, 3, id="i2n"),
    pytest.param(IntType(4, True, narrow=True), "i4n", -7, 7, 15, id="i4n"),
    pytest.param(BIPOLAR, "bipolar", -1, 1, 2, id="bipolar"),
]


@pytest.mark.parametrize("t, text, lo, hi, levels", TYPES)
def test_range_and_levels(t, text, lo, hi, levels):
    assert (t.min, t.max, t.levels) == (lo, hi, levels)


@pytest.mark.parametrize("t, text, lo, hi, levels", TYPES)
def test_text_round_trip(t, text, lo, hi, levels):
    assert str(t) == text
    assert IntType.parse(text) == t


@pytest.mark.parametrize("t, text, lo, hi, levels", TYPES)
def test_value_of_level_enumerates_the_values(t, text, lo, hi, levels):
    values = [t.value_of_level(k) for k in range(t.levels)]
    expected = [-1, 1] if t.bipolar else list(range(lo, hi + 1))
    assert values == expected


def test_contains_is_inclusive_at_both_ends():
    i4 = IntType(4, True)
    assert i4.contains(-8, 7)
    assert not i4.contains(-9, 7)
    assert not i4.contains(-8, 8)


def test_bipolar_is_the_shared_constant():
    assert IntType(1, True, bipolar=True) == BIPOLAR


@pytest.mark.parametrize(
    "make, message",
    [
        pytest.param(
            lambda: IntType(0, False), r"^IntType\.bits must be an int >= 1, not 0$", id="bits-0"
        ),
        pytest.param(
            lambda: IntType(4, False, narrow=True),
            r"^IntType: narrow range must be signed with bits >= 2, not u4n$",
            id="narrow-unsigned",
        ),
        pytest.param(
            lambda: IntType(1, True, narrow=True),
            r"^IntType: narrow range must be signed with bits >= 2, not i1n$",
            id="narrow-one-bit",
        ),
        pytest.param(
            lambda: IntType(2, True, bipolar=True),
            r"^IntType: bipolar must be bits=1, signed, not narrow$",
            id="bipolar-bits-2",
        ),
        pytest.param(
            lambda: IntType.parse("x3"),
            r"^IntType: text must look like i4, u8, i2n or bipolar, not 'x3'$",
            id="parse-x3",
        ),
        pytest.param(
            lambda: IntType.parse("u0"), r"^IntType\.bits must be an int >= 1, not 0$", id="u0"
        ),
    ],
)
def test_invalid_types_raise(make, message):
    with pytest.raises(IRError, match=message):
        make()


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (0, 0, "u1"),
        (0, 1, "u1"),
        (0, 255, "u8"),
        (0, 256, "u9"),
        (-1, 0, "i1"),
        (-1, 1, "i2"),
        (-128, 127, "i8"),
        (-128, 128, "i9"),
        (-129, 0, "i9"),
        (-3, -2, "i3"),
        (-2, -1, "i2"),
        pytest.param(-1, -1, "i1", id="-1..-1"),  # a negative hi needs no positive bits
        pytest.param(-8, -8, "i4", id="-8..-8"),
    ],
)
def test_narrowest_hand_computed(lo, hi, expected):
    assert str(narrowest(lo, hi)) == expected


def test_narrowest_rejects_empty_interval():
    with pytest.raises(IRError, match=r"^narrowest: interval must be non-empty, not \[1, 0\]$"):
        narrowest(1, 0)


@settings(derandomize=True, max_examples=300)
@given(a=st.integers(-(2**70), 2**70), b=st.integers(-(2**70), 2**70))
def test_narrowest_is_minimal(a, b):
    lo, hi = min(a, b), max(a, b)
    t = narrowest(lo, hi)
    assert t.contains(lo, hi)
    assert t.signed == (lo < 0)
    assert not t.narrow and not t.bipolar
    if t.bits > 1:
        assert not IntType(t.bits - 1, t.signed).contains(lo, hi)
