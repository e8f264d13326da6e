"""No raw model names where a person looks: every record type names its rows itself (never
"ProjectMembership object (4)"), and field and type names spell the ERP and other abbreviations
as people write them (never "Erp connection" or "Txn id")."""

import re

import pytest
from django.apps import apps
from django.db import models

OUR_APPS = ("approvals", "integrations", "quickbooks_online", "quickbooks_desktop", "accounts")
MODELS = [model for model in apps.get_models() if model._meta.app_label in OUR_APPS]
# Abbreviations as Django's default verbose names leave them: in lower case, as in the code.
RAW_WORDS = re.compile(r"\b(?:erp|txn|qbo|sha\d*|url)\b")


def test_the_check_covers_every_app():
    labels = {model._meta.app_label for model in MODELS}
    assert {"approvals", "integrations", "accounts"} <= labels


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_each_record_type_names_its_rows(model):
    assert model.__str__ is not models.Model.__str__


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_type_and_field_names_spell_abbreviations_as_people_do(model):
    names = [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
    names += [
        str(field.verbose_name)
        for field in model._meta.get_fields()
        if field.concrete and not field.auto_created
    ]
    assert [name for name in names if RAW_WORDS.search(name)] == []
    assert not re.search(r"[^aeiou]ys$", str(model._meta.verbose_name_plural))
