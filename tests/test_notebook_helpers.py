"""Tests of tokenlib.notebook: parameter checks, paths, tables and setup."""

import logging
from datetime import date
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import IPython  # noqa: E402
import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_two_row_ledger  # noqa: E402
from IPython.core.formatters import HTMLFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tokenlib as tl  # noqa: E402
from tokenlib import notebook as nb  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402


@pytest.fixture
def ledger(tmp_path):
    """A ledger file of two usage rows, 0.75 USD each, one owned by web."""
    return str(write_two_row_ledger(tmp_path / "ledger.duckdb"))


@pytest.fixture
def priced(ledger):
    con = nb.open_priced(ledger)
    yield con
    con.close()


def test_resolve_path_uses_the_project_root_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert nb.resolve_path("data/l.duckdb") == tl.PROJECT_ROOT / "data" / "l.duckdb"
    assert nb.resolve_path(tmp_path / "l.duckdb") == tmp_path / "l.duckdb"


@pytest.mark.parametrize(
    "amount, text",
    [
        (9001.918674, "9,001.92 USD"),
        (0.745, "0.74 USD"),  # 0.745 is stored just below; display only
        (-150, "-150.00 USD"),
        (0, "0.00 USD"),
        (0.004, "< 0.01 USD"),
        (-0.004, "> -0.01 USD"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_fmt_money(amount, text):
    assert nb.fmt_money(amount, "USD") == text


def test_check_params_returns_the_parameters(ledger):
    params = nb.check_params(ledger, start="2026-03-01", end="2026-04-01")
    assert params == {
        "ledger": ledger,
        "prices": "",
        "start": "2026-03-01",
        "end": "2026-04-01",
        "tz": "UTC",
        "currency": "USD",
        "scope": "ai",
        "group_by": "team",
        "scope_rules": "",
        "owners": "",
        "users": "pseudonymised",
        "policy": "",
        "business_unit": "booking",
        "assumptions": "",
        "scenario": "",
        "gpu_metrics": "",
    }


def test_assumptions_parameter_is_checked(ledger, tmp_path):
    with pytest.raises(ParameterError, match="assumptions='nope.yml': no file"):
        nb.check_params(ledger, assumptions="nope.yml")
    bad = tmp_path / "loaded.yml"
    bad.write_text("governance: {audits: 2}\n")  # the driver is audits_per_year
    with pytest.raises(ParameterError, match="governance.audits: unknown driver"):
        nb.check_params(ledger, assumptions=str(bad))
    assert nb.loaded_assumptions("").regulatory_exposure == "medium"
    # The defaults follow the report's currency; a file must match it.
    assert nb.loaded_assumptions("", "EUR").currency == "EUR"
    usd = tmp_path / "usd.yml"
    usd.write_text("currency: USD\n")
    with pytest.raises(
        ParameterError, match="its amounts are in USD, the report in EUR"
    ):
        nb.check_params(ledger, currency="EUR", assumptions=str(usd))


def test_scope_rules_parameter_is_checked_and_applied(ledger, tmp_path):
    with pytest.raises(ParameterError, match="scope_rules='nope.yml': no file"):
        nb.check_params(ledger, scope_rules="nope.yml")
    rules = tmp_path / "rules.yml"
    rules.write_text("service: [Amazon EC2]\n")  # the key is "services"
    with pytest.raises(ParameterError, match="unknown key.*service"):
        nb.open_priced(ledger, scope_rules=str(rules))


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"start": "2026-13-01"}, "start='2026-13-01': expected a date YYYY-MM-DD"),
        ({"end": "March"}, "end='March': expected a date"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end='2026-03-01' is not after"),
        ({"tz": "Europe/Pariss"}, "time zone 'Europe/Pariss' is unknown"),
        ({"scope": "AI"}, "scope='AI': expected one of ai, all"),
        ({"currency": "usd"}, "currency='usd': expected a three-letter ISO code"),
        ({"group_by": "teams"}, "group_by='teams': expected one of provider"),
        ({"prices": "no/such.csv"}, "prices='no/such.csv': no file at "),
    ],
)
def test_check_params_names_the_bad_parameter(ledger, bad, words):
    with pytest.raises(ParameterError, match="notebook parameters are invalid") as e:
        nb.check_params(ledger, **bad)
    assert words in str(e.value)


def test_check_params_reports_every_problem_at_once(tmp_path):
    with pytest.raises(ParameterError) as e:
        nb.check_params(str(tmp_path / "none.duckdb"), tz="Nowhere", scope="x")
    lines = str(e.value).splitlines()
    assert len(lines) == 4  # heading and three problems
    assert "ledger=" in lines[1] and "Nowhere" in lines[2] and "scope=" in lines[3]


def test_open_priced_prices_the_period(ledger):
    con = nb.open_priced(ledger, start="", end="")
    assert tl.total_spend(con)["cost"].iloc[0] == pytest.approx(1.50)
    con.close()
    con = nb.open_priced(ledger, start="2026-03-02")
    assert tl.total_spend(con)["cost"].iloc[0] == pytest.approx(0.75)
    con.close()


def test_open_priced_counts_days_in_the_zone(ledger):
    con = nb.open_priced(ledger, tz="Asia/Tokyo")
    days = tl.spend_by_day(con)["day"].dt.date.tolist()
    con.close()
    # 20:00 UTC on 2 March is 05:00 on 3 March in Tokyo.
    assert days == [date(2026, 3, 1), date(2026, 3, 3)]


def test_open_priced_never_creates_a_missing_ledger(tmp_path):
    path = tmp_path / "missing.duckdb"
    with pytest.raises(ParameterError, match="ledger="):
        nb.open_priced(str(path))
    assert not path.exists()


def test_period_label_from_data_and_from_bounds(ledger, priced):
    assert nb.period_label(priced) == "2026-03-01 to 2026-03-02 (UTC)"
    con = nb.open_priced(ledger, start="2026-03-01", end="2026-03-02")
    assert nb.period_label(con) == "2026-03-01 (UTC)"  # end is exclusive
    con.close()


def test_headline(priced):
    values = dict(nb.headline(priced, "USD").itertuples(index=False))
    assert values["total spend"] == "1.50 USD"
    assert values["average daily cost"] == "0.75 USD"
    assert values["days with data"] == "2"
    # Both rows are priced usage: nothing comes from a bill.
    assert values["  of which money from bills"] == "0.00 USD"
    assert values["  of which tokens x list or negotiated price"] == "1.50 USD"
    assert values["other currencies"] == "none"


def test_headline_in_a_currency_with_no_spend(priced):
    values = dict(nb.headline(priced, "EUR").itertuples(index=False))
    assert values == {"total spend": "no spend in EUR", "other currencies": "1.50 USD"}


def test_in_currency_keeps_attrs():
    frame = pd.DataFrame({"currency": ["USD", "EUR"], "cost": [1.0, 2.0]})
    frame.attrs["tz"] = "UTC"
    kept = nb.in_currency(frame, "EUR")
    assert kept["cost"].tolist() == [2.0]
    assert kept.attrs["tz"] == "UTC"


def test_run_metadata(ledger, priced):
    params = nb.check_params(ledger, tz="UTC")
    items = dict(nb.run_metadata(params, priced).itertuples(index=False))
    assert items["ledger"] == ledger
    assert items["start"] == "(not set)"
    assert items["tokenlib"] == tl.__version__
    assert items["data from (UTC)"] == "2026-03-01"
    assert items["data to (UTC)"] == "2026-03-02"
    assert items["ledger rows"] == "2"


def test_table_hides_the_index_and_formats_for_display_only():
    frame = pd.DataFrame(
        {
            "team": ["web", "data"],
            "cost": [1234.567, 0.004],
            "change_pct": [12.34, None],
            "share": [0.75, 0.25],
            "rows": [1500, 2],
            "day": pd.to_datetime(["2026-03-01", "2026-03-02"]),
        }
    )
    styled = nb.table(frame, money=["cost"], pct=["change_pct"], share=["share"])
    shown = styled.to_html()
    assert "row_heading" not in shown  # no index column
    for text in ("web", "1,234.57", "&lt; 0.01", "12.3%", "75.0%", "1,500"):
        assert f">{text}</td>" in shown, text
    assert ">2026-03-01</td>" in shown and "00:00" not in shown
    assert "></td>" in shown  # the missing change_pct is blank
    assert "col0 {\n  text-align: left" in shown  # text column only
    assert styled.data["cost"].tolist() == [1234.567, 0.004]  # unrounded


def test_table_names_a_column_that_is_not_there():
    frame = pd.DataFrame({"cost": [1.0]})
    with pytest.raises(ParameterError, match="no column 'costs'.* cost"):
        nb.table(frame, money=["costs"])


@pytest.fixture
def restore_setup():
    """Undo what setup sets: display options and the tokenlib log level."""
    logger = logging.getLogger("tokenlib")
    level = logger.level
    with mpl.rc_context():
        yield logger
    logger.setLevel(level)
    for option in ("max_rows", "max_columns", "width", "max_colwidth"):
        pd.reset_option(f"display.{option}")
    pd.reset_option("display.float_format")
    pd.reset_option("styler.render.max_rows")


def test_setup_sets_style_display_and_logging(restore_setup):
    nb.setup(log_level="WARNING")
    assert mpl.rcParams["lines.linewidth"] == 2
    assert pd.get_option("display.float_format")(12345.678) == "12,346"
    assert restore_setup.level == logging.WARNING


def test_setup_gives_figures_alt_text_in_ipython(restore_setup, monkeypatch):
    # A stand-in shell holding IPython's own HTML formatter.
    html = HTMLFormatter()
    shell = SimpleNamespace(
        display_formatter=SimpleNamespace(formatters={"text/html": html})
    )
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(plt, "switch_backend", lambda name: None)  # stays Agg
    nb.setup(log_level="WARNING")
    fig = Figure()
    fig.subplots().set_title("Daily spend", loc="left")
    shown = html(fig)
    assert shown.startswith('<img src="data:image/png;base64,')
    assert 'alt="Daily spend."' in shown


def test_scenario_and_gpu_metrics_parameters_are_checked(ledger, tmp_path):
    with pytest.raises(ParameterError, match="scenario='nope.yml': no file"):
        nb.check_params(ledger, scenario="nope.yml")
    with pytest.raises(ParameterError, match="gpu_metrics='nope.prom': no file"):
        nb.check_params(ledger, gpu_metrics="nope.prom")
    bad = tmp_path / "scenario.yml"
    bad.write_text("scenarios:\n  - name: a\n    routing: {routed_share: 2}\n")
    with pytest.raises(ParameterError, match="scenarios 1, routing, routed_share"):
        nb.check_params(ledger, scenario=str(bad))
    usd = tmp_path / "usd.yml"
    usd.write_text("currency: USD\nscenarios: [{name: a}]\n")
    with pytest.raises(
        ParameterError, match="its prices are in USD, the report in EUR"
    ):
        nb.check_params(ledger, currency="EUR", scenario=str(usd))
    # No file: no scenario, in the report's currency.
    assert nb.scenarios("", "EUR").scenarios == []
    assert nb.gpu_metrics_path("") is None
