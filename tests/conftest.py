"""Test configuration: a Hypothesis profile, and a loud failure if `autograd` is not ours."""

import os

from hypothesis import HealthCheck, settings

import autograd

# HIPS's PyPI package `autograd` has the same import name. If it shadows ours, every test
# would fail in confusing ways; say what happened instead, before any test runs.
if getattr(autograd, "__distribution__", None) != "chainrule":
    raise ImportError(
        f"the `autograd` package imported from {getattr(autograd, '__file__', '?')} is not "
        "chainrule's (probably HIPS autograd from PyPI, which uses the same import name). "
        "Uninstall it (pip uninstall autograd) or use a fresh virtual environment: "
        "`make test` creates .venv with chainrule installed."
    )

settings.register_profile(
    "default", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
