"""Whether a piece of usage is within a policy's restrictions, and if not, why.

Names are compared without regard to case.  A model is allowed when it equals an allowed name or
starts with one followed by ``-``, ``@`` or ``:`` (``claude-sonnet-4`` allows
``claude-sonnet-4-6``), so a policy can name a family without listing every dated version.  A
region is checked only where the data says where a request was processed: usage without a region
(most providers report none) is never flagged for its region.
"""

from __future__ import annotations

from tokenwallet.policy.model import Restrictions

UNKNOWN_REGIONS = frozenset({"", "not_available", "unknown"})
"""Region values that say nothing about where a request ran."""


def _model_allowed(model: str, allowed: tuple[str, ...]) -> bool:
    name = model.lower()
    for entry in (a.lower() for a in allowed):
        if name == entry or (name.startswith(entry) and name[len(entry)] in "-@:"):
            return True
    return False


def breaches(restrictions: Restrictions, provider: str, model: str, region: str) -> tuple[str, ...]:
    """Why usage of ``provider``/``model`` processed in ``region`` is off-policy (empty: it is not).

    Each reason is a short phrase such as ``provider 'google' is not allowed``.
    """
    reasons = []
    if restrictions.providers and provider.lower() not in {p.lower() for p in restrictions.providers}:
        reasons.append(f"provider {provider!r} is not allowed")
    if restrictions.models and model and not _model_allowed(model, restrictions.models):
        reasons.append(f"model {model!r} is not allowed")
    if (
        restrictions.regions
        and region.lower() not in UNKNOWN_REGIONS
        and region.lower() not in {r.lower() for r in restrictions.regions}
    ):
        reasons.append(f"region {region!r} is not allowed")
    return tuple(reasons)


def describe(restrictions: Restrictions) -> list[str]:
    """The restrictions in plain words, one line per dimension (empty: none)."""
    lines = []
    if restrictions.providers:
        lines.append("Providers: only " + ", ".join(restrictions.providers) + ".")
    if restrictions.models:
        lines.append("Models: only " + ", ".join(restrictions.models) + " (and their dated versions).")
    if restrictions.regions:
        lines.append(
            "Data regions: requests must be processed in "
            + ", ".join(restrictions.regions)
            + " (checked where the provider reports the region)."
        )
    return lines
