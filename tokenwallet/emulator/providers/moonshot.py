"""The Moonshot / Kimi fake: ``/users/me/balance`` with JSON numbers."""

from __future__ import annotations

from decimal import Decimal

from tokenwallet.emulator.fake import FakeContext, FakeRequest, ProviderFake, Reply, bearer_auth, money

KIND = "moonshot"


def _balance(context: FakeContext, _request: FakeRequest) -> Reply:
    sc = context.scenario
    left = sc.balance(KIND, sc.moonshot_topped_up, context.now)
    value = money(left.quantize(Decimal("0.01")))
    return 200, {
        "code": 0,
        "data": {"available_balance": value, "voucher_balance": 0.0, "cash_balance": value},
        "scode": "0x0",
        "status": True,
    }


FAKE = ProviderFake(
    kind=KIND,
    base_path="/moonshot/v1",
    keys={KIND: "sk-emulator-moonshot-0007"},
    routes={"/users/me/balance": _balance},
    authorised=bearer_auth(KIND),
)
