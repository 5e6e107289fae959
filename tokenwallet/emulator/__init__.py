"""A local HTTP emulator of the provider APIs, for tests and the demo mode.

``start_emulator()`` serves OpenAI, Anthropic, OpenRouter, LiteLLM, DeepSeek and Moonshot on
127.0.0.1 from a deterministic :class:`Scenario`, with per-endpoint fault injection.  The HTTP
and fault machinery is in ``server`` and ``faults``; each provider's answers are one fake in
``providers`` (registered in ``providers.FAKES``).
"""

from tokenwallet.emulator.scenario import Scenario
from tokenwallet.emulator.server import DEMO_KEYS, FAULTS, KINDS, RequestLogEntry, RunningEmulator, start_emulator

__all__ = ["DEMO_KEYS", "FAULTS", "KINDS", "RequestLogEntry", "RunningEmulator", "Scenario", "start_emulator"]
