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

Writes go through the services with the cell as the actor. Loading is idempotent: every record has a
natural key (code, name, dates or a ``DEMO-…`` reference) and is only created when missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
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

# --- Guidelines: (item, nation or None for the alliance default, minimum, from, to) -----------------
# The alliance-wide 155 mm default is revised upwards in mid-2024 ("allies are revising stockpile
# guidelines", source fact); the numbers themselves are illustrative.
REVISION = dt.date(2024, 7, 1)
GUIDELINES: list[tuple[str, str | None, int, dt.date, dt.date | None]] = [
    ("155", None, 60_000, dt.date(2020, 1, 1), REVISION - dt.timedelta(days=1)),
    ("155", None, 80_000, REVISION, None),
    ("155", "USA", 1_200_000, dt.date(2020, 1, 1), REVISION - dt.timedelta(days=1)),
    ("155", "USA", 1_500_000, REVISION, None),
    ("155", "DEU", 250_000, REVISION, None),
    ("155", "FRA", 200_000, REVISION, None),
    ("155", "GBR", 200_000, REVISION, None),
    ("155", "POL", 300_000, REVISION, None),
    ("155", "ITA", 120_000, REVISION, None),
    ("155", "EST", 40_000, REVISION, None),
    ("105", "USA", 350_000, dt.date(2020, 1, 1), None),
    ("105", "GBR", 50_000, dt.date(2020, 1, 1), None),
    ("pac3", "USA", 2_400, dt.date(2020, 1, 1), None),
    ("pac3", "DEU", 350, dt.date(2020, 1, 1), None),
    ("pac3", "NLD", 180, dt.date(2020, 1, 1), None),
    ("iris", "DEU", 250, dt.date(2020, 1, 1), None),
    ("amraam", "USA", 4_000, dt.date(2020, 1, 1), None),
    ("amraam", "NOR", 250, dt.date(2020, 1, 1), None),
    ("ifv", "USA", 2_800, dt.date(2020, 1, 1), None),
    ("ifv", "DEU", 650, dt.date(2020, 1, 1), None),
    ("ifv", "POL", 1_100, dt.date(2020, 1, 1), None),
    ("ifv", "DNK", 50, dt.date(2020, 1, 1), None),
    ("ifv", "SWE", 480, dt.date(2020, 1, 1), None),
    ("mbt", "POL", 700, dt.date(2020, 1, 1), None),
    ("mbt", "DEU", 320, dt.date(2020, 1, 1), None),
    ("mbt", "ESP", 320, dt.date(2020, 1, 1), None),
    ("mbt", "PRT", 37, dt.date(2020, 1, 1), None),
    ("mbt", "NOR", 50, dt.date(2020, 1, 1), None),
    ("sph", "DEU", 110, dt.date(2020, 1, 1), None),
    ("sph", "ITA", 70, dt.date(2020, 1, 1), None),
    ("sph", "NLD", 60, dt.date(2020, 1, 1), None),
    ("sph", "GBR", 90, dt.date(2020, 1, 1), None),
]

# --- Production rates: (nation, item, units per month, effective from, reference) ------------------
US_155_SOURCE = "Source fact: US 155 mm production about 14,000 rounds a month before February 2022"
US_155_TARGET = "Source fact: US 155 mm production close to 80,000 rounds a month by mid-2024"
EU_RAMP = ILLUSTRATIVE + "; European defence production rose by more than 40 percent (source fact)"
RATES: list[tuple[str, str, int, dt.date, str]] = [
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
    ("GBR", "155", 5_000, dt.date(2023, 6, 1), ILLUSTRATIVE),
    ("POL", "155", 6_000, dt.date(2024, 1, 1), EU_RAMP),
    ("ESP", "155", 3_000, dt.date(2023, 1, 1), ILLUSTRATIVE),
    ("CAN", "155", 2_000, dt.date(2023, 9, 1), ILLUSTRATIVE),
    ("USA", "105", 3_000, dt.date(2021, 1, 1), ILLUSTRATIVE),
    ("USA", "pac3", 45, dt.date(2023, 1, 1), ILLUSTRATIVE),
    ("DEU", "iris", 10, dt.date(2023, 6, 1), ILLUSTRATIVE),
    ("DEU", "ifv", 4, dt.date(2023, 1, 1), ILLUSTRATIVE),
    ("SWE", "ifv", 2, dt.date(2023, 1, 1), ILLUSTRATIVE),
    ("POL", "mbt", 3, dt.date(2024, 1, 1), ILLUSTRATIVE),
    ("DEU", "mbt", 2, dt.date(2024, 1, 1), ILLUSTRATIVE),
    ("DEU", "sph", 1, dt.date(2024, 1, 1), ILLUSTRATIVE),
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
AGREEMENTS = [
    (DEU_FA, "DEU", "155", "Illustrative German ammunition maker", 600_000, 4_000, dt.date(2023, 6, 1),
     dt.date(2029, 12, 31), DEU_FA_SOURCE, [
         ("DEU", 300_000, dt.date(2023, 6, 1)),
         ("EST", 20_000, dt.date(2024, 3, 15)),  # joined later (source fact; the date is illustrative)
     ]),
    (EU_JP, "EU", "155", None, 1_000_000, 3_500, dt.date(2023, 5, 5), dt.date(2025, 12, 31), EU_JP_SOURCE, [
        ("POL", 150_000, dt.date(2023, 5, 5)),
        ("FRA", 100_000, dt.date(2023, 5, 5)),
        ("CZE", 80_000, dt.date(2023, 5, 5)),
        ("NLD", 50_000, dt.date(2023, 9, 1)),
        ("EST", 10_000, dt.date(2023, 5, 5)),
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
    ordered_on: dt.date
    agreement: str | None = None
    schedule: tuple[tuple[int, int, bool], ...] = ()
    status: str = "confirmed"


ORDERS = [
    # Germany's call-off under its own agreement: 60,000 over the next two months. Without it Germany
    # (short 90,000 at 25,000 a month) recovers in 4 months; with it in 2 (see tests/data/test_load_demo.py).
    OrderSpec("DEMO-DEU-FA-1", "DEU", "155", 60_000, dt.date(2024, 9, 1), DEU_FA, ((1, 30_000, False),
                                                                                    (2, 30_000, False))),
    # Estonia, after joining: with no national production it was not recovering; the schedule closes its gap.
    OrderSpec("DEMO-EST-FA-1", "EST", "155", 12_000, dt.date(2024, 4, 2), DEU_FA, ((1, 6_000, False),
                                                                                   (2, 6_000, False))),
    OrderSpec("DEMO-POL-EU-1", "POL", "155", 100_000, dt.date(2023, 6, 1), EU_JP, ((-12, 40_000, True),
                                                                                   (3, 30_000, False),
                                                                                   (6, 30_000, False))),
    OrderSpec("DEMO-FRA-EU-1", "FRA", "155", 50_000, dt.date(2023, 7, 1), EU_JP, ((4, 25_000, False),
                                                                                  (8, 25_000, False))),
    OrderSpec("DEMO-CZE-EU-1", "CZE", "155", 30_000, dt.date(2023, 8, 1), EU_JP, ((5, 30_000, False),)),
    OrderSpec("DEMO-GBR-NAT-1", "GBR", "155", 40_000, dt.date(2024, 1, 10), None, ((2, 10_000, False),
                                                                                   (5, 15_000, False),
                                                                                   (9, 15_000, False))),
    OrderSpec("DEMO-NLD-EU-1", "NLD", "155", 10_000, dt.date(2023, 10, 1), EU_JP, (), "cancelled"),
]

# --- Stock report history: monthly from January 2022 to this month (illustrative) -----------------
# (nation, item): (stock in January 2022, low point in September 2023, stock this month). Months in
# between are interpolated linearly, so charts have a drawdown and a partial recovery.
SERIES_START = dt.date(2022, 1, 1)
LOW_POINT = dt.date(2023, 9, 1)
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
FUTURE = "future"  # replaced by 30 June of next year, so the pledge is not overdue


@dataclass(frozen=True)
class DeliverySpec:
    quantity: int
    status: str
    shipped_on: dt.date | None = None
    delivered_on: dt.date | None = None


@dataclass(frozen=True)
class PledgeSpec:
    key: str
    donor: str
    item: str
    quantity: int
    announced_on: dt.date
    due_on: dt.date | str | None
    source: str
    status: str
    releasability: str = "alliance"
    deliveries: tuple[DeliverySpec, ...] = ()
    notes: str = ILLUSTRATIVE + "."


S, C, A, X = Pledge.Status.ANNOUNCED, Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.CANCELLED
STOCK, NEW, PROC = Pledge.Source.NATIONAL_STOCK, Pledge.Source.NEW_PRODUCTION, Pledge.Source.PROCUREMENT
D = Delivery.Status
d = dt.date
EU_1M = ("Source fact: the EU promised one million rounds by 2024. The split into two tracks and the "
         "deliveries are illustrative demo data.")

PLEDGES: list[PledgeSpec] = [
    # United States, 155 mm from stock: owed = (200,000 - 180,000 shipped) + (100,000 - 30,000) = 90,000.
    PledgeSpec("DEMO-USA-155-1", "USA", "155", 200_000, d(2022, 4, 21), d(2023, 6, 30), STOCK, A, "public", (
        DeliverySpec(120_000, D.CONFIRMED, d(2022, 5, 2), d(2022, 6, 15)),
        DeliverySpec(40_000, D.DELIVERED, d(2022, 9, 1), d(2022, 10, 10)),
        DeliverySpec(20_000, D.IN_TRANSIT, d(2026, 10, 1)),
        DeliverySpec(20_000, D.SCHEDULED),
    )),
    PledgeSpec("DEMO-USA-155-2", "USA", "155", 100_000, d(2024, 5, 10), d(2025, 6, 30), STOCK, C, "alliance", (
        DeliverySpec(30_000, D.CONFIRMED, d(2024, 8, 1), d(2024, 9, 5)),
        DeliverySpec(10_000, D.CANCELLED),
    )),
    PledgeSpec("DEMO-USA-155-3", "USA", "155", 150_000, d(2025, 9, 15), FUTURE, NEW, S, "public"),
    PledgeSpec("DEMO-USA-155-4", "USA", "155", 25_000, d(2023, 2, 1), d(2023, 12, 31), STOCK, X, "alliance", (
        DeliverySpec(25_000, D.CANCELLED),
    )),
    PledgeSpec("DEMO-USA-PAC3-1", "USA", "pac3", 60, d(2024, 7, 9), d(2025, 3, 31), STOCK, A, "restricted", (
        DeliverySpec(40, D.DELIVERED, d(2024, 9, 1), d(2024, 10, 1)),
    )),
    PledgeSpec("DEMO-USA-IFV-1", "USA", "ifv", 300, d(2023, 1, 6), d(2023, 6, 30), STOCK, A, "public", (
        DeliverySpec(300, D.CONFIRMED, d(2023, 1, 20), d(2023, 3, 15)),
    )),
    PledgeSpec("DEMO-USA-105-1", "USA", "105", 80_000, d(2022, 6, 1), d(2023, 3, 31), STOCK, A, "public", (
        DeliverySpec(80_000, D.CONFIRMED, d(2022, 6, 20), d(2022, 8, 1)),
    )),
    # The EU's one-million-round promise (source fact), as two procurement tracks.
    PledgeSpec("DEMO-EU-1M-T1", "EU", "155", 500_000, d(2023, 3, 20), d(2024, 12, 31), PROC, A, "public", (
        DeliverySpec(300_000, D.CONFIRMED, d(2023, 5, 1), d(2023, 11, 30)),
        DeliverySpec(150_000, D.DELIVERED, d(2024, 1, 15), d(2024, 6, 30)),
        DeliverySpec(20_000, D.IN_TRANSIT, d(2026, 10, 15)),
    ), EU_1M),
    PledgeSpec("DEMO-EU-1M-T2", "EU", "155", 500_000, d(2023, 3, 20), d(2024, 12, 31), PROC, C, "public", (
        DeliverySpec(180_000, D.CONFIRMED, d(2024, 3, 1), d(2024, 9, 30)),
        DeliverySpec(90_000, D.DELIVERED, d(2025, 2, 1), d(2025, 5, 31)),
        DeliverySpec(60_000, D.SCHEDULED),
    ), EU_1M),
    # Other allies (illustrative).
    PledgeSpec("DEMO-DEU-155-1", "DEU", "155", 120_000, d(2023, 6, 1), d(2024, 6, 30), STOCK, A, "alliance", (
        DeliverySpec(80_000, D.CONFIRMED, d(2023, 7, 1), d(2023, 9, 1)),
        DeliverySpec(20_000, D.DELIVERED, d(2024, 2, 1), d(2024, 3, 15)),
    )),
    PledgeSpec("DEMO-DEU-IRIS-1", "DEU", "iris", 40, d(2024, 9, 10), FUTURE, STOCK, C, "restricted", (
        DeliverySpec(20, D.DELIVERED, d(2025, 1, 10), d(2025, 2, 1)),
    )),
    PledgeSpec("DEMO-DEU-MBT-1", "DEU", "mbt", 18, d(2023, 1, 25), d(2023, 4, 30), STOCK, A, "public", (
        DeliverySpec(18, D.CONFIRMED, d(2023, 3, 1), d(2023, 3, 27)),
    )),
    PledgeSpec("DEMO-DEU-PAC3-1", "DEU", "pac3", 30, d(2024, 4, 13), d(2024, 12, 31), STOCK, A, "restricted", (
        DeliverySpec(30, D.CONFIRMED, d(2024, 6, 1), d(2024, 7, 1)),
    )),
    PledgeSpec("DEMO-FRA-155-1", "FRA", "155", 50_000, d(2024, 1, 18), FUTURE, STOCK, C, "alliance", (
        DeliverySpec(10_000, D.IN_TRANSIT, d(2026, 9, 1)),
    )),
    PledgeSpec("DEMO-GBR-155-1", "GBR", "155", 60_000, d(2022, 11, 1), d(2023, 6, 30), STOCK, A, "public", (
        DeliverySpec(60_000, D.CONFIRMED, d(2022, 12, 1), d(2023, 2, 1)),
    )),
    PledgeSpec("DEMO-GBR-105-1", "GBR", "105", 20_000, d(2024, 2, 1), d(2024, 12, 31), STOCK, A, "alliance", (
        DeliverySpec(5_000, D.DELIVERED, d(2024, 4, 1), d(2024, 5, 1)),
    )),
    PledgeSpec("DEMO-GBR-PLACE-1", "GBR", "place", 10_000, d(2023, 1, 10), FUTURE, PROC, A, "public", (
        DeliverySpec(8_000, D.DELIVERED, d(2023, 2, 1), d(2024, 12, 31)),
    )),
    PledgeSpec("DEMO-POL-155-1", "POL", "155", 40_000, d(2025, 11, 5), FUTURE, STOCK, S, "alliance"),
    PledgeSpec("DEMO-POL-MBT-1", "POL", "mbt", 14, d(2023, 2, 1), d(2023, 3, 31), STOCK, A, "public", (
        DeliverySpec(14, D.CONFIRMED, d(2023, 2, 20), d(2023, 2, 24)),
    )),
    PledgeSpec("DEMO-NLD-155-1", "NLD", "155", 25_000, d(2024, 3, 1), d(2024, 9, 30), STOCK, A, "alliance", (
        DeliverySpec(15_000, D.DELIVERED, d(2024, 5, 1), d(2024, 6, 1)),
    )),
    PledgeSpec("DEMO-DNK-155-1", "DNK", "155", 8_000, d(2023, 1, 19), d(2023, 6, 30), STOCK, A, "public", (
        DeliverySpec(8_000, D.CONFIRMED, d(2023, 2, 1), d(2023, 3, 1)),
    )),
    PledgeSpec("DEMO-CZE-155-1", "CZE", "155", 300_000, d(2024, 2, 17), d(2025, 3, 31), PROC, C, "alliance", (
        DeliverySpec(150_000, D.DELIVERED, d(2024, 6, 1), d(2024, 10, 1)),
        DeliverySpec(50_000, D.IN_TRANSIT, d(2026, 11, 1)),
    )),
    PledgeSpec("DEMO-ESP-MBT-1", "ESP", "mbt", 10, d(2025, 5, 20), FUTURE, STOCK, S, "public"),
    PledgeSpec("DEMO-SWE-IFV-1", "SWE", "ifv", 50, d(2023, 1, 19), d(2023, 12, 31), STOCK, A, "public", (
        DeliverySpec(50, D.CONFIRMED, d(2023, 3, 1), d(2023, 4, 15)),
    )),
    PledgeSpec("DEMO-NOR-AMRAAM-1", "NOR", "amraam", 40, d(2024, 6, 1), d(2025, 6, 30), STOCK, X, "restricted"),
    PledgeSpec("DEMO-ITA-SPH-1", "ITA", "sph", 6, d(2023, 5, 1), d(2024, 3, 31), STOCK, A, "alliance", (
        DeliverySpec(6, D.CONFIRMED, d(2023, 8, 1), d(2023, 9, 1)),
    )),
]

# --- Training commitments (illustrative numbers) ---------------------------------------------------
TC = TrainingCommitment.Status
TRAINING: list[tuple[str, str, int, int, dt.date, dt.date | str | None, str]] = [
    ("USA", "F-16 pilot", 12, 12, d(2023, 10, 1), d(2024, 6, 30), TC.COMPLETED),
    ("DNK", "F-16 pilot", 20, 14, d(2023, 8, 1), FUTURE, TC.IN_PROGRESS),
    ("NLD", "F-16 pilot", 18, 10, d(2023, 9, 1), FUTURE, TC.IN_PROGRESS),
    ("NOR", "F-16 pilot", 6, 0, d(2026, 1, 15), FUTURE, TC.PLANNED),
    ("DEU", "Leopard 2 crew", 300, 300, d(2023, 2, 1), d(2023, 6, 30), TC.COMPLETED),
    ("POL", "Leopard 2 crew", 120, 120, d(2023, 2, 10), d(2023, 5, 31), TC.COMPLETED),
    ("PRT", "Leopard 2 crew", 40, 40, d(2023, 3, 1), d(2023, 6, 30), TC.COMPLETED),
    ("DEU", "Patriot operator", 90, 90, d(2023, 1, 15), d(2023, 4, 15), TC.COMPLETED),
    ("USA", "Patriot operator", 65, 65, d(2023, 1, 16), d(2023, 3, 31), TC.COMPLETED),
    ("GBR", "Basic infantry (collective training)", 30_000, 28_000, d(2022, 6, 1), FUTURE, TC.IN_PROGRESS),
    ("FRA", "CAESAR gun crew", 150, 150, d(2022, 5, 1), d(2022, 7, 31), TC.COMPLETED),
    ("SWE", "CV90 crew", 200, 160, d(2023, 3, 1), FUTURE, TC.IN_PROGRESS),
    ("ESP", "HAWK operator", 40, 0, d(2024, 1, 15), d(2024, 6, 30), TC.CANCELLED),
    ("EU", "Basic and specialised training (EU mission)", 60_000, 45_000, d(2022, 11, 15), FUTURE, TC.IN_PROGRESS),
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


def series_value(profile: tuple[int, int, int], month: dt.date, months: list[dt.date]) -> int:
    """Linear from the January 2022 value to the low point, then to this month's value."""
    start, low, end = profile
    if month <= LOW_POINT:
        span = months.index(LOW_POINT) if LOW_POINT in months else 1
        pos = months.index(month)
        return round(start + (low - start) * pos / max(span, 1))
    first = months.index(LOW_POINT)
    span = len(months) - 1 - first
    pos = months.index(month) - first
    return round(low + (end - low) * pos / max(span, 1))


def _ensure(model, lookup: dict, defaults: dict, result: DemoResult, label: str, reason: str = ILLUSTRATIVE):
    """Create a reference-data row when missing (validated, with a history change reason). A row that exists
    without the French name the demo gives it gets that name (a database loaded before French names), and
    nothing else changes."""
    obj = model.objects.filter(**lookup).first()
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
    """Build (or complete) the demo scenario. Idempotent; one transaction."""
    today = today or timezone.localdate()
    future = dt.date(today.year + 1, 6, 30)
    result = DemoResult()
    # The scenario's alerts and deliveries are its starting state, not news: no email or webhook for them.
    with notification_receivers.muted(), transaction.atomic():
        nations = _load_nations(result, log)
        items = _load_catalogue(result, log)
        _load_guidelines_and_rates(nations, items, result, log)
        _load_stock_reports(nations, items, today, result, log)
        _load_pledges(nations, items, future, result, log)
        _load_training(nations, future, result, log)
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


def _load_guidelines_and_rates(nations, items, result: DemoResult, log) -> None:
    log("Stockpile guidelines and production rates")
    for item_key, code, minimum, start, end in GUIDELINES:
        guideline, created = _ensure(
            StockpileGuideline,
            {"item": items[item_key], "nation": nations[code] if code else None, "effective_from": start},
            {"minimum_quantity": minimum, "effective_to": end}, result, "guidelines",
            ILLUSTRATIVE + "; allies are revising stockpile guidelines (source fact)",
        )
        if created:
            guideline_saved(guideline=guideline)
    for code, item_key, units, start, reference in RATES:
        rate, created = _ensure(
            ProductionRate, {"nation": nations[code], "item": items[item_key], "effective_from": start},
            {"units_per_month": units, "reference": reference}, result, "production rates", reference,
        )
        if created:
            production_rate_saved(rate=rate)


def _load_stock_reports(nations, items, today: dt.date, result: DemoResult, log) -> None:
    months = month_starts(SERIES_START, today)
    existing = set(
        StockReport.objects.filter(as_of__gte=SERIES_START).values_list("nation__code", "item_id", "as_of")
    )
    by_nation: dict[str, list[dict]] = {}
    for (code, item_key), profile in STOCKS.items():
        item = items[item_key]
        for month in months:
            if (code, item.pk, month) not in existing:
                by_nation.setdefault(code, []).append(
                    {"item": item, "quantity": series_value(profile, month, months), "as_of": month}
                )
    log(f"Stock reports: {len(STOCKS)} series × {len(months)} months")
    for code, rows in sorted(by_nation.items()):
        stock_reports_bulk_create(actor=CELL, nation=nations[code], rows=rows)
        result.add("stock reports", len(rows))


def _load_pledges(nations, items, future: dt.date, result: DemoResult, log) -> None:
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
            value_eur=Decimal(spec.quantity) * item.unit_value_eur, announced_on=spec.announced_on,
            due_on=future if spec.due_on == FUTURE else spec.due_on, source=spec.source, status=spec.status,
            releasability=spec.releasability, reference=reference, notes=spec.notes,
        )
        result.add("pledges")
        for n, dspec in enumerate(spec.deliveries, 1):
            rows.append({
                "pledge_id": pledge.pk, "quantity": dspec.quantity, "status": dspec.status,
                "shipped_on": dspec.shipped_on, "delivered_on": dspec.delivered_on,
                "reference": f"{spec.key}/D{n} ({ILLUSTRATIVE})",
            })
    if rows:
        deliveries_bulk_create(actor=CELL, rows=rows)
        result.add("deliveries", len(rows))


def _load_training(nations, future: dt.date, result: DemoResult, log) -> None:
    log(f"Training commitments: {len(TRAINING)}")
    existing = set(TrainingCommitment.objects.values_list("donor__code", "programme"))
    for code, programme, committed, completed, start, end, status in TRAINING:
        if (code, programme) in existing:
            continue
        training_commitment_save(actor=CELL, commitment=TrainingCommitment(
            donor=nations[code], recipient=nations["UKR"], programme=programme, trainees_committed=committed,
            trainees_completed=completed, start_on=start, end_on=future if end == FUTURE else end, status=status,
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
    """Manufacturers, production lines with their capacity series, the two agreements, orders with schedules."""
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
                unit_price_eur=Decimal(price), valid_from=start, valid_to=end, reference=reference,
                notes=reference,
            )
            result.add("framework agreements")
        agreements[name] = agreement
        joined = set(AgreementParticipant.objects.filter(agreement=agreement).values_list("nation__code", flat=True))
        for code, planned, on in participants:
            if code not in joined:
                ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=nations[code],
                                    planned_quantity=planned, joined_on=on)
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
            ordered_on=spec.ordered_on, agreement=agreements[spec.agreement] if spec.agreement else None,
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
