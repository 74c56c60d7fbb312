"""Known-answer tests of the significance helpers.

Welch's test: R's ``t.test(extra ~ group, data = sleep)`` (Student's sleep data, R
datasets) prints t = -1.8608, df = 17.776, p-value = 0.07939, 95 percent confidence
interval -3.3654832 0.2054832. The others are worked by hand.
"""

from __future__ import annotations

import math

import pytest

from core.analysis.significance import mean_summary, normal_two_sided_p, nps_difference, nps_variance, proportion_summary, two_proportions, welch

SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_welch_matches_r_t_test_on_sleep():
    out = welch(SLEEP_1, SLEEP_2, min_n=5)
    assert out["t"] == pytest.approx(-1.8608, abs=5e-5)
    assert out["df"] == pytest.approx(17.776, abs=5e-4)
    assert out["p_value"] == pytest.approx(0.07939, abs=5e-6)
    assert out["difference"] - out["margin_of_error"] == pytest.approx(-3.3654832, abs=5e-8)
    assert out["difference"] + out["margin_of_error"] == pytest.approx(0.2054832, abs=5e-8)
    assert out["significant"] is False and out["test"] == "welch_t"


def test_mean_summary_flags_low_n():
    """0, 50, 100: mean 50, s = 50, MOE = 1.96·50/√3 = 56.58."""
    out = mean_summary([0, 50, 100, float("nan")])
    assert out == {"mean": 50.0, "n": 3, "margin_of_error": pytest.approx(1.96 * 50 / math.sqrt(3)), "low_n": True}


def test_two_proportions_by_hand():
    """60/100 vs 50/100: pooled .55, se₀ = √(.55·.45·.02) = 0.0703562, z = 1.42134,
    p = 2(1 − Φ(1.42134)) = 0.15522; margin 1.96·√(.24/100 + .25/100) = 1.96·0.07 = 0.1372."""
    out = two_proportions(60, 100, 50, 100)
    assert out["z"] == pytest.approx(1.42134, abs=5e-6)
    assert out["p_value"] == pytest.approx(0.15522, abs=5e-5)
    assert out["margin_of_error"] == pytest.approx(0.1372, abs=1e-12)
    assert out["significant"] is False
    assert proportion_summary(60, 100)["margin_of_error"] == pytest.approx(1.96 * math.sqrt(0.24 / 100))


def test_nps_difference_by_hand():
    """Period 1: 50 promoters, 20 detractors of 100 (NPS 30); variance .25 + .16 + 2·.1 = .61.
    Period 2: 40, 30 of 100 (NPS 10); variance .24 + .21 + .24 = .69. Difference 20,
    se = 100·√(.0061 + .0069) = 11.4018, z = 1.75412, margin 22.3475."""
    assert nps_variance(50, 20, 100) == pytest.approx(0.61)
    out = nps_difference(50, 20, 100, 40, 30, 100)
    assert out["difference"] == pytest.approx(20.0)
    assert out["z"] == pytest.approx(20 / (100 * math.sqrt(0.013)))
    assert out["margin_of_error"] == pytest.approx(1.96 * 100 * math.sqrt(0.013))
    assert out["significant"] is False and out["p_value"] == pytest.approx(0.0794, abs=5e-4)


def test_the_normal_p_value_is_that_of_the_tables():
    """2(1 − Φ(1.96)) = 0.0499958 and 2(1 − Φ(2.5758)) = 0.0100 (standard normal tables);
    z = 0 gives 1; the sign of z does not matter."""
    assert normal_two_sided_p(1.96) == pytest.approx(0.0499958, abs=5e-7)
    assert normal_two_sided_p(-2.5758) == pytest.approx(0.0100, abs=5e-6)
    assert normal_two_sided_p(0.0) == 1.0


def test_an_api_worker_does_not_load_scipy_until_a_test_needs_it():
    """scipy.stats costs a process about 60 MB; what gunicorn loads (``wsgi``) and a score
    with margins must not pull it in, and a Welch test still finds it."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, wsgi\n"
        "from core.analysis.significance import two_proportions, welch\n"
        "two_proportions(60, 100, 50, 100)\n"
        "assert not [m for m in sys.modules if m.startswith('scipy')], 'scipy loaded at startup'\n"
        "assert welch([1, 2, 3], [2, 3, 5], min_n=2)['p_value'] is not None and 'scipy.stats' in sys.modules\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {"PATH": "", "CSM_DATABASE_URL": "sqlite://", "CSM_OPERATOR_KEY": "operator-key-for-this-test-0123"}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
