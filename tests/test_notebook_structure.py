"""Fast structure checks over every notebook of the series; nothing is run."""

import ast
import importlib.util

import nbformat
import pytest

from tokenlib.ledger import PROJECT_ROOT
from tokenlib.report import DEFAULT_PARAMS

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
HOUSE_TAGS = {
    "parameters",
    "nbval-ignore-output",
    "nbval-check-output",
    "nbval-skip",
    "raises-exception",
    "keep_output",
    "solution",
    "remove-input",
}


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell):
    return cell.metadata.get("tags", [])


def test_the_series_is_there():
    names = [p.name for p in NOTEBOOKS]
    for name in (
        "00_overview.ipynb",
        "01_spend_visibility.ipynb",
        "02_unit_economics.ipynb",
    ):
        assert name in names


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return _read(request.param)


def test_kernel_is_python3(notebook):
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_first_cell_is_title_and_purpose(notebook):
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    lines = [x for x in first.source.splitlines() if x.strip()]
    assert lines[0].startswith("# ")
    assert len(lines) >= 2, "a line on the question and audience follows the title"


def test_one_parameters_cell_second(notebook):
    tagged = [i for i, c in enumerate(notebook.cells) if "parameters" in _tags(c)]
    assert tagged == [1]
    assert notebook.cells[1].cell_type == "code"


def test_parameters_are_annotated_literals_with_help(notebook):
    source = notebook.cells[1].source
    for line in source.splitlines():
        assert "  # " in line, f"parameter without a trailing comment: {line}"
    found = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.AnnAssign), ast.unparse(node)
        assert isinstance(node.value, ast.Constant), ast.unparse(node)
        found[node.target.id] = node.value.value
    assert found == DEFAULT_PARAMS  # what the report runner passes


def test_third_cell_sets_up_and_checks(notebook):
    third = notebook.cells[2]
    assert third.cell_type == "code"
    assert "nb.setup()" in third.source
    assert "nb.check_params(" in third.source


def test_no_stored_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_only_house_tags(notebook):
    for cell in notebook.cells:
        assert set(_tags(cell)) <= HOUSE_TAGS, _tags(cell)


def test_code_cells_are_short_and_narrow(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            # The parameters cell holds one literal a line, however many.
            if "parameters" not in _tags(cell):
                assert len(lines) <= 8, cell.source
            assert all(len(x) < 80 for x in lines), cell.source


def test_cells_end_in_a_report_table_a_figure_or_text(notebook):
    # A bare frame shows its index column in the report; nb.table hides it.
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        last = ast.parse(cell.source).body[-1]
        shown = ast.get_source_segment(cell.source, last)
        assert (
            not isinstance(last, ast.Expr)
            or shown.startswith(("nb.table(", "print("))
            or cell.source.rstrip().endswith(";")
        ), shown


def test_body_steps_are_sentence_case_h2(notebook):
    heads = [
        line[3:]
        for c in notebook.cells[3:]
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert heads, "the body has H2 steps"
    for head in heads:
        assert head[0].isupper() and head[1:] != head[1:].title(), head


def test_ends_with_notes_then_run_metadata(notebook):
    *_, notes, meta_text, meta = notebook.cells
    assert notes.source.startswith("## Notes and limitations")
    assert meta_text.cell_type == "markdown"
    assert meta.cell_type == "code"
    assert "run_metadata(" in meta.source
    assert _tags(meta) == ["nbval-ignore-output"]


def test_committed_notebooks_match_the_generator():
    path = NOTEBOOK_DIR / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.build().items():
        assert (NOTEBOOK_DIR / name).read_text() == text, (
            f"{name} differs from notebooks/build_notebooks.py; edit the "
            "generator and run it rather than the notebook"
        )
