"""Import the Kiel Institute's Ukraine Support Tracker public extract (see data/ukraine-support-tracker/).

- ``weapons.csv``: one Item per named system (parsed from ``weapons_list``) in a Category per tracker
  category, and one public Pledge per donor, category and system with its count; the row's EUR value
  is split across its systems in proportion to the counts (cents rounded down, the remainder on the
  last system, so every row total is preserved exactly).
- ``data_explorer.csv``: one AidFlow per donor and month; the CSV is in billions of EUR and is
  converted exactly (``Decimal(text) * 10**9``), never through floats.

Both files are read and validated completely before anything is written; any bad row stops the import
with the file name and line number, and the writes happen in one transaction. Re-running updates what
changed and never duplicates: pledges are keyed by their ``reference``, aid flows by (nation, month).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from coordination.access import CELL
from coordination.models import Category, Item, Nation, nation_code_validator
from coordination.services import require_cell, validate_instance
from loaders import demo
from pledges.models import AidFlow, Pledge
from pledges.selectors import TRACKER_WEAPONS_PREFIX
from pledges.services import pledge_create, pledge_update

WEAPONS = "weapons.csv"
DATA_EXPLORER = "data_explorer.csv"
SOURCE = "Kiel Institute, Ukraine Support Tracker (public data extract)"
SOURCE_NOTES = "SOURCE.md"  # the extract's description; names its release ("Release 29, data through April 2026")
RELEASE_RE = re.compile(r"Release\s+\d+[^;)\n]*")
TRACKER_START = dt.date(2022, 1, 24)  # the tracker counts aid from this date; weapons.csv has no dates
CENT = Decimal("0.01")
BILLION = Decimal(10) ** 9
MAX_FLOW_EUR = Decimal(10) ** 18  # AidFlow amounts: 20 digits, 2 after the point
MAX_PLEDGE_EUR = Decimal(10) ** 16  # Pledge.value_eur: 18 digits, 2 after the point
MAX_COUNT = 10**12

WEAPONS_COLUMNS = ("donor", "category", "number_of_weapons", "monetary_value_eur", "weapons_list")
EXPLORER_COLUMNS = ("country", "iso", "year", "month", "total", "financial", "humanitarian", "military",
                    "commitments", "to_be_allocated")
# CSV column -> AidFlow field
AMOUNTS = {
    "total": "allocated_eur",
    "military": "military_eur",
    "financial": "financial_eur",
    "humanitarian": "humanitarian_eur",
    "commitments": "committed_eur",
    "to_be_allocated": "to_be_allocated_eur",
}
VEHICLE_CATEGORIES = {"tanks", "ifv", "apc"}
SYSTEM_RE = re.compile(r"(?P<name>.+) \((?P<count>\d+)\)", re.DOTALL)


class TrackerFileError(Exception):
    """A file that cannot be imported: every message names the file and the line."""

    def __init__(self, filename: str, errors: list[tuple[int, str]]):
        self.filename = filename
        self.errors = errors
        shown = "\n".join(f"  {filename}, line {line}: {message}" for line, message in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{filename}: {len(errors)} error(s); nothing was imported.\n{shown}{more}")


@dataclass(frozen=True)
class WeaponRow:
    line: int
    donor: str
    category: str
    number: int
    value_eur: Decimal
    systems: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class FlowRow:
    line: int
    country: str
    iso: str
    month: dt.date
    amounts: dict[str, Decimal]


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)
    totals: dict[str, Decimal | int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


# --- Parsing (pure: text in, rows or errors out) -------------------------------------------------

def parse_weapons_list(text: str) -> list[tuple[str, int]]:
    """``"A (3); B (C) (1)"`` -> ``[("A", 3), ("B (C)", 1)]``; the count is the last parenthesis."""
    systems = []
    for part in text.split("; "):
        match = SYSTEM_RE.fullmatch(part.strip())
        if not match:
            raise ValueError(f"cannot read {part.strip()!r} in weapons_list (expected 'Name (count)')")
        systems.append((" ".join(match["name"].split()), int(match["count"])))  # whitespace normalised
    return systems


def split_value(total: Decimal, counts: list[int]) -> list[Decimal]:
    """Split ``total`` EUR across counts proportionally, in cents; the remainder goes to the last share.

    Shares before the last are rounded down, so the last one is never negative and the shares always
    add up to ``total`` exactly.
    """
    whole = sum(counts)
    if not counts:
        return []
    if whole == 0:
        return [Decimal("0.00")] * (len(counts) - 1) + [total]
    shares = [(total * count / whole).quantize(CENT, rounding=ROUND_DOWN) for count in counts[:-1]]
    return shares + [total - sum(shares, Decimal("0"))]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; the header is line 1. Raises TrackerFileError on a format problem."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrackerFileError(name, [(1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise TrackerFileError(name, [(0, f"cannot read the file: {exc.strerror}")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise TrackerFileError(name, [(1, "empty file: no header row")])
        header = [h.strip() for h in header]
        yield 1, {"__header__": header}  # type: ignore[misc]
        start = reader.line_num
        for fields in reader:
            line = start + 1
            start = reader.line_num
            if not fields or not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                yield line, {"__error__": f"{len(fields)} fields where the header has {len(header)}"}
                continue
            yield line, dict(zip(header, fields, strict=True))
    except csv.Error as exc:
        raise TrackerFileError(name, [(reader.line_num, f"not a readable CSV row: {exc}")]) from None


def _read(path: Path, required: tuple[str, ...], parse_row: Callable[[int, dict[str, str]], object]) -> list:
    errors: list[tuple[int, str]] = []
    parsed = []
    for line, row in _rows(path):
        if "__header__" in row:
            missing = [c for c in required if c not in row["__header__"]]
            if missing:
                raise TrackerFileError(path.name, [(1, f"missing column(s): {', '.join(missing)} "
                                                       f"(unknown format; expected {', '.join(required)})")])
            continue
        if "__error__" in row:
            errors.append((line, row["__error__"]))
            continue
        try:
            parsed.append(parse_row(line, row))
        except ValueError as exc:
            errors.append((line, str(exc)))
    if errors:
        raise TrackerFileError(path.name, errors)
    return parsed


def _decimal(value: str, column: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{column} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{column} is not a finite number: {value!r}")
    return number


def _integer(value: str, column: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{column} is not a whole number: {value!r}")
    return int(text)


def _text(value: str, column: str) -> str:
    if not value.strip():
        raise ValueError(f"{column} is empty")
    return value.strip()


def _weapon_row(line: int, row: dict[str, str]) -> WeaponRow:
    number = _integer(row["number_of_weapons"], "number_of_weapons")
    value = _decimal(row["monetary_value_eur"], "monetary_value_eur")
    if number < 0 or value < 0:
        raise ValueError("number_of_weapons and monetary_value_eur cannot be negative")
    if number > MAX_COUNT or value >= MAX_PLEDGE_EUR:
        raise ValueError("number_of_weapons or monetary_value_eur is implausibly large")
    systems = parse_weapons_list(_text(row["weapons_list"], "weapons_list"))
    if sum(c for _, c in systems) != number:
        raise ValueError(f"the counts in weapons_list add up to {sum(c for _, c in systems)}, "
                         f"not number_of_weapons {number}")
    merged: dict[str, int] = {}
    for name, count in systems:  # the same system named twice in a row is one pledge
        merged[name] = merged.get(name, 0) + count
    return WeaponRow(line, _text(row["donor"], "donor"), _text(row["category"], "category"), number,
                     value.quantize(CENT), tuple(merged.items()))


def _flow_row(line: int, row: dict[str, str]) -> FlowRow:
    iso = _text(row["iso"], "iso")
    try:
        nation_code_validator(iso)
    except Exception:
        raise ValueError(f"iso {iso!r} is not an ISO 3166-1 alpha-3 code (or EU)") from None
    year = _integer(row["year"], "year")
    month = _integer(row["month"], "month")
    if not (1990 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError(f"no such month: year {year}, month {month}")
    amounts = {}
    for column, attr in AMOUNTS.items():
        amounts[attr] = (_decimal(row[column], column) * BILLION).quantize(CENT)
        if abs(amounts[attr]) >= MAX_FLOW_EUR:
            raise ValueError(f"{column} is implausibly large: {row[column]!r} billion EUR")
    return FlowRow(line, _text(row["country"], "country"), iso, dt.date(year, month, 1), amounts)


def read_weapons(path: Path) -> list[WeaponRow]:
    rows = _read(path, WEAPONS_COLUMNS, _weapon_row)
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for r in rows:
        key = (r.donor, r.category)
        if key in seen:
            errors.append((r.line, f"duplicate row for {r.donor} / {r.category} (first on line {seen[key]})"))
        seen.setdefault(key, r.line)
    if errors:
        raise TrackerFileError(path.name, errors)
    return rows


def read_data_explorer(path: Path) -> list[FlowRow]:
    rows = _read(path, EXPLORER_COLUMNS, _flow_row)
    seen: dict[tuple[str, dt.date], int] = {}
    errors = []
    for r in rows:
        key = (r.iso, r.month)
        if key in seen:
            errors.append((r.line, f"duplicate row for {r.iso} {r.month:%Y-%m} (first on line {seen[key]})"))
        seen.setdefault(key, r.line)
    if errors:
        raise TrackerFileError(path.name, errors)
    return rows


def source_of(directory: Path) -> str:
    """The source named on every imported row: the tracker and, when the extract's SOURCE.md names it, its
    release (e.g. "…, Release 29, data through April 2026")."""
    try:
        match = RELEASE_RE.search((directory / SOURCE_NOTES).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        match = None
    return f"{SOURCE}, {' '.join(match.group(0).split()).rstrip(' ,.')}" if match else SOURCE


# --- Writing ------------------------------------------------------------------------------------

def _known_codes() -> dict[str, str]:
    """Donor name -> code for donors named in weapons.csv when data_explorer.csv is not there."""

    names = {name: code for code, name, _ in demo.ALLIES}
    names.update({"Czech Republic": "CZE", "Turkiye": "TUR", "Australia": "AUS",
                  "EU (Commission and Council)": "EU"})
    return names


def _nations(codes: dict[str, str], result: ImportSummary) -> dict[str, Nation]:
    """Nations by code, creating the missing ones (allies with their accession date; others partners)."""

    allies = {code: joined for code, _, joined in demo.ALLIES}
    existing = {n.code: n for n in Nation.objects.filter(code__in=set(codes.values()) | {"UKR"})}
    taken = set(Nation.objects.values_list("name", flat=True))
    wanted = dict(codes)
    wanted.setdefault("Ukraine", "UKR")
    for name, code in sorted(wanted.items(), key=lambda kv: kv[1]):
        if code in existing:
            continue
        role = (Nation.Role.RECIPIENT if code == "UKR" else
                Nation.Role.ALLY if code in allies else Nation.Role.PARTNER)
        nation = Nation(code=code, name=name if name not in taken else f"{name} ({code})", role=role,
                        name_fr=demo.NATIONS_FR.get(code, ""), joined_on=allies.get(code))
        validate_instance(nation)
        nation._change_reason = SOURCE
        nation.save()
        taken.add(nation.name)
        existing[code] = nation
        result.add("nations created")
    return existing


def _import_weapons(rows: list[WeaponRow], codes: dict[str, str], nations: dict[str, Nation],
                    result: ImportSummary, log) -> None:

    categories: dict[str, Category] = {}
    items: dict[str, Item] = {}
    existing_items = {i.name: i for i in Item.objects.filter(name__in={s for r in rows for s, _ in r.systems})}
    for r in rows:
        try:
            _catalogue_for_row(r, categories, items, existing_items, result)
        except ValidationError as exc:
            raise TrackerFileError(WEAPONS, [(r.line, "; ".join(exc.messages))]) from None

    pledges = {p.reference: p for p in Pledge.objects.filter(reference__startswith=TRACKER_WEAPONS_PREFIX)}
    ukraine = nations["UKR"]
    for n, r in enumerate(rows, 1):
        donor = nations[codes[r.donor]]
        values = split_value(r.value_eur, [count for _, count in r.systems])
        for (name, count), value in zip(r.systems, values, strict=True):
            reference = f"{TRACKER_WEAPONS_PREFIX}{r.donor} / {r.category} / {name}"  # pledges.selectors reads it
            try:
                result.add(_upsert_pledge(pledges.get(reference), reference=reference, row=r, donor=donor,
                                          recipient=ukraine, item=items[name], count=count, value=value))
            except ValidationError as exc:
                raise TrackerFileError(WEAPONS, [(r.line, f"{name}: {'; '.join(exc.messages)}")]) from None
        if n % 20 == 0 or n == len(rows):
            log(f"{WEAPONS}: {n}/{len(rows)} rows")
    result.totals["heavy weapons"] = sum(r.number for r in rows)
    result.totals["heavy weapons EUR"] = sum((r.value_eur for r in rows), Decimal("0"))


def _catalogue_for_row(r: WeaponRow, categories: dict[str, Category], items: dict[str, Item],
                       existing_items: dict[str, Item], result: ImportSummary) -> None:
    """The row's category and one item per system, created when missing."""
    if r.category not in categories:
        category = Category.objects.filter(name=r.category).first()
        if category is None:
            category = Category(name=r.category)
            validate_instance(category)
            category._change_reason = SOURCE
            category.save()
            result.add("categories created")
        categories[r.category] = category
    for name, _ in r.systems:
        if name in items:
            continue
        item = existing_items.get(name)
        if item is None:
            unit = Item.Unit.VEHICLES if r.category.lower() in VEHICLE_CATEGORIES else Item.Unit.SYSTEMS
            item = Item(category=categories[r.category], name=name, unit=unit)
            validate_instance(item)
            item._change_reason = SOURCE
            item.save()
            result.add("items created")
        items[name] = item


def _upsert_pledge(pledge, *, reference: str, row: WeaponRow, donor: Nation, recipient: Nation, item: Item,
                   count: int, value: Decimal) -> str:
    """Create the pledge for one system of a row, or update it when the tracker changed; returns what it did."""

    if pledge is None:
        pledge_create(
            actor=CELL, reason=SOURCE, donor=donor, recipient=recipient, item=item, quantity=count, value_eur=value,
            announced_on=TRACKER_START, due_on=None, source=Pledge.Source.NATIONAL_STOCK,
            status=Pledge.Status.COMMITTED, releasability="public", reference=reference,
            notes=(f"{SOURCE}, heavy weapons ({row.category}). The extract gives no dates: 'announced on' is "
                   f"the tracker's start date. EUR value: the row's {row.value_eur} split by count."),
        )
        return "pledges created"
    if (pledge.quantity, pledge.value_eur, pledge.donor_id, pledge.item_id) != (count, value, donor.pk, item.pk):
        pledge_update(actor=CELL, pledge_id=pledge.pk, reason=SOURCE, quantity=count, value_eur=value, donor=donor,
                      item=item)
        return "pledges updated"
    return "pledges unchanged"


def _import_flows(rows: list[FlowRow], nations: dict[str, Nation], result: ImportSummary, log,
                  source: str = SOURCE) -> None:
    existing = {(f.nation_id, f.month): f for f in AidFlow.objects.filter(nation__in=nations.values())}
    new, changed = [], []
    for r in rows:
        nation = nations[r.iso]
        flow = existing.get((nation.pk, r.month))
        if flow is None:
            new.append(AidFlow(nation=nation, month=r.month, source=source, **r.amounts))
        elif flow.source != source or any(getattr(flow, attr) != value for attr, value in r.amounts.items()):
            for attr, value in r.amounts.items():
                setattr(flow, attr, value)
            flow.source = source
            changed.append(flow)
        else:
            result.add("aid flows unchanged")
    bulk_create_with_history(new, AidFlow, batch_size=500, default_change_reason=SOURCE)
    bulk_update_with_history(changed, AidFlow, [*AMOUNTS.values(), "source"], batch_size=500,
                             default_change_reason=SOURCE)
    result.add("aid flows created", len(new))
    result.add("aid flows updated", len(changed))
    log(f"{DATA_EXPLORER}: {len(rows)} donor-months")
    result.totals["allocated EUR"] = sum((r.amounts["allocated_eur"] for r in rows), Decimal("0"))
    result.totals["committed EUR"] = sum((r.amounts["committed_eur"] for r in rows), Decimal("0"))


def ust_import(*, directory: Path | str, actor=CELL, log: Callable[[str], None] = lambda s: None) -> ImportSummary:
    """Import what the directory holds (weapons.csv and/or data_explorer.csv). All or nothing."""
    require_cell(actor, what="tracker imports")
    directory = Path(directory)
    if not directory.is_dir():
        raise TrackerFileError(str(directory), [(0, "not a directory")])
    weapons_path, explorer_path = directory / WEAPONS, directory / DATA_EXPLORER
    if not weapons_path.exists() and not explorer_path.exists():
        raise TrackerFileError(str(directory), [(0, f"neither {WEAPONS} nor {DATA_EXPLORER} is there")])

    # 1. Read and validate everything before writing anything.
    flows = read_data_explorer(explorer_path) if explorer_path.exists() else []
    log(f"{DATA_EXPLORER}: {len(flows)} rows read" if flows else f"{DATA_EXPLORER}: not present, skipped")
    weapons = read_weapons(weapons_path) if weapons_path.exists() else []
    log(f"{WEAPONS}: {len(weapons)} rows read" if weapons else f"{WEAPONS}: not present, skipped")

    codes = _known_codes()
    codes.update({r.country: r.iso for r in flows})
    unknown = [(r.line, f"donor {r.donor!r} has no ISO code (not in {DATA_EXPLORER})")
               for r in weapons if r.donor not in codes]
    if unknown:
        raise TrackerFileError(WEAPONS, unknown)
    needed = {r.country: r.iso for r in flows}
    needed.update({r.donor: codes[r.donor] for r in weapons})

    # 2. Write in one transaction.
    result = ImportSummary()
    with transaction.atomic():
        nations = _nations(needed, result)
        if flows:
            _import_flows(flows, nations, result, log, source=source_of(directory))
        if weapons:
            _import_weapons(weapons, codes, nations, result, log)
    return result
