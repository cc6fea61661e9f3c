"""What `parity` must do; run by `gui-agent evolve` against each candidate (not named test_*,
so the main suite, which has no model for it, does not collect it)."""

from tests.evolve_fixtures.numbers import parity


def test_even() -> None:
    assert parity(4) == "even"


def test_odd() -> None:
    assert parity(7) == "odd"


def test_zero_and_negative() -> None:
    assert parity(0) == "even" and parity(-3) == "odd"
