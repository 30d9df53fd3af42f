"""Regenerate the inputs of the limits corpus: ``python tests/data/bad/limits/make.py``.

Settings files that used to overflow the stack or pass a check they should not: TOML nested
3,000 deep (arrays, inline tables, table headers, dotted keys), a rule id with a trailing
newline (``^...$`` let it through), a rule id and a condition far past their limits, and a
four-store network (``tiny.csv``) for the cases that must load one. Inputs
whose point is size (a 6 MB scenario, 10,001 rules, a 100 KB condition) and special files
(a FIFO) are made at test time by ``setup.py``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
DEPTH = 3000
SCENARIO_HEAD = '[scenario]\nname = "limits"\nsource_brand = "Infiniti"\nhost_brand = "Nissan"\n\n'


def scenario(rules: str) -> str:
    return SCENARIO_HEAD + rules + '[[rules]]\nid = "close-rest"\naction = "close"\n'


#: Two Infiniti and two Nissan stores: a network that loads in milliseconds, for the cases
#: that must get past loading (a run refused for its Monte Carlo, a --set checked).
TINY = (
    "dealer_id,name,brand,owner_group,address,city,state,zip,latitude,longitude,"
    "annual_new_units,annual_used_units\n"
    "INF-1,Infiniti of Austin,Infiniti,Alpha Group,100 Main St,Austin,TX,78701,30.2672,-97.7431,"
    "300,200\n"
    "INF-2,Infiniti of Waco,Infiniti,Beta Motors,200 Main St,Waco,TX,76701,31.5493,-97.1467,"
    "250,150\n"
    "NIS-1,Austin Nissan,Nissan,Alpha Group,300 Oak St,Austin,TX,78702,30.2700,-97.7200,900,600\n"
    "NIS-2,Dallas Nissan,Nissan,Delta Cars,400 Elm St,Dallas,TX,75201,32.7767,-96.7970,900,600\n"
)

FILES = {
    "tiny.csv": TINY,
    "deep_arrays.toml": "a = " + "[" * DEPTH + "]" * DEPTH + "\n",
    "deep_inline_tables.toml": "a = " + "{ b = " * DEPTH + "1" + " }" * DEPTH + "\n",
    "deep_tables.toml": "[" + ".".join(["t"] * DEPTH) + "]\nx = 1\n",
    "deep_dotted_keys.toml": ".".join(["k"] * DEPTH) + " = 1\n",
    "rule_id_newline.toml": scenario('[[rules]]\nid = "keep\\n"\naction = "keep"\n\n'),
    "rule_id_long.toml": scenario(f'[[rules]]\nid = "{"k" * 200}"\naction = "keep"\n\n'),
    "condition_long.toml": scenario(
        '[[rules]]\nid = "keep-big"\naction = "keep"\nwhen = "'
        + " or ".join(["annual_new_units >= 600"] * 200)
        + '"\n\n'
    ),
}


def main() -> None:
    for name, text in FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
