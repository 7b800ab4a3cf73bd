import pytest

from dealers.selectors import dealer_subtree
from dealers.services import dealer_create


@pytest.mark.django_db
def test_subtree_holds_the_dealer_and_every_descendant_and_nothing_else():
    root = dealer_create(name="Root")
    a = dealer_create(name="A", parent=root)
    a1 = dealer_create(name="A1", parent=a)
    a11 = dealer_create(name="A11", parent=a1)
    b = dealer_create(name="B", parent=root)
    other = dealer_create(name="Other")
    dealer_create(name="Other child", parent=other)

    assert set(dealer_subtree(root).values_list("name", flat=True)) == {"Root", "A", "A1", "A11", "B"}
    assert set(dealer_subtree(a).values_list("name", flat=True)) == {"A", "A1", "A11"}
    assert set(dealer_subtree(a11).values_list("name", flat=True)) == {"A11"}
    assert set(dealer_subtree(b).values_list("name", flat=True)) == {"B"}
    assert a11.path == f"/{root.pk}/{a.pk}/{a1.pk}/{a11.pk}/"


@pytest.mark.django_db
def test_dealer_ten_is_not_in_dealer_one_subtree():
    # Prefix matching must stop at the separator: "/1/" is not a prefix of "/10/".
    dealers = [dealer_create(name=f"D{i}") for i in range(12)]
    first = dealers[0]
    assert list(dealer_subtree(first).values_list("pk", flat=True)) == [first.pk]
