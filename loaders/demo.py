"""The demo scenario: built on the source facts in the design, everything else labelled illustrative.

Joint procurement (``_load_procurement``): Germany's framework agreement for ammunition with Estonia
joining later, the EU's one-million-round joint procurement and the US 155 mm ramp-up as a production
line's capacity series are the source facts; the rest of it is labelled illustrative.

Source facts carried here (see the design document): US 155 mm production went from about 14,000
rounds a month before February 2022 to close to 80,000 a month by mid-2024; European defence
production rose by more than 40 percent; the EU promised one million rounds by 2024; NATO had 31
members in 2023 and 32 from March 2024 (accession dates below); allies are revising stockpile
guidelines. Every other number (stocks, guidelines, most pledges, deliveries, training, NSNs, unit
values) is illustrative demo data and says so in the record (``reference``/``notes`` or the history
entry's change reason).

Dates: the source facts keep theirs; every illustrative date (due dates, deliveries, stock reports,
training, requirements, guideline periods, illustrative production rates, agreements, orders and their
schedules) is placed relative to the day the demo is loaded (``demo_load(today=...)``, ``load_demo
--today``), so the demo reads like a live operation on any day (see "Dates" below).

Writes go through the services with the cell as the actor. Loading is idempotent: every record has a
natural key (code, name, figures or a ``DEMO-…`` reference) and is only created when missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from coordination.access import CELL
from coordination.models import Category, Item, Membership, Nation
from coordination.services import validate_instance
from notifications import receivers as notification_receivers
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
from pledges.services import deliveries_bulk_create, pledge_create, training_commitment_save
from stockpiles import engine
from stockpiles import procurement_services as ps
from stockpiles.models import (
    AgreementParticipant,
    FrameworkAgreement,
    Manufacturer,
    Order,
    ProductionLine,
    ProductionRate,
    StockpileGuideline,
    StockReport,
)
from stockpiles.services import guideline_saved, production_rate_saved, stock_reports_bulk_create
from stockpiles.shortfalls import add_months

ILLUSTRATIVE = "Illustrative demo data"
DEMO_PASSWORD = "demo-officer-2024"  # printed by load_demo; accounts are only made for local use

# --- Nations (source: NATO accession dates; 31 members in 2023, 32 from March 2024) ---------------

FOUNDED = dt.date(1949, 8, 24)
ALLIES: list[tuple[str, str, dt.date]] = [
    ("ALB", "Albania", dt.date(2009, 4, 1)),
    ("BEL", "Belgium", FOUNDED),
    ("BGR", "Bulgaria", dt.date(2004, 3, 29)),
    ("CAN", "Canada", FOUNDED),
    ("HRV", "Croatia", dt.date(2009, 4, 1)),
    ("CZE", "Czechia", dt.date(1999, 3, 12)),
    ("DNK", "Denmark", FOUNDED),
    ("EST", "Estonia", dt.date(2004, 3, 29)),
    ("FIN", "Finland", dt.date(2023, 4, 4)),
    ("FRA", "France", FOUNDED),
    ("DEU", "Germany", dt.date(1955, 5, 9)),
    ("GRC", "Greece", dt.date(1952, 2, 18)),
    ("HUN", "Hungary", dt.date(1999, 3, 12)),
    ("ISL", "Iceland", FOUNDED),
    ("ITA", "Italy", FOUNDED),
    ("LVA", "Latvia", dt.date(2004, 3, 29)),
    ("LTU", "Lithuania", dt.date(2004, 3, 29)),
    ("LUX", "Luxembourg", FOUNDED),
    ("MNE", "Montenegro", dt.date(2017, 6, 5)),
    ("NLD", "Netherlands", FOUNDED),
    ("MKD", "North Macedonia", dt.date(2020, 3, 27)),
    ("NOR", "Norway", FOUNDED),
    ("POL", "Poland", dt.date(1999, 3, 12)),
    ("PRT", "Portugal", FOUNDED),
    ("ROU", "Romania", dt.date(2004, 3, 29)),
    ("SVK", "Slovakia", dt.date(2004, 3, 29)),
    ("SVN", "Slovenia", dt.date(2004, 3, 29)),
    ("ESP", "Spain", dt.date(1982, 5, 30)),
    ("SWE", "Sweden", dt.date(2024, 3, 7)),
    ("TUR", "Türkiye", dt.date(1952, 2, 18)),
    ("GBR", "United Kingdom", FOUNDED),
    ("USA", "United States", FOUNDED),
]
OTHERS: list[tuple[str, str, str]] = [
    ("UKR", "Ukraine", Nation.Role.RECIPIENT),
    ("EU", "EU institutions", Nation.Role.PARTNER),
]

# French names (coordination.names: a French reader sees these; the English name stays the key). Short
# names as the French foreign ministry writes them.
NATIONS_FR: dict[str, str] = {
    "ALB": "Albanie", "BEL": "Belgique", "BGR": "Bulgarie", "CAN": "Canada", "HRV": "Croatie", "CZE": "Tchéquie",
    "DNK": "Danemark", "EST": "Estonie", "FIN": "Finlande", "FRA": "France", "DEU": "Allemagne", "GRC": "Grèce",
    "HUN": "Hongrie", "ISL": "Islande", "ITA": "Italie", "LVA": "Lettonie", "LTU": "Lituanie",
    "LUX": "Luxembourg", "MNE": "Monténégro", "NLD": "Pays-Bas", "MKD": "Macédoine du Nord", "NOR": "Norvège",
    "POL": "Pologne", "PRT": "Portugal", "ROU": "Roumanie", "SVK": "Slovaquie", "SVN": "Slovénie",
    "ESP": "Espagne", "SWE": "Suède", "TUR": "Turquie", "GBR": "Royaume-Uni", "USA": "États-Unis",
    "UKR": "Ukraine", "EU": "Institutions de l’UE",
    # partners that are donors in the Kiel tracker data (loaders/ust.py creates them on import)
    "AUS": "Australie", "AUT": "Autriche", "CHE": "Suisse", "CHN": "Chine", "CYP": "Chypre", "IND": "Inde",
    "IRL": "Irlande", "JPN": "Japon", "KOR": "Corée du Sud", "MLT": "Malte", "NZL": "Nouvelle-Zélande",
    "TWN": "Taïwan",
}

# --- Catalogue (NSNs and unit values are illustrative) ---------------------------------------------

CATEGORIES = {
    "ammo": "Artillery ammunition",
    "ad": "Air-defence interceptors",
    "armour": "Armoured vehicles",
    "artillery": "Artillery systems",
    "training": "Training",
}
CATEGORIES_FR = {
    "ammo": "Munitions d’artillerie",
    "ad": "Intercepteurs de défense sol-air",
    "armour": "Véhicules blindés",
    "artillery": "Systèmes d’artillerie",
    "training": "Formation",
}
# key: (category key, name, unit, NSN (13 digits or ""), reference unit value in EUR)
ITEMS: dict[str, tuple[str, str, str, str, int]] = {
    "155": ("ammo", "155 mm HE projectile", Item.Unit.ROUNDS, "1320015550155", 8_000),
    "105": ("ammo", "105 mm HE projectile", Item.Unit.ROUNDS, "1315015550105", 3_500),
    "pac3": ("ad", "Patriot PAC-3 MSE interceptor", Item.Unit.MISSILES, "1410015550003", 4_000_000),
    "iris": ("ad", "IRIS-T SLM interceptor", Item.Unit.MISSILES, "1410125550001", 450_000),
    "amraam": ("ad", "AMRAAM interceptor (NASAMS)", Item.Unit.MISSILES, "1410015550120", 1_000_000),
    "ifv": ("armour", "Infantry fighting vehicle, tracked", Item.Unit.VEHICLES, "2350015550002", 3_000_000),
    "mbt": ("armour", "Main battle tank, Leopard 2 family", Item.Unit.VEHICLES, "2350125550002", 8_000_000),
    "sph": ("artillery", "155 mm self-propelled howitzer", Item.Unit.SYSTEMS, "1025125550155", 6_000_000),
    "place": ("training", "Training place (collective training)", Item.Unit.PLACES, "", 20_000),
}
# French military terms; calibres, system names and NSNs as they are.
ITEMS_FR = {
    "155": "Obus explosif de 155 mm",
    "105": "Obus explosif de 105 mm",
    "pac3": "Intercepteur Patriot PAC-3 MSE",
    "iris": "Intercepteur IRIS-T SLM",
    "amraam": "Intercepteur AMRAAM (NASAMS)",
    "ifv": "Véhicule de combat d’infanterie chenillé",
    "mbt": "Char de combat, famille Leopard 2",
    "sph": "Obusier automoteur de 155 mm",
    "place": "Place de formation (entraînement collectif)",
}

# --- Dates: the public facts keep theirs; everything illustrative is placed relative to today -----------
# A scenario date is a ``dt.date`` (a source fact, or history that belongs to one: the US ramp-up, the EU's
# one million rounds by the end of 2024 and its deliveries) or a ``Days``/``Months`` resolved against the
# day the demo is loaded (``load_demo --today``, the real today by default). So the demo reads like a live
# operation whatever the day: older pledges delivered, some due in the coming weeks and months, a few
# overdue by days to a few months (never years), stock reports from the last week, agreements in force and
# one that has expired. Loading again completes the scenario: stock reports are added after each series'
# latest, requirements for months not yet stated; the rest keeps the dates of the first load.


@dataclass(frozen=True)
class Days:
    """``n`` days from today (negative: before today)."""

    n: int


@dataclass(frozen=True)
class Months:
    """The first day of the month ``n`` months from today's month, plus ``days``: ``Months(-11, -1)`` is
    the last day of the month eleven months before this one's."""

    n: int
    days: int = 0


When = dt.date | Days | Months


def on_day(when: When | None, today: dt.date) -> dt.date | None:
    """The date a scenario date stands for when the demo is loaded on ``today``."""
    if when is None or isinstance(when, dt.date):
        return when
    if isinstance(when, Days):
        return today + dt.timedelta(days=when.n)
    return add_months(today.replace(day=1), when.n) + dt.timedelta(days=when.days)


# The demo's today must have its public facts behind it (the last: the EU's one million rounds, due and
# delivered by 2024-12-31), and cannot be after the real today (stock reports are never in the future).
EARLIEST_TODAY = dt.date(2025, 1, 1)


def today_problem(today: dt.date) -> str | None:
    """Why the demo cannot be built for ``today``, or None."""
    real = timezone.localdate()
    if today > real:
        return (f"The demo cannot be dated {today.isoformat()}: that is after today ({real.isoformat()}), and "
                "stock reports are never dated in the future.")
    if today < EARLIEST_TODAY:
        return (f"The demo cannot be dated {today.isoformat()}: give a day from {EARLIEST_TODAY.isoformat()} "
                "(its source facts, such as the EU's one million rounds by the end of 2024, must be behind it).")
    return None


# --- Guidelines: (item, nation or None for the alliance default, minimum, from, to) -----------------
# The alliance-wide 155 mm default is revised upwards 29 months before this month ("allies are revising
# stockpile guidelines", source fact); the numbers and dates themselves are illustrative.
BASELINE = Months(-84)  # in force since long before the stock series starts
REVISION, REVISED = Months(-29), Months(-29, -1)  # the revision, and the last day of the guideline it replaces
GUIDELINES: list[tuple[str, str | None, int, When, When | None]] = [
    ("155", None, 60_000, BASELINE, REVISED),
    ("155", None, 80_000, REVISION, None),
    ("155", "USA", 1_200_000, BASELINE, REVISED),
    ("155", "USA", 1_500_000, REVISION, None),
    ("155", "DEU", 250_000, REVISION, None),
    ("155", "FRA", 200_000, REVISION, None),
    ("155", "GBR", 200_000, REVISION, None),
    ("155", "POL", 300_000, REVISION, None),
    ("155", "ITA", 120_000, REVISION, None),
    ("155", "EST", 40_000, REVISION, None),
    ("105", "USA", 350_000, BASELINE, None),
    ("105", "GBR", 50_000, BASELINE, None),
    ("pac3", "USA", 2_400, BASELINE, None),
    ("pac3", "DEU", 350, BASELINE, None),
    ("pac3", "NLD", 180, BASELINE, None),
    ("iris", "DEU", 250, BASELINE, None),
    ("amraam", "USA", 4_000, BASELINE, None),
    ("amraam", "NOR", 250, BASELINE, None),
    ("ifv", "USA", 2_800, BASELINE, None),
    ("ifv", "DEU", 650, BASELINE, None),
    ("ifv", "POL", 1_100, BASELINE, None),
    ("ifv", "DNK", 50, BASELINE, None),
    ("ifv", "SWE", 480, BASELINE, None),
    ("mbt", "POL", 700, BASELINE, None),
    ("mbt", "DEU", 320, BASELINE, None),
    ("mbt", "ESP", 320, BASELINE, None),
    ("mbt", "PRT", 37, BASELINE, None),
    ("mbt", "NOR", 50, BASELINE, None),
    ("sph", "DEU", 110, BASELINE, None),
    ("sph", "ITA", 70, BASELINE, None),
    ("sph", "NLD", 60, BASELINE, None),
    ("sph", "GBR", 90, BASELINE, None),
]

# --- Production rates: (nation, item, units per month, effective from, reference) ------------------
US_155_SOURCE = "Source fact: US 155 mm production about 14,000 rounds a month before February 2022"
US_155_TARGET = "Source fact: US 155 mm production close to 80,000 rounds a month by mid-2024"
EU_RAMP = ILLUSTRATIVE + "; European defence production rose by more than 40 percent (source fact)"
# The series that carry a source fact keep their dates (the US ramp-up with its steps, the European
# ramp); the purely illustrative rates start some months before this month.
RATES: list[tuple[str, str, int, When, str]] = [
    ("USA", "155", 14_000, dt.date(2021, 1, 1), US_155_SOURCE),
    ("USA", "155", 20_000, dt.date(2022, 10, 1), ILLUSTRATIVE + " (ramp-up step)"),
    ("USA", "155", 28_000, dt.date(2023, 4, 1), ILLUSTRATIVE + " (ramp-up step)"),
    ("USA", "155", 40_000, dt.date(2023, 10, 1), ILLUSTRATIVE + " (ramp-up step)"),
    ("USA", "155", 60_000, dt.date(2024, 2, 1), ILLUSTRATIVE + " (ramp-up step)"),
    ("USA", "155", 80_000, dt.date(2024, 7, 1), US_155_TARGET),
    ("DEU", "155", 12_000, dt.date(2021, 1, 1), ILLUSTRATIVE),
    ("DEU", "155", 25_000, dt.date(2024, 6, 1), EU_RAMP),
    ("FRA", "155", 5_500, dt.date(2021, 1, 1), ILLUSTRATIVE),
    ("FRA", "155", 8_000, dt.date(2024, 3, 1), EU_RAMP),
    ("GBR", "155", 5_000, Months(-42), ILLUSTRATIVE),
    ("POL", "155", 6_000, dt.date(2024, 1, 1), EU_RAMP),
    ("ESP", "155", 3_000, Months(-47), ILLUSTRATIVE),
    ("CAN", "155", 2_000, Months(-39), ILLUSTRATIVE),
    ("USA", "105", 3_000, Months(-71), ILLUSTRATIVE),
    ("USA", "pac3", 45, Months(-47), ILLUSTRATIVE),
    ("DEU", "iris", 10, Months(-42), ILLUSTRATIVE),
    ("DEU", "ifv", 4, Months(-47), ILLUSTRATIVE),
    ("SWE", "ifv", 2, Months(-47), ILLUSTRATIVE),
    ("POL", "mbt", 3, Months(-35), ILLUSTRATIVE),
    ("DEU", "mbt", 2, Months(-35), ILLUSTRATIVE),
    ("DEU", "sph", 1, Months(-35), ILLUSTRATIVE),
]

# --- Joint procurement -----------------------------------------------------------------------------
# Source facts: Estonia joined Germany's framework agreement for ammunition; the EU promised one
# million rounds by 2024 (joint procurement); US 155 mm production about 14,000 → close to 80,000 rounds
# a month. Everything else here (names of the illustrative makers, ceilings, prices, dates, quantities,
# schedules) is illustrative demo data and says so in the record.
DEU_FA = "DEMO Germany 155 mm framework agreement"
DEU_FA_SOURCE = ("Source fact: Estonia joined Germany's framework agreement for ammunition. Ceiling, price, "
                 "dates and quantities are illustrative demo data.")
EU_JP = "DEMO EU one-million-round joint procurement"
EU_JP_SOURCE = ("Source fact: the EU promised one million rounds by 2024 (joint procurement). Participants, "
                "price, dates and quantities are illustrative demo data.")
US_LINE = "US 155 mm projectile production (aggregate of the US plants)"
# Manufacturers: (name, nation, reference)
MANUFACTURERS = [
    ("US Army ammunition plants (aggregate)", "USA", "Aggregate of the US 155 mm production (source fact: "
                                                     "14,000 → ~80,000 rounds a month); the grouping is illustrative"),
    ("Illustrative German ammunition maker", "DEU", ILLUSTRATIVE),
    ("Illustrative French ammunition maker", "FRA", ILLUSTRATIVE),
]
# Production lines: (manufacturer, item, line name, [(units per month, from, reference)])
LINES = [
    ("US Army ammunition plants (aggregate)", "155", US_LINE, [
        (14_000, dt.date(2021, 1, 1), US_155_SOURCE),
        (28_000, dt.date(2023, 4, 1), ILLUSTRATIVE + " (ramp-up step)"),
        (40_000, dt.date(2023, 10, 1), ILLUSTRATIVE + " (ramp-up step)"),
        (60_000, dt.date(2024, 2, 1), ILLUSTRATIVE + " (ramp-up step)"),
        (80_000, dt.date(2024, 7, 1), US_155_TARGET),
    ]),
    ("Illustrative German ammunition maker", "155", "155 mm line (illustrative)", [
        (12_000, dt.date(2021, 1, 1), ILLUSTRATIVE),
        (25_000, dt.date(2024, 6, 1), EU_RAMP),
    ]),
    ("Illustrative French ammunition maker", "155", "155 mm line (illustrative)", [
        (5_500, dt.date(2021, 1, 1), ILLUSTRATIVE),
        (8_000, dt.date(2024, 3, 1), EU_RAMP),
    ]),
]
# Agreements: (name, lead, item, manufacturer or None, ceiling, unit price EUR, valid from, valid to, reference,
#              [(participant, planned quantity, joined on)])
# Germany's agreement is in force (from 42 months before this month to the end of the month 36 months
# after it); the EU's ended 11 months ago: it is shown as expired, and its orders still deliver.
AGREEMENTS: list[tuple[str, str, str, str | None, int, int, When, When | None, str, list[tuple[str, int, When]]]] = [
    (DEU_FA, "DEU", "155", "Illustrative German ammunition maker", 600_000, 4_000, Months(-42), Months(37, -1),
     DEU_FA_SOURCE, [
         ("DEU", 300_000, Months(-42)),
         ("EST", 20_000, Months(-33, 14)),  # joined later (source fact; the date is illustrative)
     ]),
    (EU_JP, "EU", "155", None, 1_000_000, 3_500, Months(-43, 4), Months(-11, -1), EU_JP_SOURCE, [
        ("POL", 150_000, Months(-43, 4)),
        ("FRA", 100_000, Months(-43, 4)),
        ("CZE", 80_000, Months(-43, 4)),
        ("NLD", 50_000, Months(-39)),
        ("EST", 10_000, Months(-43, 4)),
    ]),
]


@dataclass(frozen=True)
class OrderSpec:
    """An order; schedule lines are (months after this month's first day, quantity, received) — month 1
    is the first day of next month, so it is always counted in the projection's month 1."""

    reference: str
    nation: str
    item: str
    quantity: int
    ordered_on: When
    agreement: str | None = None
    schedule: tuple[tuple[int, int, bool], ...] = ()
    status: str = "confirmed"


ORDERS = [
    # Germany's call-off under its own agreement: 60,000 over the next two months. Without it Germany
    # (short 90,000 at 25,000 a month) recovers in 4 months; with it in 2 (see tests/data/test_load_demo.py).
    OrderSpec("DEMO-DEU-FA-1", "DEU", "155", 60_000, Months(-27), DEU_FA, ((1, 30_000, False), (2, 30_000, False))),
    # Estonia, after joining: with no national production it was not recovering; the schedule closes its gap.
    OrderSpec("DEMO-EST-FA-1", "EST", "155", 12_000, Months(-32, 1), DEU_FA, ((1, 6_000, False), (2, 6_000, False))),
    OrderSpec("DEMO-POL-EU-1", "POL", "155", 100_000, Months(-42), EU_JP, ((-12, 40_000, True),
                                                                           (3, 30_000, False),
                                                                           (6, 30_000, False))),
    OrderSpec("DEMO-FRA-EU-1", "FRA", "155", 50_000, Months(-41), EU_JP, ((4, 25_000, False), (8, 25_000, False))),
    OrderSpec("DEMO-CZE-EU-1", "CZE", "155", 30_000, Months(-40), EU_JP, ((5, 30_000, False),)),
    OrderSpec("DEMO-GBR-NAT-1", "GBR", "155", 40_000, Months(-35, 9), None, ((2, 10_000, False),
                                                                            (5, 15_000, False),
                                                                            (9, 15_000, False))),
    OrderSpec("DEMO-NLD-EU-1", "NLD", "155", 10_000, Months(-38), EU_JP, (), "cancelled"),
]

# --- Stock report history (illustrative) ----------------------------------------------------------
# Each series: a report on the first of every month from 59 months before this month, and the latest
# one to 5 days before today (nations report on different days). (nation, item): (stock at the series'
# start, low point 39 months before this month, latest stock); interpolated linearly by day in between,
# so charts have a drawdown and a partial recovery.
SERIES_START, LOW_POINT = Months(-59), Months(-39)


def report_lag(code: str) -> int:
    """How many days before today a nation's latest stock report is dated: 1 to 5, by nation."""
    return 1 + sum(map(ord, code)) % 5


STOCKS: dict[tuple[str, str], tuple[int, int, int]] = {
    ("USA", "155"): (1_600_000, 900_000, 1_150_000),
    ("DEU", "155"): (220_000, 90_000, 180_000),
    ("FRA", "155"): (150_000, 70_000, 110_000),
    ("GBR", "155"): (160_000, 60_000, 95_000),
    ("POL", "155"): (280_000, 150_000, 210_000),
    ("ITA", "155"): (110_000, 55_000, 70_000),
    ("NLD", "155"): (90_000, 30_000, 45_000),
    ("CZE", "155"): (85_000, 35_000, 60_000),
    ("NOR", "155"): (70_000, 40_000, 85_000),
    ("ESP", "155"): (100_000, 70_000, 95_000),
    ("BEL", "155"): (40_000, 15_000, 20_000),
    ("DNK", "155"): (50_000, 10_000, 25_000),
    ("CAN", "155"): (60_000, 30_000, 50_000),
    ("ROU", "155"): (90_000, 85_000, 100_000),
    ("TUR", "155"): (300_000, 290_000, 320_000),
    ("GRC", "155"): (150_000, 150_000, 155_000),
    ("FIN", "155"): (350_000, 340_000, 360_000),
    ("SWE", "155"): (80_000, 60_000, 70_000),
    ("EST", "155"): (20_000, 8_000, 30_000),
    ("LTU", "155"): (15_000, 6_000, 12_000),
    ("USA", "105"): (400_000, 300_000, 330_000),
    ("GBR", "105"): (60_000, 20_000, 30_000),
    ("USA", "pac3"): (2_500, 1_700, 1_900),
    ("DEU", "pac3"): (400, 150, 180),
    ("NLD", "pac3"): (200, 90, 100),
    ("DEU", "iris"): (300, 80, 140),
    ("USA", "amraam"): (5_000, 4_200, 4_500),
    ("NOR", "amraam"): (300, 120, 150),
    ("USA", "ifv"): (3_000, 2_700, 2_750),
    ("DEU", "ifv"): (700, 560, 600),
    ("POL", "ifv"): (1_200, 900, 950),
    ("DNK", "ifv"): (60, 40, 44),
    ("SWE", "ifv"): (500, 440, 460),
    ("POL", "mbt"): (800, 500, 560),
    ("DEU", "mbt"): (320, 290, 300),
    ("ESP", "mbt"): (330, 300, 310),
    ("PRT", "mbt"): (37, 34, 34),
    ("NOR", "mbt"): (52, 44, 46),
    ("DEU", "sph"): (120, 95, 100),
    ("ITA", "sph"): (90, 60, 64),
    ("NLD", "sph"): (60, 45, 48),
    ("GBR", "sph"): (100, 70, 75),
}

# --- Pledges and their deliveries -----------------------------------------------------------------
# Dates in days from today (``Days``), except the EU's promise (a source fact with its dates). Older
# pledges are delivered; some are due in the coming weeks and months; four are overdue by 10 to 75 days.


@dataclass(frozen=True)
class DeliverySpec:
    quantity: int
    status: str
    shipped_on: When | None = None
    delivered_on: When | None = None


@dataclass(frozen=True)
class PledgeSpec:
    key: str
    donor: str
    item: str
    quantity: int
    announced_on: When
    due_on: When | None
    source: str
    status: str
    releasability: str = "alliance"
    deliveries: tuple[DeliverySpec, ...] = ()
    notes: str = ILLUSTRATIVE + "."


S, C, A, X = Pledge.Status.ANNOUNCED, Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.CANCELLED
STOCK, NEW, PROC = Pledge.Source.NATIONAL_STOCK, Pledge.Source.NEW_PRODUCTION, Pledge.Source.PROCUREMENT
D = Delivery.Status
d = dt.date


def ago(n: int) -> Days:
    """``n`` days before today."""
    return Days(-n)


def ahead(n: int) -> Days:
    """``n`` days after today."""
    return Days(n)


EU_1M = ("Source fact: the EU promised one million rounds by 2024. The split into two tracks and the "
         "deliveries are illustrative demo data.")

PLEDGES: list[PledgeSpec] = [
    # United States, 155 mm from stock: owed = (200,000 - 180,000 shipped) + (100,000 - 30,000) = 90,000.
    # The first is overdue by 45 days: 20,000 in transit, 20,000 still to ship.
    PledgeSpec("DEMO-USA-155-1", "USA", "155", 200_000, ago(610), ago(45), STOCK, A, "public", (
        DeliverySpec(120_000, D.CONFIRMED, ago(590), ago(545)),
        DeliverySpec(40_000, D.DELIVERED, ago(400), ago(362)),
        DeliverySpec(20_000, D.IN_TRANSIT, ago(12)),
        DeliverySpec(20_000, D.SCHEDULED),
    )),
    PledgeSpec("DEMO-USA-155-2", "USA", "155", 100_000, ago(210), ahead(75), STOCK, C, "alliance", (
        DeliverySpec(30_000, D.CONFIRMED, ago(120), ago(88)),
        DeliverySpec(10_000, D.CANCELLED),
    )),
    PledgeSpec("DEMO-USA-155-3", "USA", "155", 150_000, ago(40), ahead(300), NEW, S, "public"),
    PledgeSpec("DEMO-USA-155-4", "USA", "155", 25_000, ago(1400), ago(1070), STOCK, X, "alliance", (
        DeliverySpec(25_000, D.CANCELLED),
    )),
    PledgeSpec("DEMO-USA-PAC3-1", "USA", "pac3", 60, ago(450), ago(20), STOCK, A, "restricted", (
        DeliverySpec(40, D.DELIVERED, ago(300), ago(270)),
    )),
    PledgeSpec("DEMO-USA-IFV-1", "USA", "ifv", 300, ago(1430), ago(1250), STOCK, A, "public", (
        DeliverySpec(300, D.CONFIRMED, ago(1416), ago(1360)),
    )),
    PledgeSpec("DEMO-USA-105-1", "USA", "105", 80_000, ago(1650), ago(1350), STOCK, A, "public", (
        DeliverySpec(80_000, D.CONFIRMED, ago(1630), ago(1590)),
    )),
    # The EU's one-million-round promise (source fact: announced 2023-03-20, due by the end of 2024), as two
    # procurement tracks, delivered by then (the deliveries and their dates are illustrative).
    PledgeSpec("DEMO-EU-1M-T1", "EU", "155", 500_000, d(2023, 3, 20), d(2024, 12, 31), PROC, A, "public", (
        DeliverySpec(300_000, D.CONFIRMED, d(2023, 5, 1), d(2023, 11, 30)),
        DeliverySpec(150_000, D.CONFIRMED, d(2024, 1, 15), d(2024, 6, 30)),
        DeliverySpec(50_000, D.DELIVERED, d(2024, 9, 2), d(2024, 12, 10)),
    ), EU_1M),
    PledgeSpec("DEMO-EU-1M-T2", "EU", "155", 500_000, d(2023, 3, 20), d(2024, 12, 31), PROC, C, "public", (
        DeliverySpec(180_000, D.CONFIRMED, d(2024, 3, 1), d(2024, 9, 30)),
        DeliverySpec(200_000, D.CONFIRMED, d(2024, 6, 3), d(2024, 11, 29)),
        DeliverySpec(120_000, D.DELIVERED, d(2024, 10, 1), d(2024, 12, 20)),
    ), EU_1M),
    # Other allies (illustrative).
    PledgeSpec("DEMO-DEU-155-1", "DEU", "155", 120_000, ago(540), ahead(21), STOCK, A, "alliance", (
        DeliverySpec(80_000, D.CONFIRMED, ago(500), ago(440)),
        DeliverySpec(20_000, D.DELIVERED, ago(150), ago(105)),
    )),
    PledgeSpec("DEMO-DEU-IRIS-1", "DEU", "iris", 40, ago(450), ahead(160), STOCK, C, "restricted", (
        DeliverySpec(20, D.DELIVERED, ago(330), ago(305)),
    )),
    PledgeSpec("DEMO-DEU-MBT-1", "DEU", "mbt", 18, ago(1410), ago(1315), STOCK, A, "public", (
        DeliverySpec(18, D.CONFIRMED, ago(1375), ago(1345)),
    )),
    PledgeSpec("DEMO-DEU-PAC3-1", "DEU", "pac3", 30, ago(700), ago(400), STOCK, A, "restricted", (
        DeliverySpec(30, D.CONFIRMED, ago(520), ago(490)),
    )),
    PledgeSpec("DEMO-FRA-155-1", "FRA", "155", 50_000, ago(330), ahead(120), STOCK, C, "alliance", (
        DeliverySpec(10_000, D.IN_TRANSIT, ago(9)),
    )),
    PledgeSpec("DEMO-GBR-155-1", "GBR", "155", 60_000, ago(1490), ago(1250), STOCK, A, "public", (
        DeliverySpec(60_000, D.CONFIRMED, ago(1460), ago(1400)),
    )),
    PledgeSpec("DEMO-GBR-105-1", "GBR", "105", 20_000, ago(400), ago(75), STOCK, A, "alliance", (
        DeliverySpec(5_000, D.DELIVERED, ago(330), ago(300)),
    )),
    PledgeSpec("DEMO-GBR-PLACE-1", "GBR", "place", 10_000, ago(1420), ahead(90), PROC, A, "public", (
        DeliverySpec(8_000, D.DELIVERED, ago(1400), ago(30)),
    )),
    PledgeSpec("DEMO-POL-155-1", "POL", "155", 40_000, ago(28), ahead(180), STOCK, S, "alliance"),
    PledgeSpec("DEMO-POL-MBT-1", "POL", "mbt", 14, ago(1400), ago(1340), STOCK, A, "public", (
        DeliverySpec(14, D.CONFIRMED, ago(1381), ago(1377)),
    )),
    PledgeSpec("DEMO-NLD-155-1", "NLD", "155", 25_000, ago(280), ago(10), STOCK, A, "alliance", (
        DeliverySpec(15_000, D.DELIVERED, ago(220), ago(190)),
    )),
    PledgeSpec("DEMO-DNK-155-1", "DNK", "155", 8_000, ago(1415), ago(1250), STOCK, A, "public", (
        DeliverySpec(8_000, D.CONFIRMED, ago(1400), ago(1372)),
    )),
    PledgeSpec("DEMO-CZE-155-1", "CZE", "155", 300_000, ago(650), ahead(45), PROC, C, "alliance", (
        DeliverySpec(150_000, D.DELIVERED, ago(550), ago(430)),
        DeliverySpec(50_000, D.IN_TRANSIT, ago(30)),
    )),
    PledgeSpec("DEMO-ESP-MBT-1", "ESP", "mbt", 10, ago(190), ahead(200), STOCK, S, "public"),
    PledgeSpec("DEMO-SWE-IFV-1", "SWE", "ifv", 50, ago(1415), ago(1070), STOCK, A, "public", (
        DeliverySpec(50, D.CONFIRMED, ago(1400), ago(1355)),
    )),
    PledgeSpec("DEMO-NOR-AMRAAM-1", "NOR", "amraam", 40, ago(500), ago(150), STOCK, X, "restricted"),
    PledgeSpec("DEMO-ITA-SPH-1", "ITA", "sph", 6, ago(1310), ago(980), STOCK, A, "alliance", (
        DeliverySpec(6, D.CONFIRMED, ago(1220), ago(1190)),
    )),
]

# --- Training commitments (illustrative numbers and dates) -----------------------------------------
TC = TrainingCommitment.Status
TRAINING: list[tuple[str, str, int, int, When, When | None, str]] = [
    ("USA", "F-16 pilot", 12, 12, ago(1160), ago(890), TC.COMPLETED),
    ("DNK", "F-16 pilot", 20, 14, ago(1220), ahead(200), TC.IN_PROGRESS),
    ("NLD", "F-16 pilot", 18, 10, ago(1190), ahead(260), TC.IN_PROGRESS),
    ("NOR", "F-16 pilot", 6, 0, ahead(45), ahead(400), TC.PLANNED),
    ("DEU", "Leopard 2 crew", 300, 300, ago(1400), ago(1250), TC.COMPLETED),
    ("POL", "Leopard 2 crew", 120, 120, ago(1390), ago(1280), TC.COMPLETED),
    ("PRT", "Leopard 2 crew", 40, 40, ago(1370), ago(1250), TC.COMPLETED),
    ("DEU", "Patriot operator", 90, 90, ago(1420), ago(1330), TC.COMPLETED),
    ("USA", "Patriot operator", 65, 65, ago(1415), ago(1345), TC.COMPLETED),
    ("GBR", "Basic infantry (collective training)", 30_000, 28_000, ago(1650), ahead(120), TC.IN_PROGRESS),
    ("FRA", "CAESAR gun crew", 150, 150, ago(1680), ago(1590), TC.COMPLETED),
    ("SWE", "CV90 crew", 200, 160, ago(1370), ahead(90), TC.IN_PROGRESS),
    ("ESP", "HAWK operator", 40, 0, ago(1050), ago(890), TC.CANCELLED),
    ("EU", "Basic and specialised training (EU mission)", 60_000, 45_000, ago(1480), ahead(330), TC.IN_PROGRESS),
]

# --- Demo logins (local use only) ------------------------------------------------------------------
OFFICERS = [("officer-usa", "USA"), ("officer-pol", "POL"), ("officer-deu", "DEU"), ("officer-ukr", "UKR")]
COORDINATOR = "coordinator"


@dataclass
class DemoResult:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first`` to ``last`` (inclusive)."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def report_dates(code: str, today: dt.date) -> list[dt.date]:
    """A nation's stock report dates: the first of each month from the series' start, then the latest,
    ``report_lag(code)`` days before today."""
    latest = today - dt.timedelta(days=report_lag(code))
    first = on_day(SERIES_START, today)
    return [m for m in month_starts(first, latest) if m < latest] + [latest]


def series_value(profile: tuple[int, int, int], day: dt.date, *, start: dt.date, low: dt.date,
                 latest: dt.date) -> int:
    """Linear by day from the start value (on ``start``) to the low point (on ``low``), then to the latest
    value (on ``latest``)."""
    first, bottom, last = profile
    if day <= low:
        return round(first + (bottom - first) * (day - start).days / max((low - start).days, 1))
    return round(bottom + (last - bottom) * (day - low).days / max((latest - low).days, 1))


def _ensure(model, lookup: dict, defaults: dict, result: DemoResult, label: str, reason: str = ILLUSTRATIVE,
            *, also: dict | None = None):
    """Create a reference-data row when missing (validated, with a history change reason). ``also``: more
    conditions for finding it that are not fields to set (``line__isnull``). A row that exists without the
    French name the demo gives it gets that name (a database loaded before French names), and nothing else
    changes."""
    obj = model.objects.filter(**lookup, **(also or {})).first()
    if obj is not None:
        french = defaults.get("name_fr", "")
        if french and not obj.name_fr:
            obj.name_fr = french
            validate_instance(obj)
            obj._change_reason = "French name (demo scenario)"
            obj.save(update_fields=["name_fr"])
            result.add(f"{label} given a French name")
        return obj, False
    obj = model(**lookup, **defaults)
    validate_instance(obj)
    obj._change_reason = reason
    obj.save()
    result.add(label)
    return obj, True


def demo_is_loaded() -> bool:
    return Nation.objects.exists()


def demo_load(*, today: dt.date | None = None, logins: bool = False,
              log: Callable[[str], None] = lambda s: None) -> DemoResult:
    """Build (or complete) the demo scenario, its illustrative dates placed relative to ``today`` (the real
    today by default; see ``on_day``). Idempotent; one transaction. ``ValueError`` for a day the scenario
    cannot be dated on (``today_problem``)."""
    today = today or timezone.localdate()
    problem = today_problem(today)
    if problem:
        raise ValueError(problem)
    result = DemoResult()
    log(f"Dated relative to {today.isoformat()} (source facts keep their own dates)")
    # The scenario's alerts and deliveries are its starting state, not news: no email or webhook for them.
    with notification_receivers.muted(), transaction.atomic():
        nations = _load_nations(result, log)
        items = _load_catalogue(result, log)
        _load_guidelines_and_rates(nations, items, today, result, log)
        _load_stock_reports(nations, items, today, result, log)
        _load_pledges(nations, items, today, result, log)
        _load_training(nations, today, result, log)
        _load_requirements(nations, items, today, result, log)
        _load_procurement(nations, items, today, result, log)
        if logins:
            _load_logins(nations, result, log)
        log("Recomputing shortfalls…")
        result.created["shortfall rows computed"] = engine.shortfalls_recompute(pairs=None)
        log("Building the history of the figures (as-of pages read it)…")
        result.created["shortfall history versions"] = engine.shortfall_history_rebuild_locked()
    return result


def _load_nations(result: DemoResult, log) -> dict[str, Nation]:
    log("Nations: 32 allies, Ukraine, EU institutions")
    nations = {}
    for code, name, joined in ALLIES:
        reason = "NATO member and accession date (public record)"
        nations[code], _ = _ensure(Nation, {"code": code}, {"name": name, "name_fr": NATIONS_FR[code],
                                                           "role": Nation.Role.ALLY, "joined_on": joined},
                                   result, "nations", reason)
    for code, name, role in OTHERS:
        nations[code], _ = _ensure(Nation, {"code": code}, {"name": name, "name_fr": NATIONS_FR[code], "role": role},
                                   result, "nations", "Recipient / partner (public record)")
    return nations


def _load_catalogue(result: DemoResult, log) -> dict[str, Item]:
    log("Catalogue: categories and items (NSNs and unit values illustrative)")
    categories = {
        key: _ensure(Category, {"name": name}, {"name_fr": CATEGORIES_FR[key]}, result, "categories")[0]
        for key, name in CATEGORIES.items()
    }
    items = {}
    for key, (cat, name, unit, nsn, value) in ITEMS.items():
        defaults = {"category": categories[cat], "unit": unit, "unit_value_eur": Decimal(value),
                    "name_fr": ITEMS_FR[key]}
        if nsn and not Item.objects.filter(nsn=nsn).exists():
            defaults["nsn"] = nsn
        items[key], _ = _ensure(Item, {"name": name}, defaults, result, "items",
                                ILLUSTRATIVE + ": NSN and reference unit value are illustrative")
    return items


def _load_guidelines_and_rates(nations, items, today: dt.date, result: DemoResult, log) -> None:
    """Keyed without their dates (by item, nation and figure), so loading again on a later day adds no
    second, overlapping period."""
    log("Stockpile guidelines and production rates")
    for item_key, code, minimum, start, end in GUIDELINES:
        guideline, created = _ensure(
            StockpileGuideline,
            {"item": items[item_key], "nation": nations[code] if code else None, "minimum_quantity": minimum},
            {"effective_from": on_day(start, today), "effective_to": on_day(end, today)}, result, "guidelines",
            ILLUSTRATIVE + "; allies are revising stockpile guidelines (source fact)",
        )
        if created:
            guideline_saved(guideline=guideline)
    for code, item_key, units, start, reference in RATES:
        rate, created = _ensure(
            ProductionRate, {"nation": nations[code], "item": items[item_key], "units_per_month": units},
            {"effective_from": on_day(start, today), "reference": reference}, result, "production rates", reference,
            also={"line__isnull": True},
        )
        if created:
            production_rate_saved(rate=rate)


def _load_stock_reports(nations, items, today: dt.date, result: DemoResult, log) -> None:
    """Each series' reports (``report_dates``) after its latest on file: none when loaded again on the same
    day, the missing ones up to a later day."""
    start, low = on_day(SERIES_START, today), on_day(LOW_POINT, today)
    latest_on_file = {
        (code, item_id): latest for code, item_id, latest in
        StockReport.objects.filter(item__in=[items[key] for _, key in STOCKS]).order_by()
        .values("nation__code", "item_id").annotate(latest=Max("as_of")).values_list("nation__code", "item_id",
                                                                                    "latest")
    }
    by_nation: dict[str, list[dict]] = {}
    for (code, item_key), profile in STOCKS.items():
        item = items[item_key]
        dates = report_dates(code, today)
        after = latest_on_file.get((code, item.pk))
        for day in dates:
            if after is None or day > after:
                by_nation.setdefault(code, []).append({
                    "item": item, "as_of": day,
                    "quantity": series_value(profile, day, start=start, low=low, latest=dates[-1]),
                })
    log(f"Stock reports: {len(STOCKS)} series, monthly from {start.isoformat()}, the latest from the last week")
    for code, rows in sorted(by_nation.items()):
        stock_reports_bulk_create(actor=CELL, nation=nations[code], rows=rows)
        result.add("stock reports", len(rows))


def _load_pledges(nations, items, today: dt.date, result: DemoResult, log) -> None:
    log(f"Pledges and deliveries: {len(PLEDGES)} pledges")
    existing = set(Pledge.objects.filter(reference__startswith="DEMO-").values_list("reference", flat=True))
    rows = []
    for spec in PLEDGES:
        reference = f"{spec.key} ({ILLUSTRATIVE if spec.notes.startswith(ILLUSTRATIVE) else 'see notes'})"
        if reference in existing:
            continue
        item = items[spec.item]
        pledge = pledge_create(
            actor=CELL, donor=nations[spec.donor], recipient=nations["UKR"], item=item, quantity=spec.quantity,
            value_eur=Decimal(spec.quantity) * item.unit_value_eur, announced_on=on_day(spec.announced_on, today),
            due_on=on_day(spec.due_on, today), source=spec.source, status=spec.status,
            releasability=spec.releasability, reference=reference, notes=spec.notes,
        )
        result.add("pledges")
        for n, dspec in enumerate(spec.deliveries, 1):
            rows.append({
                "pledge_id": pledge.pk, "quantity": dspec.quantity, "status": dspec.status,
                "shipped_on": on_day(dspec.shipped_on, today), "delivered_on": on_day(dspec.delivered_on, today),
                "reference": f"{spec.key}/D{n} ({ILLUSTRATIVE})",
            })
    if rows:
        deliveries_bulk_create(actor=CELL, rows=rows)
        result.add("deliveries", len(rows))


def _load_training(nations, today: dt.date, result: DemoResult, log) -> None:
    log(f"Training commitments: {len(TRAINING)}")
    existing = set(TrainingCommitment.objects.values_list("donor__code", "programme"))
    for code, programme, committed, completed, start, end, status in TRAINING:
        if (code, programme) in existing:
            continue
        training_commitment_save(actor=CELL, commitment=TrainingCommitment(
            donor=nations[code], recipient=nations["UKR"], programme=programme, trainees_committed=committed,
            trainees_completed=completed, start_on=on_day(start, today), end_on=on_day(end, today), status=status,
            reference=ILLUSTRATIVE,
        ))
        result.add("training commitments")


def _load_requirements(nations, items, today: dt.date, result: DemoResult, log) -> None:
    """Ukraine's stated needs: 155 mm rounds per month over a year around today, and yearly totals."""
    log("Recipient requirements")
    first = dt.date(today.year, today.month, 1)
    for _ in range(5):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    months = month_starts(first, dt.date(first.year + 1, first.month, 1) - dt.timedelta(days=1))
    needs = [("155", m, (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1),
              200_000, Requirement.Priority.CRITICAL) for m in months]
    year_start, year_end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    needs += [
        ("pac3", year_start, year_end, 400, Requirement.Priority.CRITICAL),
        ("iris", year_start, year_end, 200, Requirement.Priority.HIGH),
        ("ifv", year_start, year_end, 500, Requirement.Priority.HIGH),
        ("mbt", year_start, year_end, 200, Requirement.Priority.MEDIUM),
        ("105", year_start, year_end, 300_000, Requirement.Priority.MEDIUM),
        ("place", year_start, year_end, 40_000, Requirement.Priority.LOW),
    ]
    for item_key, start, end, quantity, priority in needs:
        _ensure(Requirement, {"recipient": nations["UKR"], "item": items[item_key], "period_from": start},
                {"period_to": end, "quantity": quantity, "priority": priority,
                 "notes": ILLUSTRATIVE + " (rounds per month for 155 mm)." if item_key == "155" else ILLUSTRATIVE},
                result, "requirements")


def _load_procurement(nations, items, today: dt.date, result: DemoResult, log) -> None:
    """Manufacturers, production lines with their capacity series (source-fact dates), the two agreements and
    the orders with their schedules (dated relative to today)."""
    log("Joint procurement: manufacturers, production lines, framework agreements, orders")
    makers = {}
    for name, code, reference in MANUFACTURERS:
        maker = Manufacturer.objects.filter(name=name).first()
        if maker is None:
            maker = ps.manufacturer_save(actor=CELL, manufacturer=Manufacturer(name=name, nation=nations[code],
                                                                                reference=reference))
            result.add("manufacturers")
        makers[name] = maker
    for maker_name, item_key, line_name, rates in LINES:
        maker = makers[maker_name]
        line = ProductionLine.objects.filter(manufacturer=maker, item=items[item_key], name=line_name).first()
        if line is None:
            line = ps.production_line_save(actor=CELL, line=ProductionLine(
                manufacturer=maker, item=items[item_key], name=line_name,
                reference=ILLUSTRATIVE if "Illustrative" in maker_name else US_155_SOURCE))
            result.add("production lines")
        existing = set(ProductionRate.objects.filter(line=line).values_list("effective_from", flat=True))
        for units, start, reference in rates:
            if start not in existing:
                ps.production_line_rate_save(actor=CELL, rate=ProductionRate(
                    line=line, nation=maker.nation, item=line.item, units_per_month=units, effective_from=start,
                    reference=reference))
                result.add("production line rates")
    agreements = {}
    for name, lead, item_key, maker, ceiling, price, start, end, reference, participants in AGREEMENTS:
        agreement = FrameworkAgreement.objects.filter(name=name).first()
        if agreement is None:
            agreement = ps.agreement_create(
                actor=CELL, name=name, lead_nation=nations[lead], item=items[item_key],
                manufacturer=makers[maker] if maker else None, ceiling_quantity=ceiling,
                unit_price_eur=Decimal(price), valid_from=on_day(start, today), valid_to=on_day(end, today),
                reference=reference,
                notes=reference,
            )
            result.add("framework agreements")
        agreements[name] = agreement
        joined = set(AgreementParticipant.objects.filter(agreement=agreement).values_list("nation__code", flat=True))
        for code, planned, on in participants:
            if code not in joined:
                ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=nations[code],
                                    planned_quantity=planned, joined_on=on_day(on, today))
                result.add("agreement participants")
    this_month = today.replace(day=1)
    existing = set(Order.objects.filter(reference__startswith="DEMO-").values_list("reference", flat=True))
    for spec in ORDERS:
        if spec.reference in existing:
            continue
        schedule = []
        for months, quantity, received in spec.schedule:
            due = add_months(this_month, months)
            schedule.append({"due_on": due, "quantity": quantity, "received_on": due if received else None})
        ps.order_create(
            actor=CELL, nation=nations[spec.nation], item=items[spec.item], quantity=spec.quantity,
            ordered_on=on_day(spec.ordered_on, today), agreement=agreements[spec.agreement] if spec.agreement else None,
            status=spec.status, reference=spec.reference, schedule=schedule,
            notes=ILLUSTRATIVE + " (quantities and schedule)" + (f"; under {spec.agreement}" if spec.agreement else
                                                                  "; a national contract"),
        )
        result.add("orders")


def _load_logins(nations, result: DemoResult, log) -> None:
    log("Demo logins")
    User = get_user_model()
    accounts = [(COORDINATOR, None)] + OFFICERS
    hashed = make_password(DEMO_PASSWORD)  # hashed once: the slow part, and the same demo password for all
    for username, code in accounts:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=None, is_staff=True)
            user.password = hashed
            user.save(update_fields=["password"])
            result.add("logins")
        if not user.email:  # notifications need an address; example.org never delivers anywhere
            user.email = f"{username}@example.org"
            user.save(update_fields=["email"])
        Membership.objects.get_or_create(
            user=user, defaults={"is_cell": code is None, "nation": nations[code] if code else None}
        )
        result.logins.append(username)
    # The local administrator (ensure_local_admin) belongs to the cell.
    for admin in User.objects.filter(is_superuser=True, membership__isnull=True):
        Membership.objects.create(user=admin, is_cell=True)
    User.objects.filter(is_superuser=True, email="").update(email="admin@example.org")
