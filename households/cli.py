"""Commands this package adds to `hotline` (see hotline/cli.py):
`import households|ledger FILE`, `export statement`, `demo-data`."""
from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import inspect

from households.errors import ImportRejected, SchemaMissing


def _session():
    from hotline.settings import get_settings
    from models.session import engine_for, session_factory

    url = get_settings().database_url
    if not inspect(engine_for(url)).has_table("households"):
        raise SchemaMissing(f"the database {url.split('@')[-1]} has no households tables: "
                            "run `hotline db upgrade` first")
    return session_factory(url)()


def _limits():
    from hotline.settings import get_settings
    from households.sheet_files import ImportLimits

    return ImportLimits.from_settings(get_settings())


def _progress(label: str):
    def factory(total: int):
        return click.progressbar(length=total, label=label, file=sys.stderr)
    return factory


def _ignored_note(ignored) -> str:
    """The columns the importer does not know, as the office sees them."""
    if not ignored:
        return ""
    return "; ignored column(s): " + ", ".join(f"{p.letter} {p.header}" for p in ignored)


def _report_rejection(error: ImportRejected) -> None:
    click.echo(f"{error.path}: rejected, nothing imported"
               f"{_ignored_note(getattr(error, 'ignored', []))}. Problems:", err=True)
    places = getattr(getattr(error, "table", None), "places", {})
    for problem in error.problems:
        click.echo(f"  {_where(problem, places)}", err=True)
    click.echo(f"{len(error.problems)} problem(s)", err=True)


def _where(problem, places: dict) -> str:
    """'row 5, column F 联系电话: ...': the cell as the office finds it in Excel."""
    place = places.get(problem.column)
    if place is None or problem.row is None:
        return str(problem)
    return f"row {problem.row}, column {place.letter} {place.header}: {problem.message}"


@click.group("import")
def import_group() -> None:
    """Import households or fee ledgers from .xlsx or .csv (all rows or none)."""


@import_group.command("households")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--community", "community_code", default="MAIN", show_default=True,
              help="Community code the rooms belong to (created if new).")
def import_households_command(file: Path, community_code: str) -> None:
    """Household list: one row per room (building, unit, room, area, owner, phones…)."""
    from hotline.settings import get_settings
    from households.importing import import_households_file

    with _session() as session:
        try:
            report = import_households_file(
                session, file, community_code, _progress("households"), _limits(),
                local_area_code=get_settings().local_area_code)
        except ImportRejected as error:
            _report_rejection(error)
            raise SystemExit(1)
    result = report.result
    click.echo(f"{file}: {report.rows} rows imported ({result.households_created} households "
               f"created, {result.households_updated} updated, {result.rooms_created} new rooms)"
               + (f"; {report.note}" if report.note else "") + _ignored_note(report.ignored))


@import_group.command("ledger")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_ledger_command(file: Path) -> None:
    """Charges and payments: household number or room, fee kind, period, amounts, receipt."""
    from households.importing import import_ledger_file

    with _session() as session:
        try:
            report = import_ledger_file(session, file, _progress("ledger"), _limits())
        except ImportRejected as error:
            _report_rejection(error)
            raise SystemExit(1)
    click.echo(f"{file}: {report.rows} rows imported ({report.result.charges_written} charges, "
               f"{report.result.payments_written} payments)"
               + (f"; {report.note}" if report.note else "") + _ignored_note(report.ignored))


@click.group("export")
def export_group() -> None:
    """Export statements to Excel."""


@export_group.command("statement")
@click.option("--quarter", required=True, help="Quarter like 2026Q4.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output .xlsx (default: statement-QUARTER.xlsx).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Balance date (default: the quarter's first day).")
def export_statement_command(quarter: str, out: Path | None, as_of) -> None:
    """应收管理费用明细表 for QUARTER: number, room, owner, area, rate, due, arrears, late fee."""
    from hotline.settings import get_settings
    from households.export import statement_lines, write_statement
    from households.fees import Quarter

    parsed = Quarter.parse(quarter)
    out = out or Path(f"statement-{parsed}.xlsx")
    with _session() as session:
        lines = statement_lines(session, parsed,
                                Decimal(str(get_settings().late_fee_daily_rate)),
                                as_of.date() if as_of else None)
    write_statement(lines, parsed, out)
    click.echo(f"{out}: {len(lines)} households, quarter {parsed}")


@click.command("demo-data")
@click.option("--households", "count", type=click.IntRange(1, 1_000_000), default=2000,
              show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--community-code", default="DEMO", show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the year of ledgers (default: today).")
def demo_data_command(count: int, seed: int, community_code: str, as_of) -> None:
    """A believable community with a year of fee ledgers (same seed, same data)."""
    from hotline.settings import get_settings
    from households.demo import make_demo_data
    from households.queries import analyze
    from households.terms import HouseholdTerms

    terms = HouseholdTerms.from_settings(get_settings())

    started = time.perf_counter()
    with _session() as session:
        with click.progressbar(length=count, label="households",
                               file=sys.stderr) as bar:
            result = make_demo_data(session, count, seed=seed, community_code=community_code,
                                    as_of=as_of.date() if as_of else terms.today(),
                                    local_area_code=terms.local_area_code,
                                    progress=bar.update)
        session.commit()
        analyze(session)
        orders = _demo_orders(session, result.community_id, as_of, terms, seed)
    click.echo(f"{result.households} households, {result.rooms} rooms, {result.people} people, "
               f"{result.phones} phones, {result.charges} charges, {result.payments} payments "
               f"in {time.perf_counter() - started:.1f} s")
    click.echo(f"{orders.orders} work orders, {orders.complaints} complaints, "
               f"{orders.follow_ups} follow-ups ({orders.reopened} reopened) over 30 days")


def _demo_orders(session, community_id: int, as_of, terms, seed: int):
    """A month of work orders for the reports (reports.demo_orders)."""
    from reports.demo_orders import make_demo_orders

    orders = make_demo_orders(session, community_id, as_of=as_of.date() if as_of else terms.today(),
                              time_zone=terms.office_timezone, seed=seed)
    session.commit()
    return orders


commands = [import_group, export_group, demo_data_command]
