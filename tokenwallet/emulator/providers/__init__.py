"""One fake per provider, registered in :data:`FAKES` (the order is the order of ``KINDS``).

To add an endpoint, add a handler and a row to that provider's ``routes``; to add a provider,
add a module with a ``FAKE`` and list it here.
"""

from __future__ import annotations

from tokenwallet.emulator.fake import ProviderFake
from tokenwallet.emulator.providers import anthropic, deepseek, litellm, moonshot, openai, openrouter

FAKES: dict[str, ProviderFake] = {
    fake.kind: fake
    for fake in (openai.FAKE, anthropic.FAKE, openrouter.FAKE, litellm.FAKE, deepseek.FAKE, moonshot.FAKE)
}
