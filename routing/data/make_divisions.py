"""Regenerate divisions.json (GB/T 2260 administrative divisions) from the pinned address
parser's own table, so the list operators pick from and the codes the parser returns agree.

    .venv/bin/python -m routing.data.make_divisions

Rows are [code, name, parent code, short names (the parser's aliases: 北京, 东城)]. The parser files a municipality's districts directly under
the province (北京市 110000); GB/T 2260 puts them under a city-level 110100, so that row is made
here. Its pseudo-rows that repeat their parent's code (儋州市's "市直辖行政区划") are dropped.
"""

import contextlib
import io
import json
from pathlib import Path

OUT = Path(__file__).with_name("divisions.json")
MUNICIPALITIES = ("11", "12", "31", "50")


def _aliases(node):
    alias = node.get("_alias") or []
    return sorted({alias} if isinstance(alias, str) else set(alias))


def _named(node):
    return {name: child for name, child in node.items() if not name.startswith("_")}


def rows():
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp prints a banner on import
        import jionlp

        table = jionlp.china_location_loader()
    found = {}
    for province in table.values():
        p_code = province["_admin_code"]
        found[p_code] = [p_code, province["_full_name"], None, _aliases(province)]
        for city in _named(province).values():
            c_code = city["_admin_code"]
            if p_code[:2] in MUNICIPALITIES:
                c_code = p_code[:2] + "0100"
            found.setdefault(c_code, [c_code, city["_full_name"], p_code, _aliases(city)])
            for county in _named(city).values():
                code = county["_admin_code"]
                if code not in (c_code, city["_admin_code"], p_code):
                    found.setdefault(code, [code, county["_full_name"], c_code, _aliases(county)])
    return [found[code] for code in sorted(found)]


def main():
    data = rows()
    text = "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in data) + "\n]\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"{len(data)} divisions written to {OUT}")


if __name__ == "__main__":
    main()
