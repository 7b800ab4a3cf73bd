from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from providers import selectors as catalogue
from providers.models import BlacklistedAccount, FeeRule, Provider


@pytest.fixture
def cached(settings):
    settings.KIT_CATALOGUE_TTL = 60
    catalogue.catalogue_invalidate()
    yield
    catalogue.catalogue_invalidate()


@pytest.mark.django_db
def test_the_snapshot_is_read_once_within_its_lifetime(world, cached, django_assert_num_queries):
    catalogue.snapshot()
    with django_assert_num_queries(0):
        assert catalogue.provider_by_code("mts").name == "МТС"
        assert catalogue.account_blacklisted(catalogue.provider_by_code("mts"), "9160000000") is False


@pytest.mark.django_db
def test_a_change_reaches_acceptance_after_the_snapshot_expires(world, cached, settings):
    mts = Provider.objects.get(code="mts")
    catalogue.snapshot()
    BlacklistedAccount.objects.create(provider=mts, account="9169999999")
    assert catalogue.account_blacklisted(mts, "9169999999") is False  # still the old snapshot
    settings.KIT_CATALOGUE_TTL = 0
    assert catalogue.account_blacklisted(mts, "9169999999") is True


@pytest.mark.django_db
def test_rules_in_force_at_paid_at_are_applied_from_the_snapshot(world, demo, cached):
    mts = Provider.objects.get(code="mts")
    now = timezone.now()
    FeeRule.objects.create(provider=mts, percent=Decimal("2"), minimum=Decimal("5.00"), valid_from=now)
    FeeRule.objects.create(provider=mts, dealer=demo, percent=Decimal("1"), valid_from=now + timedelta(days=1))
    catalogue.catalogue_invalidate()
    assert catalogue.fee_for(provider=mts, dealer=demo, amount=Decimal("100.00"), at=now - timedelta(hours=1)) == Decimal("0.00")
    assert catalogue.fee_for(provider=mts, dealer=demo, amount=Decimal("100.00"), at=now) == Decimal("5.00")
    assert catalogue.fee_for(provider=mts, dealer=demo, amount=Decimal("1000.00"), at=now) == Decimal("20.00")
    assert catalogue.fee_for(provider=mts, dealer=demo, amount=Decimal("1000.00"), at=now + timedelta(days=2)) == Decimal("10.00")
