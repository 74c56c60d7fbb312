"""``csm analyze METHOD``: one analysis method, offline on a CSV or on a tenant's stored data.

Offline (``--config C.yaml --responses R.csv``) the CSV is read and checked as ``csm
score`` reads it; with ``--tenant T`` the stored responses of a version (``--version``,
``--from``, ``--to``) are read from the answer store, as ``GET /api/v1/analyses/METHOD``
reads them. Either way the configuration's ``analysis`` section gives the parameters,
the options override them: ``--target``, ``--method``, ``--level``, ``--bootstrap``,
``--seed``, ``--segment``, and any parameter as ``--param NAME=VALUE`` (lists as codes
separated by commas or a JSON array, maps as a JSON object). ``kano --menu`` prints the
``services:`` section the classification suggests, ready to paste. ``loyalty`` and
``customer_value`` also read purchase records: offline ``--purchases P.csv`` (columns
customer_id, purchased_at, amount[, category_spend][, purchase_id], checked as ``POST
/purchases`` checks them), with ``--tenant`` the stored ones. Bad input exits 2 naming
the option or parameter (a purchases file: its line and column).
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from core.analysis.errors import AnalysisInputError
from core.analysis.kano import menu_section
from core.cli.analysis_table import analysis_lines
from core.cli.common import Context, fail, read_config
from core.cli.data import TENANT_HELP, VERSION
from core.cli.inputs import IsoDateTime
from core.cli.offline import FORMATS, read_responses, responses_csv
from core.cli.output import print_result
from core.cli.progress import progress
from core.cli.grading import read_customers
from core.cli.purchases import read_purchases
from core.rules.customers import ID
from core.operations import analyses, base
from core.operations.configuration import config_of, config_version
from core.scoring import AnswerValidationError, to_scores

# Options that are parameters of the methods, by parameter name.
OPTIONS = ("target", "method", "level", "bootstrap", "seed", "segment")
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _given(options: dict, params: tuple[str, ...]) -> dict:
    given = {name: options[name] for name in OPTIONS if options.get(name) is not None}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"--param: {item!r} is not NAME=VALUE")
        given[name.strip()] = value
    return given


def _refused(exc: AnalysisInputError):
    option = f"--{exc.field}" if exc.field in OPTIONS or exc.field == "purchases" else f"--param {exc.field}" if "." not in exc.field and exc.field != "responses" else exc.field
    fail(f"{option}: {exc.message}")


@click.command("analyze", short_help="Run an analysis offline or on a tenant's stored data.")
@click.argument("analysis")
@click.option("--config", "config_path", type=FILE, default=None, show_default="none: --tenant", help="The configuration (YAML), with --responses.")
@click.option("--responses", "responses_path", type=FILE, default=None, show_default="none: --tenant", help="The responses (CSV), with --config.")
@click.option("--purchases", "purchases_path", type=FILE, default=None, show_default="none", help="loyalty, customer_value offline: the purchase records (CSV: customer_id, purchased_at, amount[, category_spend]).")
@click.option("--customers", "customers_path", type=FILE, default=None, show_default="none", help="customer_value offline: the customers (CSV: customer_id and attribute columns) for customer.<attribute> components.")
@click.option("--tenant", default=None, show_default="none: --config", help=TENANT_HELP + " Analyse its stored responses instead of a CSV.")
@click.option("--version", type=VERSION, default=None, show_default="the latest", help="With --tenant: the configuration version.")
@click.option("--from", "start", type=IsoDateTime(), default=None, help="With --tenant: collected at or after this time.")
@click.option("--to", "end", type=IsoDateTime(), default=None, help="With --tenant: collected before this time.")
@click.option("--target", default=None, show_default="the section's", help="drivers: the question explained (default: the `role: overall` question).")
@click.option("--method", default=None, show_default="the section's, else relative_weights", help="drivers: relative_weights | shapley | correlation | stated.")
@click.option("--level", type=click.Choice(["question", "group"]), default=None, show_default="the section's, else question", help="drivers: questions or groups as drivers.")
@click.option("--bootstrap", type=click.IntRange(0, 10_000), default=None, show_default="the section's, else 0", help="Resamples for the intervals (seeded).")
@click.option("--seed", type=click.IntRange(0), default=None, show_default="the section's, else 0", help="The resampling seed.")
@click.option("--segment", default=None, show_default="none", help="kano, loyalty_matrix, expectation_gap: break down by this attribute.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Any parameter of the method (repeatable), as the API's query parameters.")
@click.option("--menu", is_flag=True, help="kano: print the services: section the classification suggests (YAML to paste).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="json: the API's shape; table: for reading.")
@click.pass_obj
def analyze(ctx: Context, analysis, config_path, responses_path, purchases_path, customers_path, tenant, version, start, end, params, menu, fmt, **options):
    """Run the analysis ANALYSIS (`csm analyze --help` lists the options; the methods are
    those of GET /api/v1/analyses: drivers, kano, pls, loyalty_matrix, tiers,
    expectation_gap, peak_end, ahp, loyalty, customer_value)."""
    if tenant is not None and (config_path or responses_path or purchases_path or customers_path):
        fail("give --tenant (stored responses) or --config with --responses (a CSV), not both" + ("; with --tenant the stored purchases and customers are read" if purchases_path or customers_path else ""))
    if tenant is None and not (config_path and responses_path):
        fail("give --config and --responses (a CSV), or --tenant (stored responses)")
    if tenant is None and (version or start or end):
        fail("--version, --from and --to select stored responses: use them with --tenant")
    if start is not None and end is not None and start >= end:
        fail("--from must be before --to")
    if menu and analysis != "kano":
        fail("--menu: the service menu comes from a kano analysis")
    given = _given(options, params)
    try:
        if tenant is None:
            result, config = _offline(ctx, analysis, config_path, responses_path, given, purchases_path, customers_path)
        else:
            result, config = _stored(ctx, analysis, tenant, version, start, end, given)
    except AnalysisInputError as exc:
        _refused(exc)
    except base.NotFound as exc:
        fail(str(exc))
    if menu:
        grading = getattr(config.section("customers"), "grading", None)
        section = menu_section(result, grading.grades if grading else None)
        if not section["services"]["menu"]:
            fail(f"--menu: no feature is basic, expected or delight (left out: {', '.join(result['left_out']) or 'none'}), so there is no menu to print")
        click.echo(yaml.safe_dump(section, sort_keys=False, allow_unicode=True, width=120), nl=False)
        return
    if fmt == "json":
        print_result(result, fmt)
    else:
        click.echo("\n".join(analysis_lines(result)))


def _offline(ctx: Context, code: str, config_path: Path, responses_path: Path, given: dict, purchases_path: Path | None = None, customers_path: Path | None = None):
    config = read_config(ctx, config_path)
    method = analyses.find_method(ctx.registry, list(ctx.registry.plugins), code)
    params = analyses.resolve(method, config.section("analysis"), analyses.from_text(method, given))
    if purchases_path is not None and "purchases" not in method.inputs:
        fail(f"--purchases: analysis {code!r} does not read purchases (loyalty and customer_value do)")
    purchases = read_purchases(purchases_path, require_id=False) if purchases_path is not None else None
    if customers_path is not None and "customers" not in method.inputs:
        fail(f"--customers: analysis {code!r} does not read customers (customer_value does)")
    customers = read_customers(ctx, customers_path, config.section("customers"))[0].set_index(ID) if customers_path is not None else None
    csv = responses_csv(ctx, responses_path)
    with progress(len(csv.parts) + 1, f"{code} on {responses_path.name}", show=len(csv.parts) > 1) as bar:
        frame, problems, total = read_responses(csv, config.indicator_set, bar)
        result = None
        if frame is not None:
            try:
                to_scores(frame, config.indicator_set)  # every answer checked as `csm score` checks it
            except AnswerValidationError as exc:
                problems += [(e.row, e.field, e.reason) for e in exc.errors]
                total += exc.total
        if not problems:
            bar.stage("analysing")
            result = analyses.apply(method, frame, config.indicator_set, params, purchases, customers)
            bar.advance()
    if problems:
        fail(f"{responses_path}: {total} problem(s)", csv.describe(problems), total)
    return result, config


def _stored(ctx: Context, code: str, tenant: str, version, start, end, given: dict):
    with ctx.unit_of_work() as session:
        tenant_id = ctx.tenant_id(session, tenant)
        result = analyses.run(session, tenant_id, ctx.registry, code, given, version, start, end)
        config = config_of(session, config_version(session, tenant_id, result["version"]))
    return result, config
