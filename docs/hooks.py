"""MkDocs hooks: the command reference is written from click's own help at build time.

A page holding the line ``<!-- dealernet commands -->`` gets, in its place, one section per
command of ``dealernet`` with the text ``dealernet COMMAND --help`` prints, so the reference
can never disagree with the program. Commands appear in the order of :data:`ORDER`, then
any others alphabetically, so a new command is documented the day it is added.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- dealernet commands -->"
#: The order a reader meets the commands in; commands not listed follow alphabetically.
ORDER = ("run", "validate", "map", "report", "query", "sql", "compare", "sweep", "sample")
#: Help is wrapped at this width whatever the terminal the build runs in.
WIDTH = 100


def command_help() -> dict[str, tuple[str, str]]:
    """Command name -> (its one-line summary, its full ``--help`` text)."""
    import click

    from dealernet.cli.main import cli

    root = click.Context(cli, info_name="dealernet", terminal_width=WIDTH, max_content_width=WIDTH)
    names = cli.list_commands(root)
    ordered = [n for n in ORDER if n in names] + sorted(n for n in names if n not in ORDER)
    found = {}
    for name in ordered:
        command = cli.get_command(root, name)
        if command is None or command.hidden:
            continue
        ctx = click.Context(
            command,
            info_name=name,
            parent=root,
            terminal_width=WIDTH,
            max_content_width=WIDTH,
        )
        found[name] = (command.get_short_help_str(limit=WIDTH), command.get_help(ctx))
    return found


def reference_markdown() -> str:
    """A table of the commands, then each command's help as a text block."""
    import click

    from dealernet.cli.main import cli

    root = click.Context(cli, info_name="dealernet", terminal_width=WIDTH, max_content_width=WIDTH)
    helps = command_help()
    lines = ["| command | what it does |", "| --- | --- |"]
    lines += [f"| [`dealernet {n}`](#dealernet-{n}) | {short} |" for n, (short, _) in helps.items()]
    lines += ["", "## `dealernet`", "", "```text", cli.get_help(root), "```", ""]
    for name, (_, text) in helps.items():
        lines += [f"## `dealernet {name}` {{#dealernet-{name}}}", "", "```text", text, "```", ""]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put the command reference where a page asks for it."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, reference_markdown())
