"""k-of-n over one component's instances (count) by binomial closed forms, against 50-digit sums and the general path."""

import math

import mpmath
import pytest

from relcalc.rbd import Component, KofN, Series, System, Use, evaluate
import importlib

evaluate_module = importlib.import_module("relcalc.rbd.evaluate")  # the package exports a function of that name

from test_rbd import binomial_upper_tail


def block(n, k, mtbf=5000.0, mttr=8.0):
    comp = Component.from_times("x", mtbf, mttr)
    comp = Component(comp.name, comp.availability, comp.unavailability, count=n,
                     failure_rate=comp.failure_rate, repair_rate=comp.repair_rate)
    return System({"x": comp}, KofN(k, (Use("x"),)))


@pytest.mark.parametrize("n, k", [(100, 50), (100, 99), (500, 3), (2000, 1990)])
def test_the_closed_forms_agree_with_the_general_path(monkeypatch, n, k):
    # the general path: one variable per member and the Poisson-binomial programme or product tree
    fast = evaluate(block(n, k))
    monkeypatch.setattr(evaluate_module, "IDENTICAL_FROM", 10**9)
    slow = evaluate(block(n, k))
    assert fast.unavailability_log10 == pytest.approx(slow.unavailability_log10, rel=1e-11)
    if slow.unavailability > 1e-300:
        assert fast.unavailability == pytest.approx(slow.unavailability, rel=1e-11)
        assert fast.failure_frequency_per_hour == pytest.approx(slow.failure_frequency_per_hour, rel=1e-10)
    assert [m.name for m in fast.importance] == [m.name for m in slow.importance]
    for m, ref in zip(fast.importance, slow.importance):
        if math.isnan(ref.birnbaum):  # U below 1e-300: the figure is not given (NaN) on both paths
            assert math.isnan(m.birnbaum)
        else:
            assert m.birnbaum == pytest.approx(ref.birnbaum, rel=1e-10, abs=1e-300)


def test_fifty_thousand_of_a_hundred_thousand_against_a_fifty_digit_sum():
    # U = P(Binomial(n, q) > n - k) summed term by term in mpmath (Rausand & Hoyland 2004, 4.6);
    # the Birnbaum importance b(n-k; n-1, q) as one mpmath term
    n, k = 100_000, 50_000
    system = block(n, k, mtbf=100.0, mttr=80.0)  # q = 0.444: U near 1e-300 is avoided, the tail is moderate
    q = system.components["x"].unavailability
    result = evaluate(system, importance=False)
    expected = binomial_upper_tail(n, k, q)
    assert result.unavailability_log10 == pytest.approx(float(mpmath.log10(expected)), rel=1e-12)
    with mpmath.workdps(40):
        qm = mpmath.mpf(q)
        birnbaum = mpmath.binomial(n - 1, n - k) * qm ** (n - k) * (1 - qm) ** (k - 1)
        f = n * birnbaum / mpmath.mpf(100.0 + 80.0)
    assert result.failure_frequency_per_hour == pytest.approx(float(f), rel=1e-11)


def test_only_a_whole_component_under_the_root_takes_the_closed_forms(monkeypatch):
    # x#3 alone, or the block inside a series, stays on the general path: same numbers either way
    system = block(100, 60)
    nested = System(system.components, Series((system.root,)))
    assert evaluate(nested).unavailability == pytest.approx(evaluate(system).unavailability, rel=1e-11)
    assert evaluate_module._identical_members(nested) is None
    assert evaluate_module._identical_members(system) is not None
