"""The README keeps its promises: two quick-start commands, CI runs the test one."""

from __future__ import annotations

import re

from dealernet.schema import LATITUDE, LONGITUDE, NUMERIC_COLUMNS, TEXT_COLUMNS
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


def test_readme_documents_every_input_column() -> None:
    table = README.split("### Columns", 1)[1].split("\n### ", 1)[0]
    for column in (*TEXT_COLUMNS, LATITUDE, LONGITUDE, *NUMERIC_COLUMNS):
        assert f"`{column}`" in table, column


def test_readme_lists_every_assumption_as_in_the_shipped_file() -> None:
    from dealernet.analysis.assumptions import load_assumptions, markdown_table

    table = markdown_table(load_assumptions(ASSUMPTIONS))
    assert table in README, (
        "regenerate the README's assumption table from the bundled assumptions.toml"
    )


def test_readme_shows_the_default_scenario_as_shipped() -> None:
    default = (SCENARIOS_DIR / "consolidation.toml").read_text(encoding="utf-8").strip()
    assert default in README


def test_readme_python_example_runs(tmp_path, monkeypatch) -> None:
    block = README.split("## Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    code = block.replace('"my_dealers.xlsx"', repr(str(DEALERS / "infiniti.csv")))
    # write into the test's folder, not the repository's maps/
    code = code.replace('result.write("maps")', f"result.write({str(tmp_path / 'out')!r})")
    code = code.replace('"texas.csv"', repr(str(tmp_path / "texas.csv")))
    assert str(tmp_path) in code
    exec(compile(code, "README", "exec"), {})  # our own README's example
