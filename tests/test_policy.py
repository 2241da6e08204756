"""The value policy file: defaults, a full file, and errors naming the place."""

from __future__ import annotations

import duckdb
import pytest

from tokenlib.errors import ParameterError
from tokenlib.policy import Policy, ResidencyRule, read_policy

FULL = """\
route_target: 0.8
quality_tolerance: 0.02
batch_eligible: [doc_summarisation]
residency:
  - use_case: support_chat
    allowed: ["eu*", "europe-*"]
"""


def test_no_file_gives_the_defaults():
    policy = read_policy(None)
    assert policy == Policy()
    assert (policy.route_target, policy.quality_tolerance) == (0.70, 0.0)
    assert (policy.batch_eligible, policy.residency) == ((), ())


def test_a_full_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(FULL)
    policy = read_policy(path)
    assert policy.route_target == 0.8
    assert policy.quality_tolerance == 0.02
    assert policy.batch_eligible == ("doc_summarisation",)
    assert policy.residency == (
        ResidencyRule(use_case="support_chat", allowed=("eu*", "europe-*")),
    )


def test_an_empty_file_gives_the_defaults(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("")
    assert read_policy(path) == Policy()


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("route_target: 70\n", "route_target: Input should be less than or equal"),
        ("quality_tolerance: -0.1\n", "quality_tolerance: Input should be greater"),
        ("batch_elligible: [a]\n", "batch_elligible: Extra inputs"),
        (
            "residency:\n  - use_case: a\n    allowed: []\n",
            "residency 1, allowed: Tuple should have at least 1 item",
        ),
        (
            "residency:\n  - use_case: a\n    allowed: [eu]\n"
            "  - use_case: b\n    alowed: [eu]\n",
            "residency 2, alowed: Extra inputs",
        ),
        (
            "residency:\n  - {use_case: a, allowed: [eu]}\n"
            "  - {use_case: a, allowed: [us]}\n",
            "residency: Value error, use case(s) a named more than once",
        ),
    ],
)
def test_errors_name_the_file_and_the_place(tmp_path, text, place):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(ParameterError) as err:
        read_policy(path)
    assert str(err.value).startswith(f"{path}: ")
    assert place in str(err.value)


def test_a_list_at_the_top_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("- 1\n")
    with pytest.raises(ParameterError, match="expected a mapping.*found list"):
        read_policy(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ParameterError, match="nope.yaml: cannot read"):
        read_policy(tmp_path / "nope.yaml")


def test_allowed_patterns_ignore_case_and_miss_an_unknown_region():
    rule = ResidencyRule(use_case="x", allowed=("eu-*", "europe_?"))
    sql = rule.allowed_sql("r")
    got = duckdb.sql(
        f"SELECT r, {sql} FROM (VALUES ('EU-West-1'), ('us-east-1'), "
        "('europe_1'), ('europeX1'), (NULL)) t(r) ORDER BY r NULLS LAST"
    ).fetchall()
    # "_" stands for itself (not LIKE's one character); "?" is one character.
    assert got == [
        ("EU-West-1", True),
        ("europeX1", False),
        ("europe_1", True),
        ("us-east-1", False),
        (None, False),
    ]
