"""The list of API connectors by account kind; the only place that names them all."""

from __future__ import annotations

from datetime import timedelta

from tokenwallet.domain.errors import UserInputError
from tokenwallet.sources import anthropic, deepseek, litellm, moonshot, openai, openrouter
from tokenwallet.sources.base import Connector

CONNECTORS: dict[str, Connector] = {
    c.kind: c
    for c in (
        Connector(
            "openai",
            "OpenAI",
            openai.DEFAULT_BASE_URL,
            openai.fetch,
            "an organization Admin key (sk-admin-...) from platform.openai.com/settings/organization/admin-keys",
            docs_url="https://platform.openai.com/docs/api-reference/usage",
            filters=openai.FILTERS,
        ),
        Connector(
            "anthropic",
            "Anthropic",
            anthropic.DEFAULT_BASE_URL,
            anthropic.fetch,
            "an Admin key (sk-ant-admin...) from Console > Settings > Admin keys (organizations only)",
            # The Usage & Cost API supports polling once per minute for sustained use.
            min_interval=timedelta(minutes=1),
            docs_url="https://docs.claude.com/en/docs/build-with-claude/usage-cost-api",
            filters=anthropic.FILTERS,
        ),
        Connector(
            "openrouter",
            "OpenRouter",
            openrouter.DEFAULT_BASE_URL,
            openrouter.fetch,
            "the API key you use (sk-or-v1-...); a management key also reads the account's credits",
            docs_url="https://openrouter.ai/docs/api-reference/get-current-key",
            filters=openrouter.FILTERS,
        ),
        Connector(
            "litellm",
            "LiteLLM gateway",
            litellm.DEFAULT_BASE_URL,
            litellm.fetch,
            "your virtual key on the company gateway (give the gateway's URL with --base-url)",
            docs_url="https://docs.litellm.ai/docs/proxy/virtual_keys",
        ),
        Connector(
            "deepseek",
            "DeepSeek",
            deepseek.DEFAULT_BASE_URL,
            deepseek.fetch,
            "an API key from platform.deepseek.com",
            docs_url="https://api-docs.deepseek.com/api/get-user-balance",
        ),
        Connector(
            "moonshot",
            "Moonshot / Kimi",
            moonshot.DEFAULT_BASE_URL,
            moonshot.fetch,
            "an API key from platform.moonshot.ai (use --base-url https://api.moonshot.cn/v1 for a China key)",
            docs_url="https://platform.moonshot.ai/docs/api/balance",
        ),
    )
}


def connector(kind: str) -> Connector:
    """The connector for an account kind, or a clear error listing the kinds that have one."""
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise UserInputError(f"no API connector for {kind!r}; choose one of {', '.join(CONNECTORS)}") from None
