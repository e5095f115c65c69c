"""plain_sql: rows read with a cursor become the same model instances the ORM would load."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.db.models import BooleanField, Model
from django.utils import timezone

from reclaim.core import audit, plain_sql
from reclaim.core import services as core_services
from reclaim.core.models import (
    AccessToken,
    AuditEvent,
    BreakGlassGrant,
    DataKey,
    Membership,
    Organisation,
    Role,
    User,
)
from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors.models import Case, Survivor
from tests.factories import OrganisationFactory, TeamFactory, make_survivor, member

pytestmark = pytest.mark.django_db(databases="__all__")


def stored_values(obj: Model) -> dict:
    """Every concrete column's value as loaded (sealed fields stay sealed: no decryption)."""
    return {field.attname: obj.__dict__.get(field.attname) for field in obj._meta.concrete_fields}


@pytest.fixture
def rows():
    organisation = OrganisationFactory()
    team = TeamFactory(organisation=organisation)
    admin = member(organisation, Role.ORG_ADMIN)
    manager = member(organisation, Role.CASE_MANAGER, team=team)
    survivor = make_survivor(admin, organisation, pronouns="she/her")
    core_services.create_access_token(by=manager, name="plain", can_write=True)
    now = timezone.now()
    BreakGlassGrant.objects.create(
        user=manager,
        organisation=organisation,
        survivor_id=survivor.pk,
        reason="urgent safety check",
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=1),
    )
    with transaction.atomic():
        audit.record("test.plain", actor=manager, context={"n": 1}, fields=["alias", "phone"])
    return survivor


@pytest.mark.parametrize(
    ("model", "using"),
    [
        (User, "default"),
        (Organisation, "default"),
        (Membership, "default"),
        (AccessToken, "default"),
        (BreakGlassGrant, "default"),
        (AuditEvent, "default"),
        (Survivor, "default"),
        (Case, "default"),
        (DataKey, KEYSTORE_DB),
    ],
)
def test_every_column_loads_as_the_orm_loads_it(rows, model, using):
    expected = {obj.pk: stored_values(obj) for obj in model._default_manager.using(using).all()}
    assert expected, "the fixture must give this model rows"

    loaded = plain_sql.select(model, "1 = 1", [], using=using)

    assert {obj.pk: stored_values(obj) for obj in loaded} == expected
    # Types too: a UUID stays a UUID, a datetime stays aware, JSON stays a list or dict.
    for obj in loaded:
        original = model._default_manager.using(using).get(pk=obj.pk)
        for name, value in stored_values(obj).items():
            assert type(value) is type(stored_values(original)[name]), name
        assert not obj._state.adding
        assert obj._state.db == using


def test_where_and_params_select_only_matching_rows(rows):
    manager = User.objects.get(memberships__role=Role.CASE_MANAGER)

    found = plain_sql.select(Membership, "t.user_id = %s", [plain_sql.uuid_param(manager.pk)])

    assert [m.user_id for m in found] == [manager.pk]
    assert plain_sql.select(Membership, "t.role = %s", ["no such role"]) == []


def test_a_joined_row_splits_at_the_models_width(rows):
    token = AccessToken.objects.select_related("user").get()
    sql = (
        f"SELECT {plain_sql.columns(AccessToken, 't')}, {plain_sql.columns(User, 'u')} "
        "FROM core_accesstoken t JOIN core_user u ON u.id = t.user_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        (row,) = cursor.fetchall()
    width = plain_sql.width(AccessToken)

    assert stored_values(plain_sql.instance(AccessToken, row[:width])) == stored_values(token)
    assert stored_values(plain_sql.instance(User, row[width:])) == stored_values(token.user)


def test_table_sql_names_its_own_table_also_inside_a_subquery(rows):
    other = make_survivor(User.objects.get(memberships__role=Role.ORG_ADMIN), rows.organisation)
    same_reference = plain_sql.TableSQL(
        "{table}.reference = %s", [rows.reference], output_field=BooleanField()
    )

    assert list(Survivor.objects.filter(same_reference)) == [rows]
    # As a subquery the ORM relabels the survivor table (U0); {table} follows it.
    survivors = Survivor.objects.filter(same_reference).values("pk")
    assert rows.cases.exists()
    assert set(Case.objects.filter(survivor__in=survivors)) == set(rows.cases.all())
    assert not Case.objects.filter(survivor__in=survivors, survivor=other).exists()


@pytest.mark.parametrize("how_many", [0, 1, 2])
def test_among_selects_rows_whose_column_is_one_of_the_values(rows, how_many):
    members = list(Membership.objects.order_by("id"))
    chosen = members[:how_many]
    where, params = plain_sql.among("t.id", [plain_sql.uuid_param(m.pk) for m in chosen])

    found = plain_sql.select(Membership, where, params)

    assert sorted(m.pk for m in found) == sorted(m.pk for m in chosen)
