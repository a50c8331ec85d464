"""The cashier's rules for a payment (households.payments), without a database."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from households import payments
from households.payments import ChargeChoice, FieldError, PaymentForm, PaymentRefused

CHOICE = ChargeChoice("management", dt.date(2026, 10, 1), dt.date(2026, 12, 31),
                      Decimal("300.00"), Decimal("300.00"))


@pytest.mark.parametrize("text, amount", [
    ("120.5", Decimal("120.50")), ("1,234.56", Decimal("1234.56")), ("¥88", Decimal("88.00")),
    ("１２０．５０", Decimal("120.50")), (" 300 元 ", Decimal("300.00")),
    ("100000.00", Decimal("100000.00")), ("0.01", Decimal("0.01")),
])
def test_amounts_the_desk_takes(text, amount):
    assert payments.parse_amount(text) == amount


@pytest.mark.parametrize("text, code", [
    ("", "required"), ("   ", "required"), ("abc", "not_an_amount"), ("-5", "not_an_amount"),
    ("1e3", "not_an_amount"), ("12.345", "too_many_decimals"), ("0", "not_positive"),
    ("0.00", "not_positive"), ("100000.01", "too_large"), ("NaN", "not_an_amount"),
    ("1.2.3", "not_an_amount"),
])
def test_amounts_refused_with_their_reason(text, code):
    assert payments.parse_amount(text) == FieldError("amount", code)


def test_a_receipt_is_required_bounded_and_read_as_ascii():
    assert payments.clean_receipt("  ＳＵＮ－Ｒ００１ ") == "SUN-R001"
    assert payments.clean_receipt(" ") == FieldError("receipt_number", "required")
    assert payments.clean_receipt("R" * 41) == FieldError("receipt_number", "too_long")
    assert payments.clean_receipt("R" * 40) == "R" * 40
    assert payments.clean_receipt("R\x0701") == FieldError("receipt_number", "not_printable")


def test_every_wrong_field_is_named_at_once_in_form_order():
    with pytest.raises(PaymentRefused) as refused:
        payments.check_payment(PaymentForm("x", "parking:2026-10-01", "cheque", ""), 1, [CHOICE])
    assert refused.value.by_field() == {"amount": "not_an_amount", "charge": "unknown_charge",
                                        "method": "unknown_method",
                                        "receipt_number": "required"}
    assert [e.field for e in refused.value.errors] == list(payments.FIELDS)
    with pytest.raises(PaymentRefused) as refused:
        payments.check_payment(PaymentForm("5", "", "", "R1"), 1, [CHOICE])
    assert refused.value.by_field() == {"charge": "required", "method": "required"}


def test_a_good_payment_becomes_a_draft():
    draft = payments.check_payment(
        PaymentForm("300", CHOICE.key, "wechat", "SUN-R9"), 7, [CHOICE])
    assert draft == payments.PaymentDraft(7, Decimal("300.00"), "management",
                                          dt.date(2026, 10, 1), "wechat", "SUN-R9")


def test_targets_are_95_percent_and_parking_all():
    assert payments.target_for("management") == Decimal("0.95")
    assert payments.target_for(None) == Decimal("0.95")
    assert payments.target_for("parking") == Decimal("1.00")
    row = payments.CollectionRow("SUN", None, "parking", Decimal("100"), Decimal("99.99"),
                                 payments.target_for("parking"))
    assert row.meets_target is False and row.outstanding == Decimal("0.01")
    assert payments.CollectionRow("SUN", None, None, Decimal("0"), Decimal("0"),
                                  Decimal("0.95")).rate is None


def test_buildings_sort_as_numbers():
    assert sorted(["10", "2", "A栋", "1"], key=payments._natural) == ["1", "2", "10", "A栋"]
