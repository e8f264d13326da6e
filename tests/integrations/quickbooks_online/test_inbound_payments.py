"""Bill payments read back from QuickBooks, in the shapes the sandbox does not produce."""

from decimal import Decimal

from integrations.quickbooks_online import inbound


def test_a_payment_voided_with_its_lines_zeroed_pays_nothing():
    """Intuit's void text says amounts are zeroed; a void may keep its lines at 0."""
    voided = {
        "Id": "91",
        "PayType": "Check",
        "TotalAmt": Decimal("0"),
        "PrivateNote": "Voided",
        "Line": [
            {"Amount": Decimal("0"), "LinkedTxn": [{"TxnId": "12", "TxnType": "Bill"}]},
            {"Amount": Decimal("0"), "LinkedTxn": [{"TxnId": "13", "TxnType": "VendorCredit"}]},
        ],
    }
    assert inbound.payment_allocations(voided) == []
