"""One organisation's lists as the entity rules look them up: accounts, tax rates, items,
tracking categories, contacts. Wraps a `Unit`; every rule module receives one."""

from __future__ import annotations

from . import seeding, wire
from .storage import Unit

ZERO_ID = "00000000-0000-0000-0000-000000000000"


class Books:
    def __init__(self, unit: Unit, *, unit_decimals: int = 2):
        self.unit = unit
        self.organisation = unit.organisation()
        self.country = seeding.country_of(self.organisation["CountryCode"])
        self.unit_decimals = unit_decimals

    @property
    def tenant_id(self) -> str:
        return self.unit.tenant_id

    def today(self):
        return wire.today_in(self.country.utc_offset_hours)

    # -- accounts and tax ------------------------------------------------------------------

    def accounts(self) -> list[dict]:
        return self.unit.all("Account")

    def account(self, *, code=None, account_id=None) -> dict | None:
        for account in self.accounts():
            if account_id and account["AccountID"] == str(account_id).lower():
                return account
            if code is not None and account["Code"].lower() == str(code).lower():
                return account
        return None

    def tax_rate(self, tax_type: str) -> dict | None:
        return self.unit.get("TaxRate", tax_type)

    # -- items -----------------------------------------------------------------------------

    def item_by_code(self, code: str) -> dict | None:
        return next(
            (item for item in self.unit.all("Item") if item["Code"].lower() == code.lower()),
            None,
        )

    # -- contacts --------------------------------------------------------------------------

    def active_contact_named(self, name: str, *, other_than: str | None = None) -> dict | None:
        """The active contact with this name, without regard to case or surrounding spaces."""
        return next(
            (
                contact
                for contact in self.unit.named("Contact", name)
                if contact["ContactStatus"] == "ACTIVE" and contact["ContactID"] != other_than
            ),
            None,
        )

    # -- tracking --------------------------------------------------------------------------

    def tracking_categories(self) -> list[dict]:
        return self.unit.all("TrackingCategory")
