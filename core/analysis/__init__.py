"""Analyses that decide what to fix first and whom to serve.

Pure numpy/pandas/scipy, one module per method, no web framework and no SQL: every
function takes plain frames (respondents × questions, 0..100 scores or answer codes) and
returns a JSON-ready dict that names its method (``"method": ...``), so any caller (the
API, the CLI, a notebook) gets the same figures from the same code. ``methods`` adapts
them to the analysis-method hook (``csm_register_analysis_methods``), through which the
core's built-in plugin registers them like any plugin's.

* ``drivers``: derived importance of each indicator for a target (relative weights,
  Shapley = general dominance, correlation, or stated), with bootstrap intervals;
  ``ipa``: importance × performance quadrants and the ranked priority list.
* ``gap``: expectation gap (experience − expectation), paired; ``peak_end``: peak-end
  prediction of the overall score beside the plain mean of the stages.
* ``kano``: Berger et al.'s evaluation table, counts, category, Better/Worse.
* ``loyalty``: the satisfaction/loyalty matrix, the three satisfaction tiers, and
  transactional loyalty from purchase records; ``customer_value``: revenue ranking (A/B/C,
  80/20) combined with non-monetary value.
* ``ahp``: principal-eigenvector weights, λmax, consistency index and ratio.
* ``pls``: PLS path model (Wold's algorithm as R plspm implements it) and the ACSI-style
  0..100 index per construct.
* ``significance``: margins of error, low-n flags, Welch's and two-proportion tests.
"""

from core.analysis.errors import AnalysisInputError

__all__ = ["AnalysisInputError"]
