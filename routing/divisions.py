"""Administrative divisions (GB/T 2260 six-digit codes: province 110000, city 110100, district
110101): the list operators pick from, where an address lies, and whether one division lies
inside another. Pure: no Flask, no session.

The list is data (routing/data/divisions.json, made from the address parser's own table by
routing/data/make_divisions.py, so the two agree). Addresses are read by `jionlp`'s location
parser (a kept library); it is imported on first use because it loads for about two seconds.
"""

import contextlib
import io
import json
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA_PATH = Path(__file__).parent / "data" / "divisions.json"
PROVINCE, CITY, DISTRICT = 1, 2, 3
MAX_DEPTH = 4  # province > city > district; a bound for walking parents
_parser_lock = threading.Lock()
_warm_up_started = threading.Event()


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent: str | None
    aliases: tuple[str, ...] = ()


class UnknownDivision(ValueError):
    """A code that is not on the list, or a city that is not in the chosen province."""


@cache
def _table():
    rows = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    return {code: Division(code, name, parent, tuple(aliases)) for code, name, parent, aliases in rows}


@cache
def _children():
    found = {}
    for division in _table().values():
        found.setdefault(division.parent, []).append(division)
    return found


@cache
def _by_name():
    """Full names and short names -> the divisions that carry them."""
    found = {}
    for division in _table().values():
        for name in {division.name, *division.aliases}:
            found.setdefault(name, []).append(division)
    return found


def get(code):
    """The division with this code, or None."""
    return _table().get(code or "")


def children(code=None):
    """The divisions directly under `code` (None: the provinces), by code."""
    return sorted(_children().get(code, []), key=lambda d: d.code)


def chain(code):
    """[province, city, district] down to `code` (shorter for a province or city); [] if unknown."""
    found, division = [], get(code)
    while division is not None and len(found) < MAX_DEPTH:
        found.append(division)
        division = get(division.parent)
    return found[::-1]


def level(code):
    """1 province, 2 city, 3 district; 0 when unknown."""
    return len(chain(code))


def full_name(code):
    """北京市东城区, 浙江省杭州市余杭区: the chain's names, a municipality's city not repeated."""
    names = []
    for division in chain(code):
        if not names or names[-1] != division.name:
            names.append(division.name)
    return "".join(names) or None


def within(code, ancestor):
    """Whether division `code` is `ancestor` or lies inside it (海淀区 110108 inside 北京市 110000)."""
    if not code or not ancestor:
        return False
    return any(d.code == ancestor for d in chain(code)) or code == ancestor


def pick(province=None, city=None, district=None):
    """The most specific of a cascading choice, each checked against the one above it;
    None when nothing is chosen. Raises UnknownDivision for a code off the list or out of place."""
    chosen, above, blank = None, None, False
    for code in (province, city, district):
        code = (code or "").strip()
        if not code:
            blank = True
            continue
        division = get(code)
        if blank:  # a district without its city, a city without its province
            raise UnknownDivision(code)
        if division is None or division.parent != above:
            raise UnknownDivision(code)
        chosen, above = code, code
    return chosen


def checked(code):
    """`code` if it is on the list, None when empty; raises UnknownDivision otherwise."""
    code = (code or "").strip()
    if not code:
        return None
    if get(code) is None:
        raise UnknownDivision(code)
    return code


# --- from text ------------------------------------------------------------------------------


def from_name(text, home=None):
    """The division a short region text names (北京, 东城区, 北京市东城区), without the parser:
    for rules and the region texts typed before codes existed. None when unknown or ambiguous."""
    text = "".join((text or "").split())
    if not text:
        return None
    whole = _best(_by_name().get(text, []), home)
    if whole is not None:
        return whole.code
    # "北京市东城区": the longest known name at the end, inside what the text before it names.
    for cut in range(1, len(text)):
        head, tail = text[:cut], text[cut:]
        outer = from_name(head, home) if len(head) >= 2 else None
        inner = [d for d in _by_name().get(tail, []) if outer and within(d.code, outer)]
        if outer and inner:
            return _best(inner, home).code
    return None


def _best(candidates, home):
    """One division among namesakes: the only one, else the one inside `home`, else the one
    highest up (北京 is the city, not a district), else None (ambiguous)."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    at_home = [d for d in candidates if home and within(d.code, home)]
    if len(at_home) == 1:
        return at_home[0]
    pool = at_home or candidates
    top = min(level(d.code) for d in pool)
    highest = [d for d in pool if level(d.code) == top]
    if len(highest) == 1:
        return highest[0]
    # A municipality is listed as province and city alike: the province stands for both.
    parents = {d.parent for d in highest}
    return next((d for d in highest if d.code in parents), None)


@lru_cache(maxsize=4096)
def from_address(address, home=None):
    """The most specific division an address names (district, else city, else province), or
    None. `home` (a division code, the hotline's own area) settles namesakes typed alone:
    朝阳区 is Beijing's for a Beijing hotline; without a home it stays unresolved."""
    address = (address or "").strip()
    if not address:
        return None
    parsed = _parse(address)
    province = _named_under(parsed.get("province"), None)
    city = _named_under(parsed.get("city"), province.code if province else None) if province else None
    if city is None and province is not None and province.code[:2] in ("11", "12", "31", "50"):
        city = get(province.code[:2] + "0100")
    county_name = parsed.get("county")
    if county_name and city is not None:
        county = _named_under(county_name, city.code)
        if county is None or county.name not in address:
            county = _literal_district(address, city) or county
        return (county or city).code
    if county_name and province is None:
        found = _best([d for d in _by_name().get(county_name, []) if level(d.code) == DISTRICT], home)
        return found.code if found else None
    return (city or province).code if (city or province) else None


def _named_under(name, parent):
    if not name:
        return None
    return next((d for d in _by_name().get(name, []) if d.parent == parent), None)


def _literal_district(address, city):
    """A district of `city` written out in full in the address. It wins over the parser's
    guess, which can take a city's short name for a county (长沙岳麓区 read as 长沙县)."""
    written = [d for d in children(city.code) if d.name in address]
    return min(written, key=lambda d: address.index(d.name)) if written else None


def _parse(address):
    """jionlp's reading of an address: {"province", "city", "county"} names (each may be None)."""
    parser = _parser()
    return parser(address, town_village=False, change2new=True)


def warm_up():
    """Load the parser in the background, once per process: the intake form calls this as it
    opens, so the address read on save does not wait seconds for the first load (on SQLite that
    wait would hold the write lock)."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()
    threading.Thread(target=_parser, name="address-parser-warm-up", daemon=True).start()


@cache
def _parser():
    with _parser_lock, contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
        import jionlp

        jionlp.parse_location("北京市东城区", town_village=False)  # loads its tables now, once
    return jionlp.parse_location
