#!/usr/bin/env python3
"""units-check.py: checks the administrative units of schemas/units/*.json.

Usage: units-check.py [--selftest] [DIR]   (DIR defaults to schemas/units)

Every file: "id" (unique), "version", "note", "units". Every unit: the keys
of docs/reports.md, a code of its level's length (province 2, district 3,
commune 5 digits), a name, urban as its name's prefix says, valid_from <=
valid_to; versions of one code do not overlap; the parent exists, is of a
higher level and is valid over the unit's whole interval. formed_from (when
present): [{"code", "whole"}], each old code valid the day before the unit's
valid_from; a code linked whole:true is in no other unit's formed_from of
the same day; a code linked whole:false is in at least two. Every commune of
provinces 35, 36 and 37 valid on 2025-06-30 is in a formed_from of a unit
from 2025-07-01. Communes that ended on another day with no link are listed
as notices (not errors). Prints "N units in M files, E errors"; exit 1 on
any error, 2 on bad usage. python3 only, no third-party modules.
"""
import datetime
import json
import os
import sys
import tempfile

LEVELS = {"province": 2, "district": 3, "commune": 5}
RANK = {"province": 0, "district": 1, "commune": 2}
KEYS = ("code", "name", "level", "parent", "urban", "valid_from", "valid_to")
# Longest prefix first ("Thị xã" before "Xã").
URBAN = (("Thị trấn ", True), ("Thị xã ", True), ("Thành phố ", True), ("Phường ", True),
         ("Quận ", True), ("Xã ", False), ("Huyện ", False), ("Tỉnh ", False))
REFORM_DAY = "2025-07-01"
REFORM_PROVINCES = ("35", "36", "37")
DAY = datetime.timedelta(days=1)


def day(s):
    try:
        return datetime.date.fromisoformat(s) if isinstance(s, str) and len(s) == 10 else None
    except ValueError:
        return None


class Checker:
    def __init__(self):
        self.errors = []
        self.notices = []
        self.units = []  # (file, unit dict, from date, to date or None)
        self.files = 0

    def err(self, where, what):
        self.errors.append("%s: %s" % (where, what))

    # --- files and units ---------------------------------------------
    def load_dir(self, d):
        names = sorted(n for n in os.listdir(d) if n.endswith(".json") and not n.startswith("."))
        ids = {}
        for n in names:
            self.load_file(os.path.join(d, n), n, ids)

    def load_file(self, path, name, ids):
        self.files += 1
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            self.err(name, "not JSON: %s" % e)
            return
        if not isinstance(doc, dict):
            self.err(name, "expected an object")
            return
        for k in ("id", "version", "note"):
            if not isinstance(doc.get(k), str) or not doc[k].strip():
                self.err(name, "%s: expected a non-empty string" % k)
        if isinstance(doc.get("id"), str):
            if doc["id"] in ids:
                self.err(name, "id %s: also the id of %s" % (doc["id"], ids[doc["id"]]))
            ids[doc["id"]] = name
        if not isinstance(doc.get("units"), list):
            self.err(name, "units: expected an array")
            return
        for i, u in enumerate(doc["units"]):
            self.load_unit(name, i, u)

    def load_unit(self, name, i, u):
        code = u.get("code") if isinstance(u, dict) else None
        where = "%s: units[%d] (unit %s)" % (name, i, code)
        if not isinstance(u, dict):
            self.err(where, "expected an object")
            return
        missing = [k for k in KEYS if k not in u]
        if missing:
            self.err(where, "missing " + ", ".join(missing))
            return
        level, nm = u["level"], u["name"]
        if level not in LEVELS:
            self.err(where, "level %r: expected province, district or commune" % level)
            return
        if not (isinstance(code, str) and code.isdigit() and len(code) == LEVELS[level]):
            self.err(where, "code: expected %d digits for a %s" % (LEVELS[level], level))
        if not isinstance(nm, str) or not nm.strip():
            self.err(where, "name: expected a non-empty string")
            nm = ""
        if (u["parent"] is None) != (level == "province"):
            self.err(where, "parent: a province has none, every other unit one")
        if not isinstance(u["urban"], bool):
            self.err(where, "urban: expected true or false")
        else:
            want = next((v for p, v in URBAN if nm.startswith(p)), None)
            if want is None:
                self.err(where, "name %r: no known prefix (Xã, Phường, Thị trấn, ...)" % nm)
            elif want != u["urban"]:
                self.err(where, "urban is %s but %r is %s" % (
                    str(u["urban"]).lower(), nm, "urban" if want else "rural"))
        f, t = day(u["valid_from"]), day(u["valid_to"]) if u["valid_to"] is not None else None
        if f is None:
            self.err(where, "valid_from: expected a date YYYY-MM-DD")
            return
        if u["valid_to"] is not None and t is None:
            self.err(where, "valid_to: expected a date YYYY-MM-DD or null")
            return
        if t is not None and t < f:
            self.err(where, "valid_to %s is before valid_from %s" % (t, f))
        self.units.append((name, i, u, f, t))

    # --- across files -------------------------------------------------
    def versions(self, code):
        return [x for x in self.by_code.get(code, [])]

    def valid_on(self, code, d):
        return [x for x in self.by_code.get(code, []) if x[3] <= d and (x[4] is None or d <= x[4])]

    def covers(self, code, f, t):
        """The versions of code cover f..t (t None: open) without a gap."""
        cur = f
        for x in sorted(self.by_code.get(code, []), key=lambda x: x[3]):
            if x[3] > cur:
                continue
            if x[4] is None:
                return True
            if x[4] >= cur:
                cur = x[4] + DAY
            if t is not None and cur > t:
                return True
        return False

    def check(self):
        self.by_code = {}
        for x in self.units:
            self.by_code.setdefault(x[2]["code"], []).append(x)
        for code, vs in self.by_code.items():
            vs = sorted(vs, key=lambda x: x[3])
            for a, b in zip(vs, vs[1:]):
                if a[4] is None or a[4] >= b[3]:
                    self.err("%s: units[%d] (unit %s)" % (b[0], b[1], code),
                             "valid from %s, overlapping the version from %s in %s" % (
                                 b[3], a[3], a[0]))
        for x in self.units:
            self.check_parent(x)
            self.check_links(x)
        self.check_link_sharing()
        self.check_coverage()

    def check_parent(self, x):
        name, i, u, f, t = x
        p = u["parent"]
        if p is None:
            return
        where = "%s: units[%d] (unit %s)" % (name, i, u["code"])
        ps = self.by_code.get(p)
        if not ps:
            self.err(where, "parent %s is not a unit of any file" % p)
            return
        if any(RANK[y[2]["level"]] >= RANK[u["level"]] for y in ps):
            self.err(where, "parent %s is not of a higher level than %s" % (p, u["level"]))
        if not self.covers(p, f, t):
            self.err(where, "parent %s is not valid over %s..%s" % (p, f, t or "open"))

    def check_links(self, x):
        name, i, u, f, t = x
        links = u.get("formed_from")
        if links is None:
            return
        where = "%s: units[%d] (unit %s)" % (name, i, u["code"])
        if not isinstance(links, list) or not links:
            self.err(where, "formed_from: expected a non-empty array of {code, whole}")
            return
        seen = set()
        for j, l in enumerate(links):
            if not (isinstance(l, dict) and isinstance(l.get("code"), str)
                    and isinstance(l.get("whole"), bool) and set(l) == {"code", "whole"}):
                self.err(where, "formed_from[%d]: expected {\"code\", \"whole\"}" % j)
                continue
            if l["code"] in seen:
                self.err(where, "formed_from[%d]: %s listed twice" % (j, l["code"]))
            seen.add(l["code"])
            if not self.valid_on(l["code"], f - DAY):
                self.err(where, "formed_from[%d]: old unit %s was not valid on %s, the day"
                         " before this unit's valid_from" % (j, l["code"], f - DAY))

    def link_table(self):
        """(valid_from, old code) -> [(where, whole)]"""
        tab = {}
        for name, i, u, f, t in self.units:
            for l in u.get("formed_from") or []:
                if isinstance(l, dict) and isinstance(l.get("code"), str):
                    tab.setdefault((f, l["code"]), []).append(
                        ("%s: units[%d] (unit %s)" % (name, i, u["code"]), l.get("whole")))
        return tab

    def check_link_sharing(self):
        for (f, old), users in sorted(self.link_table().items()):
            wholes = [w for w, whole in users if whole is True]
            if wholes and len(users) > 1:
                self.err(wholes[0], "formed_from: %s is linked whole, yet also in %s" % (
                    old, ", ".join(w for w, _ in users if w != wholes[0])))
            if users and all(whole is False for _, whole in users) and len(users) < 2:
                self.err(users[0][0], "formed_from: %s is linked in part (whole:false) but"
                         " is in no other unit's formed_from of %s" % (old, f))

    def province_of(self, x, d):
        seen = 0
        while x[2]["level"] != "province" and seen < 4:
            ps = self.valid_on(x[2]["parent"], d) if x[2]["parent"] else []
            if not ps:
                return None
            x, seen = ps[0], seen + 1
        return x[2]["code"]

    def check_coverage(self):
        tab = self.link_table()
        reform, eve = day(REFORM_DAY), day(REFORM_DAY) - DAY
        for x in self.units:
            name, i, u, f, t = x
            if u["level"] != "commune" or t is None:
                continue
            linked = (t + DAY, u["code"]) in tab
            if t == eve and self.province_of(x, eve) in REFORM_PROVINCES and not linked:
                self.err("%s: units[%d] (unit %s)" % (name, i, u["code"]),
                         "%s ends %s but no unit from %s lists it in formed_from" % (
                             u["name"], t, reform))
            elif t != eve and not linked and not self.valid_on(u["code"], t + DAY):
                self.notices.append("%s: %s %s ended %s; no unit of %s links it (see the"
                                    " file's note)" % (name, u["code"], u["name"], t, t + DAY))


def run(d, verbose=True):
    c = Checker()
    c.load_dir(d)
    c.check()
    if verbose:
        for e in c.errors:
            print("error: " + e)
        if c.notices:
            print("%d communes ended with no link to a later unit (notices, not errors)"
                  % len(c.notices))
        print("%d units in %d files, %d errors" % (len(c.units), c.files, len(c.errors)))
    return c


# --- self test: each case must give exactly the error it names -----------
def _u(code, name, level, parent, urban, f, t, links=None):
    u = {"code": code, "name": name, "level": level, "parent": parent, "urban": urban,
         "valid_from": f, "valid_to": t}
    if links is not None:
        u["formed_from"] = [{"code": c, "whole": w} for c, w in links]
    return u


def _base():
    return [_u("37", "Tỉnh A", "province", None, False, "2020-01-01", "2025-06-30"),
            _u("370", "Huyện B", "district", "37", False, "2020-01-01", "2025-06-30"),
            _u("14404", "Xã C", "commune", "370", False, "2020-01-01", "2025-06-30"),
            _u("14407", "Phường D", "commune", "370", True, "2020-01-01", "2025-06-30"),
            _u("37", "Tỉnh A", "province", None, False, "2025-07-01", None, [("37", True)]),
            _u("14404", "Xã C", "commune", "37", False, "2025-07-01", None,
               [("14404", True), ("14407", False)]),
            _u("14410", "Phường E", "commune", "37", True, "2025-07-01", None,
               [("14407", False)])]


def _mutate(i, **kw):
    def f(units):
        units[i].update(kw)
    return f


SELFTEST = [
    ("the base is clean", lambda us: None, None),
    ("code length", _mutate(2, code="1440"), "code: expected 5 digits"),
    ("urban against name", _mutate(3, urban=False), "urban is false but"),
    ("empty name", _mutate(2, name=""), "name: expected a non-empty string"),
    ("missing parent", _mutate(2, parent="999"), "parent 999 is not a unit"),
    ("parent ends early", _mutate(1, valid_to="2024-12-31"), "is not valid over"),
    ("overlap", _mutate(5, valid_from="2025-06-01"), "overlapping"),
    ("link to a unit not valid the day before", _mutate(6, formed_from=[
        {"code": "14407", "whole": False}, {"code": "99999", "whole": True}]),
     "old unit 99999 was not valid"),
    ("whole link shared", _mutate(6, formed_from=[{"code": "14404", "whole": True},
                                                  {"code": "14407", "whole": False}]),
     "is linked whole, yet also in"),
    ("partial link alone", lambda us: us.pop(6), "is linked in part"),
    ("old commune not covered", _mutate(5, formed_from=[{"code": "14407", "whole": False}]),
     "no unit from 2025-07-01 lists it"),
    ("valid_to before valid_from", _mutate(2, valid_to="2019-12-31"), "is before valid_from"),
]


def selftest():
    bad = 0
    for what, mutate, want in SELFTEST:
        units = _base()
        mutate(units)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "t.json"), "w", encoding="utf-8") as f:
                json.dump({"id": "t", "version": "1", "note": "test", "units": units}, f)
            c = run(d, verbose=False)
        ok = (not c.errors) if want is None else any(want in e for e in c.errors)
        if not ok:
            bad += 1
            print("selftest FAILED: %s: wanted %r, got %r" % (what, want, c.errors))
    print("selftest: %d of %d cases as expected" % (len(SELFTEST) - bad, len(SELFTEST)))
    return bad == 0


def main(argv):
    args = argv[1:]
    ok = True
    if args and args[0] == "--selftest":
        ok = selftest()
        args = args[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):
        sys.stderr.write("usage: units-check.py [--selftest] [DIR]\n")
        return 2
    d = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "..", "schemas", "units")
    if not os.path.isdir(d):
        sys.stderr.write("units-check.py: %s is not a folder\n" % d)
        return 2
    c = run(d)
    return 0 if ok and not c.errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
