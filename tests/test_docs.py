"""The README and the documentation keep their promises: two quick-start commands, CI runs
the test one, and the pages show the columns, assumptions, scenario and Python as shipped."""

from __future__ import annotations

import re

from dealernet.schema import LATITUDE, LONGITUDE, NUMERIC_COLUMNS, TEXT_COLUMNS
from docs_text import page, snippets_of
from helpers import ASSUMPTIONS, DEALERS, ROOT, SCENARIOS_DIR

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "dealernet run" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start_commands()[1]
    assert any(line.strip() == test_command for line in ci.splitlines())


def test_readme_is_short_and_sends_readers_to_the_pages() -> None:
    assert len(README.splitlines()) < 80
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (ROOT / link).is_file(), link


def test_docs_document_every_input_column() -> None:
    table = page("reference/input-formats.md").split("## Columns", 1)[1].split("\n## ", 1)[0]
    for column in (*TEXT_COLUMNS, LATITUDE, LONGITUDE, *NUMERIC_COLUMNS):
        assert f"`{column}`" in table, column


def test_docs_list_every_assumption_as_in_the_shipped_file() -> None:
    from dealernet.analysis.assumptions import load_assumptions, markdown_table

    table = markdown_table(load_assumptions(ASSUMPTIONS))
    assert table in page("reference/assumptions.md"), (
        "regenerate the assumption table: python docs/make_figures.py"
    )


def test_docs_show_the_default_scenario_as_shipped() -> None:
    default = (SCENARIOS_DIR / "consolidation.toml").read_text(encoding="utf-8").strip()
    assert default in page("planners/scenarios.md")
    assert "src/dealernet/_data/scenarios/consolidation.toml" in snippets_of(
        "planners/scenarios.md"
    )


def test_docs_python_example_runs(tmp_path, monkeypatch) -> None:
    text = page("analysts/python.md")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    code = block.replace('"my_dealers.xlsx"', repr(str(DEALERS / "infiniti.csv")))
    # write into the test's folder, not the repository's maps/
    code = code.replace('result.write("maps")', f"result.write({str(tmp_path / 'out')!r})")
    code = code.replace('"texas.csv"', repr(str(tmp_path / "texas.csv")))
    assert str(tmp_path) in code
    exec(compile(code, "docs/analysts/python.md", "exec"), {})  # our own docs' example
