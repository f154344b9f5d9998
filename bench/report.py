"""The benchmark's table: one line per figure, with its same-run baseline, the ratio and the target."""

from __future__ import annotations


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text}{unit}"


def _met(value) -> str:
    return {True: "yes", False: "NO", None: "-"}.get(value, str(value))


def _timed_urls(figures: dict | None, label: str, target: str) -> list[tuple[str, str, str, str, str, str]]:
    """Rows for a step timed with ``measure.time_urls`` (its /healthz floor is the baseline)."""
    if not figures:
        return []
    floor = figures.get("floor (/healthz)", {})
    return [(
        label.format(name=name, url=page["url"]),
        f"p50 {_fmt(page['p50_ms'], ' ms')} p95 {_fmt(page['p95_ms'], ' ms')}, {page['queries']} queries"
        + ("" if page["status"] == 200 else f", HTTP {page['status']}"),
        f"/healthz p50 {_fmt(floor.get('p50_ms'), ' ms')}", _fmt(page.get("ratio_to_floor"), "x"),
        target, _met(page.get("met")),
    ) for name, page in figures.items() if not name.startswith("floor")]


def rows(results: dict) -> list[tuple[str, str, str, str, str, str]]:
    out: list[tuple[str, str, str, str, str, str]] = []
    full = results.get("full_recompute")
    if full:
        out.append((
            f"1 Full recompute, {full['pairs']:,} pairs", f"engine {_fmt(full['engine_ms'], ' ms')}",
            f"one SQL statement {_fmt(full['sql_ms'], ' ms')}", _fmt(full["ratio"], "x"), "<= 1.5x",
            _met(full["met"]) + ("" if full["identical"] else " (ROWS DIFFER)"),
        ))
        out.append((
            "1 ... engine core only (compute + store)", f"engine {_fmt(full.get('engine_core_ms'), ' ms')}",
            f"one SQL statement {_fmt(full['sql_ms'], ' ms')}", _fmt(full.get("core_ratio"), "x"), "", "",
        ))
        if full.get("prototype_copy_store_ms") is not None:
            out.append((
                "1 ... engine compute + COPY store (prototype)",
                f"engine {_fmt(full['prototype_copy_store_ms'], ' ms')}",
                f"one SQL statement {_fmt(full['sql_ms'], ' ms')}", _fmt(full.get("prototype_ratio"), "x"), "", "",
            ))
    one, ten = results.get("incremental_1x"), results.get("incremental_10x")
    for label, inc in (("1x", one), ("10x", ten)):
        if inc:
            out.append((
                f"2 Incremental, one pair, {label} ({inc['stock_reports']:,} reports)",
                f"drain p50 {_fmt(inc['drain_p50_ms'], ' ms')} p95 {_fmt(inc['drain_p95_ms'], ' ms')}",
                f"write p50 {_fmt(inc['write_p50_ms'], ' ms')}", "", "< 20 ms",
                _met(inc["drain_p95_ms"] is not None and inc["drain_p95_ms"] < 20 and not inc["wrong_results"]),
            ))
    flat = results.get("incremental_ratio_10x_1x")
    if flat:
        out.append(("2 Incremental, 10x / 1x", "", "1x is the baseline", _fmt(flat["ratio"], "x"), "<= 1.2x",
                    _met(flat["met"])))
        if flat.get("normalised_by_write") is not None:
            out.append(("2 ... same, drain / write at each size", "", "1x is the baseline",
                        _fmt(flat["normalised_by_write"], "x"), "<= 1.2x", ""))
    out += _timed_urls(results.get("dashboard"), "3 Dashboard {name} ({url})", "<= 10 q, p95 <= 100 ms")
    out += _timed_urls(results.get("sourcing"), "3 Sourcing {name}, one item ({url})", "p95 <= 300 ms")
    hist = results.get("history")
    if hist:
        rebuild = hist["rebuild"]
        out.append((
            f"3 History rebuild, last {rebuild['days']} days", f"{_fmt(rebuild['seconds'], ' s')}",
            f"{rebuild['versions']:,} versions stored", "", "", "",
        ))
        out += _timed_urls(hist.get("as_of_pages"), "3 Dashboard {name} ({url})", "<= 10 q, p95 <= 300 ms")
        snap = hist.get("snapshot") or {}
        if snap:
            out.append((f"3 Snapshot taken, {snap['rows']:,} rows", f"{_fmt(snap['create_ms'], ' ms')}", "", "",
                        "", ""))
            out += _timed_urls(snap.get("timed"), "3 {name} ({url})", "p95 <= 1 s")
        out += _timed_urls(hist.get("series"), "3 Trend {name} ({url})", "p95 <= 300 ms")
    ingest = results.get("api_ingest")
    if ingest:
        out.append((
            f"4 API ingest, {ingest['rows']:,} reports in batches of {ingest['batch']:,}",
            f"{_fmt(ingest['api_rows_per_s'], ' rows/s')}", f"COPY {_fmt(ingest['copy_rows_per_s'], ' rows/s')}",
            _fmt(ingest["ratio"], "x"), ">= 0.3x", _met(ingest["met"]),
        ))
        if ingest.get("copy_bare_rows_per_s") is not None:
            out.append((
                "4 ... the same vs COPY into a copy with only the unique index",
                f"{_fmt(ingest['api_rows_per_s'], ' rows/s')}",
                f"COPY bare {_fmt(ingest['copy_bare_rows_per_s'], ' rows/s')}",
                _fmt(ingest.get("ratio_to_bare"), "x"), "(reported)", "",
            ))
    reads = results.get("api_reads")
    if reads:
        listing, floor = reads["list"], reads["floor (/healthz)"]
        out.append((
            f"5 API reads {reads['path']} ({reads['connections']} conns, {listing['tool']})",
            f"{_fmt(listing['requests_per_s'], ' req/s')} p95 {_fmt(listing['p95_ms'], ' ms')}"
            + (f", {listing['errors']} errors" if listing["errors"] else ""),
            f"/healthz {_fmt(floor['requests_per_s'], ' req/s')}", _fmt(reads["ratio"], "x"), "(none)", "-",
        ))
    fresh = results.get("freshness")
    if fresh:
        work = (ten or {}).get("write_p50_ms"), (ten or {}).get("drain_p50_ms")
        inproc = sum(w for w in work if w is not None) if any(w is not None for w in work) else None
        out.append((
            f"6 Freshness, {fresh['writes']} writes, real worker",
            f"p50 {_fmt(fresh['p50_ms'], ' ms')} p95 {_fmt(fresh['p95_ms'], ' ms')}"
            + (f", {fresh['timeouts']} timeouts" if fresh["timeouts"] else ""),
            f"in-process write+drain {_fmt(inproc, ' ms')}", _fmt(
                round(fresh["p50_ms"] / inproc, 2) if inproc and fresh["p50_ms"] else None, "x"),
            "p95 <= 5 s", _met(fresh["met"]),
        ))
    return out


def render_table(results: dict) -> str:
    header = ("figure", "measured", "baseline (same run)", "ratio", "target", "met")
    body = rows(results)
    widths = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    for name, error in (results.get("errors") or {}).items():
        out.append(f"\nstep {name} failed: {error}")
    if "total_seconds" in results:
        out.append(f"\nscale {results.get('scale')}, total {results['total_seconds']:.0f} s")
    return "\n".join(out)
