"""The DeepSeek fake: ``/user/balance`` with decimal strings in major units."""

from __future__ import annotations

from tokenwallet.emulator.fake import FakeContext, FakeRequest, ProviderFake, Reply, bearer_auth

KIND = "deepseek"


def _balance(context: FakeContext, _request: FakeRequest) -> Reply:
    sc = context.scenario
    left = sc.balance(KIND, sc.deepseek_topped_up_usd, context.now)
    return 200, {
        "is_available": left > 0,
        "balance_infos": [
            {
                "currency": "USD",
                "total_balance": f"{left:.2f}",
                "granted_balance": "0.00",
                "topped_up_balance": f"{left:.2f}",
            }
        ],
    }


FAKE = ProviderFake(
    kind=KIND,
    base_path="/deepseek",
    keys={KIND: "sk-emulator-deepseek-0006"},
    routes={"/user/balance": _balance},
    authorised=bearer_auth(KIND),
)
