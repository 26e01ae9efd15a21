#!/usr/bin/env python3
"""gen-countries.py - write data/countries.tsv, the country table of
lq-enrich(1), from Debian's packages:

  iso-codes             /usr/share/iso-codes/json/iso_3166-1.json: the 249
                        ISO 3166-1 countries (alpha-2, alpha-3, name,
                        official and common names) and, from
                        /usr/share/locale/*/LC_MESSAGES/iso_3166-1.mo, their
                        names in the languages of LANGS (LGPL-2.1+)
  tzdata                /usr/share/zoneinfo/zone.tab: each country's zones
                        (public domain)
  python3-phonenumbers  libphonenumber's calling codes (Apache-2.0)

and the hand-written tools/countries-extra.tsv (display names, aliases,
the main zone of countries with several, region zones).

usage: /usr/bin/python3 tools/gen-countries.py [-o data/countries.tsv]

The output is deterministic for given package versions (they are written
into its header).  Spellings are stored as lq-enrich compares them
(lowercase, punctuation as blanks); a spelling two countries could claim
is left out, and said on stderr.
"""
import argparse
import gettext
import json
import os
import re
import subprocess
import sys
import unicodedata

ISO = "/usr/share/iso-codes/json/iso_3166-1.json"
ZONEINFO = "/usr/share/zoneinfo"
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTRA = os.path.join(TOP, "tools", "countries-extra.tsv")

# Languages whose country names are recognised: the most common ones of
# the markets B2B exports come from.  Each adds about 300 spellings and
# lq-enrich's start-up time grows with them (about 0.6 us a spelling).
LANGS = "de fr es it pt pt_BR nl sv da nb fi pl cs ru uk tr ja ko zh_CN zh_TW ar".split()

# Unicode punctuation lq-enrich treats as blank (enrich_country.c, norm())
UBLANK = "\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u00b7\u3001\uff0c"


def norm(s):
    """A spelling as lq-enrich compares it: lowercase, runs of punctuation
    and blanks as one blank, trimmed."""
    out, blank = [], True
    for ch in s.lower():
        if (ch.isascii() and ch.isalnum()) or (not ch.isascii() and ch not in UBLANK):
            out.append(ch)
            blank = False
        elif not blank:
            out.append(" ")
            blank = True
    return "".join(out).strip()


def ascii_fold(s):
    """s without its accents when that leaves ASCII (Latin scripts), else s"""
    f = "".join(c for c in unicodedata.normalize("NFKD", s)
                if not unicodedata.combining(c))
    return f if f.isascii() else s


def variants(name, english):
    """The spellings of one name: itself, without a parenthetical, without
    a leading 'the', without accents (Latin scripts), '&' for 'and', 'st' for 'saint', and
    for English "X, Republic of" also "Republic of X"."""
    base = [name]
    m = re.match(r"^(.*?)\s*\(.*\)\s*$", name)
    if m:
        base.append(m.group(1))
    if english:
        m = re.match(r"^([^,]+), ((?:the )?.* of(?: the)?)$", name, re.I)
        if m:
            base.append(m.group(2) + " " + m.group(1))
    out = set()
    for b in base:
        for v in (b, ascii_fold(b)):
            n = norm(v)
            if not n:
                continue
            out.add(n)
            if n.startswith("the "):
                out.add(n[4:])
            if english:
                if " and " in n:
                    out.add(n.replace(" and ", " "))	# '&' is a blank
                for w in ("saint ", "sainte "):
                    if n.startswith(w):
                        out.add("st " + n[len(w):])
    return out


def read_extra(path):
    names, aliases, tzs, regions = {}, {}, {}, []
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            f_ = line.split("\t")
            kind = f_[0]
            if kind == "name" and len(f_) == 3:
                names[f_[1]] = f_[2]
            elif kind == "alias" and len(f_) == 3:
                aliases.setdefault(f_[1], []).extend(a for a in f_[2].split("|") if a)
            elif kind == "tz" and len(f_) == 3:
                tzs[f_[1]] = f_[2]
            elif kind == "region" and len(f_) == 4:
                regions.append((f_[1], f_[2], f_[3]))
            else:
                sys.exit("%s:%d: expected name, alias, tz (3 fields) or region (4)" % (path, ln))
    return names, aliases, tzs, regions


def read_zones(path):
    zones = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            f_ = line.rstrip("\n").split("\t")
            zones.setdefault(f_[0], []).append(f_[2])
    return zones


def pkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return "unknown version"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=os.path.join(TOP, "data", "countries.tsv"))
    a = ap.parse_args()
    try:
        import phonenumbers
    except ImportError:
        sys.exit("gen-countries: needs python3-phonenumbers "
                 "(sh tools/deps.sh test; run with /usr/bin/python3)")

    with open(ISO, encoding="utf-8") as f:
        iso = json.load(f)["3166-1"]
    iso.sort(key=lambda x: x["alpha_2"])
    codes = [x["alpha_2"] for x in iso]
    zones = read_zones(os.path.join(ZONEINFO, "zone.tab"))
    names, aliases, tzs, regions = read_extra(EXTRA)
    for c in list(names) + list(aliases) + list(tzs) + [r[0] for r in regions]:
        if c not in codes:
            sys.exit("gen-countries: %s: %s is not an ISO 3166-1 code" % (EXTRA, c))

    # calling codes: the country libphonenumber takes a number with that
    # code to be from (the first of its list); +1 (NANP) says no country
    calling = {}
    for cc, regs in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        if cc != 1 and regs and regs[0] in codes:
            calling[regs[0]] = str(cc)

    # zones
    tz = {}
    for c in codes:
        z = zones.get(c, [])
        if c in tzs:
            if len(z) < 2:
                sys.exit("gen-countries: %s: tz line for %s, which has %d zone(s) in zone.tab"
                         % (EXTRA, c, len(z)))
            if tzs[c] != "-" and tzs[c] not in z:
                sys.exit("gen-countries: %s: %s is not a zone of %s in zone.tab" % (EXTRA, tzs[c], c))
            tz[c] = tzs[c]
        elif len(z) == 1:
            tz[c] = z[0]
        elif not z:
            tz[c] = "-"	# uninhabited: BV, HM
            print("gen-countries: %s has no zone in zone.tab" % c, file=sys.stderr)
        else:
            sys.exit("gen-countries: %s has %d zones in zone.tab (%s): add a tz line to %s"
                     % (c, len(z), " ".join(z), EXTRA))
    for c, z, _ in regions:
        if z not in zones.get(c, []):
            sys.exit("gen-countries: %s: region zone %s is not a zone of %s" % (EXTRA, z, c))

    # spellings, by precedence: hand-written aliases, then codes and
    # English names, then translations.  Within a class a spelling two
    # countries claim is dropped; a lower class never takes one a higher
    # class has.
    display = {}
    classes = [{}, {}, {}]
    for x in iso:
        c = x["alpha_2"]
        display[c] = names.get(c, x.get("common_name", x["name"]))
        for al in aliases.get(c, []):
            classes[0].setdefault(norm(al), set()).add(c)
        eng = classes[1]
        for k in (c, x["alpha_3"]):
            eng.setdefault(norm(k), set()).add(c)
        for k in ("name", "official_name", "common_name"):
            if k in x:
                for v in variants(x[k], True):
                    eng.setdefault(v, set()).add(c)
        for v in variants(display[c], True):
            eng.setdefault(v, set()).add(c)
    for lang in LANGS:
        try:
            t = gettext.translation("iso_3166-1", languages=[lang])
        except OSError:
            sys.exit("gen-countries: no %s translation of iso_3166-1 (iso-codes)" % lang)
        for x in iso:
            for k in ("name", "official_name", "common_name"):
                if k in x:
                    tr = t.gettext(x[k])
                    if tr != x[k]:
                        for v in variants(tr, False):
                            classes[2].setdefault(v, set()).add(x["alpha_2"])
    spell = {c: set() for c in codes}
    taken = set()
    for cl in classes:
        for s, cs in sorted(cl.items()):
            if s in taken:
                continue
            if len(cs) > 1:
                print("gen-countries: '%s' could be %s: left out" % (s, " or ".join(sorted(cs))),
                      file=sys.stderr)
                taken.add(s)
                continue
            taken.add(s)
            spell[next(iter(cs))].add(s)

    with open(a.output, "w", encoding="utf-8") as out:
        out.write("""\
# Countries for lq-enrich(1).  GENERATED by tools/gen-countries.py, do not
# edit: change tools/countries-extra.tsv and run it again.
#
# country  ISO 3166-1 alpha-2 code, English name, calling code, IANA time
#          zone, spellings separated by '|'
# region   country code, IANA time zone, spellings of the region (state,
#          province, city) that has it
#
# Sources (see data/SOURCE.md, data/licenses/):
#   iso-codes %s (LGPL-2.1+): codes, names, translations of the names
#   tzdata %s (public domain): zone.tab; a country with several zones has
#     its main one, or '-' when none is right for most of its people (the
#     zone then comes from a region line); '-' also for BV and HM, which
#     have no zone
#   libphonenumber (python3-phonenumbers %s, Apache-2.0): calling codes; a
#     code several countries share is listed for the one a number with it
#     is taken to be from; '-' for the others and for +1 (NANP), which
#     does not tell the country
#   tools/countries-extra.tsv (written for lq): names, aliases, main zones,
#     regions
# Spellings are stored lowercase with punctuation as blanks, as compared.
""" % (pkg_version("iso-codes"), pkg_version("tzdata"), pkg_version("python3-phonenumbers")))
        for c in codes:
            own = {norm(c), norm(display[c])}
            out.write("country\t%s\t%s\t%s\t%s\t%s\n" % (
                c, display[c], calling.get(c, "-"), tz[c],
                "|".join(sorted(spell[c] - own))))
        for c, z, al in regions:
            out.write("region\t%s\t%s\t%s\n" % (c, z, al))
    return 0


if __name__ == "__main__":
    sys.exit(main())
