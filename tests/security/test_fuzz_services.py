"""Every public write service, fed arbitrary values: the outcome is a valid saved record or a
``ValidationError`` with messages, never another exception (a 500 behind the admin, the API or an import).

Values: integers of any size and sign, dates from year 1 to 9999, text with NUL, lone surrogates,
bidi marks, emoji and 10,000 characters, malformed codes and NSNs, and values of the wrong type.
A saved record is re-read from the database and must pass the model's own validation (fields and
constraints) and equal what was written. Runs on SQLite and on PostgreSQL (``DATABASE_URL``), where
NUL characters and integers beyond 64 bits are refused by the database itself.

Each example runs in a savepoint that is rolled back, so examples do not see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coordination.access import CELL, Scope
from coordination.models import Category, Item, Nation
from coordination.services import record_save
from pledges import services as pledge_services
from pledges.models import AidFlow, Delivery, Pledge, Requirement, TrainingCommitment
from stockpiles import services as stock_services
from stockpiles.models import CurrentStock, ProductionRate, StockpileGuideline
from tests import factories

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# --- Strategies -------------------------------------------------------------------------------------

EDGE_INTS = [0, 1, -1, 2**31 - 1, 2**31, -(2**31), 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30, -(10**30)]
ODD_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eRTL override\u202c", "\u200f\u200e", "😀" * 50,
    "e\u0301", "\ufeffBOM", "\r\n\t", "x" * 10_000, "🇺🇦" * 3000, "<script>alert(1)</script>", "' OR 1=1 --",
    "%s%s%s", "\\", "null",
]
WRONG_TYPES = [None, "", "abc", "12", "1e3", 1.5, -0.0, float("inf"), float("-inf"), float("nan"), True, False,
               [], {}, [1], Decimal("NaN"), Decimal("Infinity"), Decimal("1e40"), Decimal("2.5"), b"bytes", object(),
               dt.datetime(2024, 1, 1, 12, 0), dt.timedelta(days=1)]

ints = st.one_of(st.integers(), st.sampled_from(EDGE_INTS), st.integers(min_value=-5, max_value=10**6))
texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=30),  # surrogates included
    st.sampled_from(ODD_STRINGS),
)


def today() -> dt.date:
    return timezone.localdate()


def edge_dates() -> st.SearchStrategy:
    t = today()
    return st.sampled_from([dt.date.min, dt.date.max, dt.date(1970, 1, 1), dt.date(2000, 2, 29), t,
                            t - dt.timedelta(days=1), t + dt.timedelta(days=1), dt.date(9999, 12, 30)])


dates = st.one_of(st.dates(), edge_dates(), st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 1, 1)))
decimals = st.one_of(st.decimals(allow_nan=True, allow_infinity=True),
                     st.decimals(places=2, min_value=-10**20, max_value=10**20),
                     st.decimals(places=2, min_value=-10**12, max_value=10**12),
                     st.decimals(places=2, min_value=0, max_value=10**6))


def maybe_wrong(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly (5 in 6) the right type, sometimes anything else."""
    wrong = st.one_of(st.sampled_from(WRONG_TYPES), texts)
    return st.integers(min_value=0, max_value=5).flatmap(lambda k: wrong if k == 0 else strategy)


codes = st.one_of(st.from_regex(r"\A[A-Z]{3}\Z"),
                  st.sampled_from(["POL", "pol", "EU", "EUR", "PO", "POLA", "P0L", "ÄÖÜ", "\x00AB", "ＰＯＬ", ""]),
                  st.text(max_size=5))
nsns = st.one_of(
    st.sampled_from(["", "1320012345678", "1320-01-234-5678", "132001234567", "13200123456789",
                     "１３２００１２３４５６７８", "132001234567\x00", "abcdefghijklm", " 1320012345678",
                     "٠١٢٣٤٥٦٧٨٩٠١٢"]),
    st.text(alphabet="0123456789-", max_size=16),
)


# --- Checking an outcome ------------------------------------------------------------------------------

class _Rollback(Exception):
    pass


def outcome(call):
    """Run ``call`` in a savepoint that is always rolled back. Returns ``("ok", result_checked)`` or
    ``("invalid", ValidationError)``. Any other exception propagates (and fails the test)."""
    box = {}
    try:
        with transaction.atomic():
            try:
                box["result"] = call()
            except ValidationError as exc:
                box["error"] = exc
            raise _Rollback
    except _Rollback:
        pass
    if "error" in box:
        error = box["error"]
        assert error.messages and all(str(m).strip() for m in error.messages), error
        return "invalid", error
    return "ok", box["result"]


def assert_valid_saved(obj, expected: dict | None = None) -> None:
    """Re-read ``obj`` from the database: it passes the model's validation and holds what was written."""
    assert obj.pk is not None
    fresh = type(obj).objects.get(pk=obj.pk)
    fresh.full_clean(validate_constraints=True)
    for field in fresh._meta.concrete_fields:
        value = getattr(fresh, field.attname)
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogates
    for name, value in (expected or {}).items():
        assert getattr(fresh, name) == value, (name, getattr(fresh, name), value)


def run_and_check(call, *, expected=None, check=None, allow=()):
    """The common assertion: a valid saved record (checked inside the savepoint) or a ValidationError."""
    def inner():
        result = call()
        for obj in (result if isinstance(result, list) else [result]):
            assert_valid_saved(obj, expected)
        if check is not None:
            check(result)
        return result

    try:
        result = outcome(inner)
    except allow:
        result = ("refused", None)
    event(result[0])  # --hypothesis-show-statistics: how many examples saved a record, how many were refused
    return result


# --- Fixtures ---------------------------------------------------------------------------------------

@pytest.fixture
def world(nations, item):
    pol, usa, ukr = nations["POL"], nations["USA"], nations["UKR"]
    pledge = factories.PledgeFactory(donor=pol, recipient=ukr, item=item, quantity=1000, due_on=None)
    delivery = pledge_services.delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=100)
    training = factories.TrainingCommitmentFactory(donor=pol, recipient=ukr)
    category = item.category
    return {"pol": pol, "usa": usa, "ukr": ukr, "item": item, "pledge": pledge, "delivery": delivery,
            "training": training, "category": category, "nations": [pol, usa, ukr]}


POL_SCOPE_FIELDS = {"nation_code": "POL", "nation_role": "ally"}


# --- Stock reports -----------------------------------------------------------------------------------

@FUZZ
@given(quantity=maybe_wrong(ints), as_of=maybe_wrong(dates))
def test_stock_report_create(world, quantity, as_of):
    def check(report):
        current = CurrentStock.objects.get(nation=world["pol"], item=world["item"])
        assert (current.quantity, current.as_of, current.report_id) == (quantity, as_of, report.pk)

    run_and_check(lambda: stock_services.stock_report_create(
        actor=CELL, nation=world["pol"], item=world["item"], quantity=quantity, as_of=as_of),
        expected={"quantity": quantity, "as_of": as_of}, check=check)


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({"quantity": maybe_wrong(ints), "as_of": maybe_wrong(dates)},
                                           optional={"item": st.sampled_from(WRONG_TYPES), "extra": texts}),
                     min_size=1, max_size=20))
def test_stock_reports_bulk_create(world, rows):
    rows = [{"item": world["item"], **row} for row in rows]

    def check(reports):
        assert len(reports) == len(rows)
        for report, row in zip(reports, rows, strict=True):
            assert (report.quantity, report.as_of) == (row["quantity"], row["as_of"])

    status, result = run_and_check(lambda: stock_services.stock_reports_bulk_create(
        actor=CELL, nation=world["pol"], rows=rows), check=check)
    if status == "invalid":
        assert getattr(result, "row_errors", None), result  # the bulk error names its rows
        assert set(result.row_errors) <= set(range(len(rows)))


# --- Pledges ----------------------------------------------------------------------------------------

def pledge_fields(world):
    return st.fixed_dictionaries(
        {
            "donor": st.sampled_from(world["nations"]),
            "recipient": st.sampled_from(world["nations"]),
            "item": st.just(world["item"]),
            "quantity": maybe_wrong(ints),
            "announced_on": maybe_wrong(dates),
        },
        optional={
            "value_eur": maybe_wrong(decimals),
            "due_on": maybe_wrong(dates),
            "source": maybe_wrong(st.sampled_from(Pledge.Source.values)),
            "status": maybe_wrong(st.sampled_from(Pledge.Status.values)),
            "releasability": maybe_wrong(st.sampled_from(["public", "alliance", "restricted"])),
            "reference": texts,
            "notes": texts,
        },
    )


@FUZZ
@given(data=st.data())
def test_pledge_create(world, data):
    fields = data.draw(pledge_fields(world))
    run_and_check(lambda: pledge_services.pledge_create(actor=CELL, **fields))


@FUZZ
@given(data=st.data())
def test_pledge_update(world, data):
    fields = data.draw(pledge_fields(world))
    keep = data.draw(st.sets(st.sampled_from(sorted(fields))))
    fields = {k: v for k, v in fields.items() if k in keep}
    pledge_id = data.draw(st.one_of(st.just(world["pledge"].pk), ints))
    run_and_check(lambda: pledge_services.pledge_update(actor=CELL, pledge_id=pledge_id, **fields),
                  allow=(PermissionDenied,) if pledge_id != world["pledge"].pk else ())


# --- Deliveries -------------------------------------------------------------------------------------

delivery_fields = st.fixed_dictionaries(
    {"quantity": maybe_wrong(ints)},
    optional={
        "status": maybe_wrong(st.sampled_from(Delivery.Status.values)),
        "shipped_on": maybe_wrong(dates),
        "delivered_on": maybe_wrong(dates),
        "reference": texts,
    },
)


def _totals_hold(world):
    pledge = Pledge.objects.get(pk=world["pledge"].pk)
    pledge.full_clean(validate_constraints=True)
    rows = Delivery.objects.filter(pledge=pledge)
    allocated = sum(d.quantity for d in rows if d.status != Delivery.Status.CANCELLED)
    shipped = sum(d.quantity for d in rows if d.status in Delivery.SHIPPED)
    delivered = sum(d.quantity for d in rows if d.status in Delivery.DELIVERED)
    assert (pledge.allocated_quantity, pledge.shipped_quantity, pledge.delivered_quantity) == (
        allocated, shipped, delivered)
    assert allocated <= pledge.quantity


@FUZZ
@given(fields=delivery_fields)
def test_delivery_create(world, fields):
    run_and_check(lambda: pledge_services.delivery_create(actor=CELL, pledge_id=world["pledge"].pk, **fields),
                  check=lambda _: _totals_hold(world))


@FUZZ
@given(rows=st.lists(delivery_fields, min_size=1, max_size=10), pledge_ids=st.lists(
    st.one_of(st.none(), ints, st.sampled_from(WRONG_TYPES)), max_size=10))
def test_deliveries_bulk_create(world, rows, pledge_ids):
    rows = [{"pledge_id": pledge_ids[i] if i < len(pledge_ids) else world["pledge"].pk, **row}
            for i, row in enumerate(rows)]
    status, result = run_and_check(lambda: pledge_services.deliveries_bulk_create(actor=CELL, rows=rows),
                                   check=lambda _: _totals_hold(world))
    if status == "invalid":
        assert set(result.row_errors) <= set(range(len(rows)))


@FUZZ
@given(fields=delivery_fields, keep=st.sets(st.sampled_from(["quantity", "status", "shipped_on", "delivered_on",
                                                             "reference"])))
def test_delivery_update(world, fields, keep):
    fields = {k: v for k, v in fields.items() if k in keep}
    run_and_check(lambda: pledge_services.delivery_update(actor=CELL, delivery_id=world["delivery"].pk, **fields),
                  check=lambda _: _totals_hold(world))


# --- Training ---------------------------------------------------------------------------------------

training_fields = st.fixed_dictionaries(
    {"programme": texts, "trainees_committed": maybe_wrong(ints)},
    optional={
        "trainees_completed": maybe_wrong(ints),
        "start_on": maybe_wrong(dates),
        "end_on": maybe_wrong(dates),
        "status": maybe_wrong(st.sampled_from(TrainingCommitment.Status.values)),
        "reference": texts,
    },
)


@FUZZ
@given(fields=training_fields, new=st.booleans())
def test_training_commitment_save(world, fields, new):
    def call():
        commitment = (TrainingCommitment(donor=world["pol"], recipient=world["ukr"]) if new
                      else TrainingCommitment.objects.get(pk=world["training"].pk))
        for name, value in fields.items():
            setattr(commitment, name, value)
        return pledge_services.training_commitment_save(actor=CELL, commitment=commitment)

    run_and_check(call)


# --- record_save: every model without a dedicated service ---------------------------------------------

def _record(model, fields: dict, world, *, existing=None):
    def call():
        obj = model.objects.get(pk=existing.pk) if existing is not None else model()
        for name, value in fields.items():
            setattr(obj, name, value)
        after = None
        if model is StockpileGuideline:
            def after(g):
                return stock_services.guideline_saved(guideline=g)
        elif model is ProductionRate:
            def after(r):
                return stock_services.production_rate_saved(rate=r)
        owner = {ProductionRate: "nation", Requirement: "recipient"}.get(model)
        return record_save(actor=CELL, obj=obj, owner_field=owner, after=after)
    return call


@FUZZ
@given(fields=st.fixed_dictionaries({"code": codes, "name": texts},
                                    optional={"role": maybe_wrong(st.sampled_from(Nation.Role.values)),
                                              "joined_on": maybe_wrong(dates)}),
       change=st.booleans())
def test_record_save_nation(world, fields, change):
    run_and_check(_record(Nation, fields, world, existing=world["usa"] if change else None))


@FUZZ
@given(name=texts, change=st.booleans())
def test_record_save_category(world, name, change):
    run_and_check(_record(Category, {"name": name}, world, existing=world["category"] if change else None))


@FUZZ
@given(fields=st.fixed_dictionaries({"name": texts},
                                    optional={"nsn": nsns, "unit": maybe_wrong(st.sampled_from(Item.Unit.values)),
                                              "unit_value_eur": maybe_wrong(decimals)}),
       change=st.booleans())
def test_record_save_item(world, fields, change):
    fields = {"category": world["category"], **fields}
    run_and_check(_record(Item, fields, world, existing=world["item"] if change else None))


@FUZZ
@given(data=st.data())
def test_record_save_requirement(world, data):
    fields = data.draw(st.fixed_dictionaries(
        {"recipient": st.sampled_from(world["nations"]), "item": st.just(world["item"]),
         "quantity": maybe_wrong(ints), "period_from": maybe_wrong(dates), "period_to": maybe_wrong(dates)},
        optional={"priority": maybe_wrong(st.sampled_from([1, 2, 3, 4, 0, 5, 2**15, -1])), "notes": texts},
    ))
    run_and_check(_record(Requirement, fields, world))


@FUZZ
@given(data=st.data())
def test_record_save_guideline(world, data):
    fields = data.draw(st.fixed_dictionaries(
        {"item": st.just(world["item"]), "nation": st.sampled_from([None, *world["nations"]]),
         "minimum_quantity": maybe_wrong(ints), "effective_from": maybe_wrong(dates)},
        optional={"effective_to": maybe_wrong(dates)},
    ))
    run_and_check(_record(StockpileGuideline, fields, world))


@FUZZ
@given(data=st.data())
def test_record_save_production_rate(world, data):
    fields = data.draw(st.fixed_dictionaries(
        {"item": st.just(world["item"]), "nation": st.sampled_from(world["nations"]),
         "units_per_month": maybe_wrong(ints), "effective_from": maybe_wrong(dates)},
        optional={"reference": texts},
    ))
    run_and_check(_record(ProductionRate, fields, world))


@FUZZ
@given(data=st.data())
def test_record_save_aid_flow(world, data):
    amounts = {name: maybe_wrong(decimals) for name in (
        "allocated_eur", "military_eur", "financial_eur", "humanitarian_eur", "committed_eur", "to_be_allocated_eur")}
    fields = data.draw(st.fixed_dictionaries(
        {"nation": st.sampled_from(world["nations"]), "month": maybe_wrong(dates), **amounts},
        optional={"source": texts},
    ))
    run_and_check(_record(AidFlow, fields, world))


# --- National scopes: refused or valid, never a crash -----------------------------------------------

@FUZZ
@given(data=st.data())
def test_national_actor_pledge_create(world, data):
    """A national actor naming another donor is refused (PermissionDenied); its own writes are valid or invalid."""
    fields = data.draw(pledge_fields(world))
    scope = Scope(nation_id=world["pol"].pk, **POL_SCOPE_FIELDS)
    status, _ = run_and_check(lambda: pledge_services.pledge_create(actor=scope, **fields),
                              allow=(PermissionDenied,))
    if status == "refused":
        assert fields["donor"] != world["pol"]


# --- API tokens -------------------------------------------------------------------------------------

@FUZZ
@given(name=maybe_wrong(texts), expires_in=st.one_of(st.none(), st.integers(min_value=-10**6, max_value=10**8)))
def test_token_issue(world, name, expires_in):
    from coordination.api.tokens import token_issue

    expires_at = None
    if expires_in is not None:
        expires_at = timezone.now() + dt.timedelta(seconds=expires_in)

    run_and_check(lambda: token_issue(nation=world["pol"], name=name, expires_at=expires_at)[0])


@FUZZ
@given(token_id=ints)
def test_token_revoke_unknown_ids(world, token_id):
    from coordination.api.tokens import token_issue, token_revoke
    from coordination.models import ApiToken

    token, _ = token_issue(nation=world["pol"], name="fuzz")
    if token_id == token.pk:
        return
    try:
        outcome(lambda: token_revoke(token_id=token_id))
    except ApiToken.DoesNotExist:
        pass  # the caller (admin action) only passes ids it listed


def test_strategies_reach_the_edges():
    """The strategies above really produce NUL, surrogates, 10,000 characters and out-of-range integers."""
    assert "\x00" in ODD_STRINGS and any(len(s) >= 10_000 for s in ODD_STRINGS)
    assert any(not s.isascii() and "\ud800" <= s[0] <= "\udfff" for s in ODD_STRINGS if s)
    assert max(EDGE_INTS) > 2**63 - 1 and min(EDGE_INTS) < -(2**63)
    assert any(isinstance(v, float) and math.isnan(v) for v in WRONG_TYPES)
