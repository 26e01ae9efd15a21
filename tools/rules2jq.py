#!/usr/bin/env python3
"""rules2jq.py RULES.yaml > score.jq

Translate the score: section of an lq rule file into one jq 1.6 program that
does the same work as `lq-score -r RULES --now NOW`: every signal (conditions
and decaying events), groups with caps, disqualifiers, tiers, confidence,
action and reasons; the result is added to each record as .score.  Used by
`make bench` so the jq CLI is measured doing what lq-score does.
Run it as: jq -c --argjson now EPOCH -f score.jq leads.ndjson
"""
import json
import re
import sys

import yaml


def dur(v):
    if isinstance(v, (int, float)):
        return float(v) * 86400
    m = re.fullmatch(r"([0-9.]+)([smhdw]?)", str(v))
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 86400}
    return float(m.group(1)) * mult[m.group(2)]


def lead_path(expr):
    if "//" in expr:
        return None
    m = re.match(r"[\s(]*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", expr)
    return m.group(1) if m else None


def main():
    doc = yaml.safe_load(open(sys.argv[1]))["score"]
    groups = list(doc["groups"].keys())
    caps = {g: (doc["groups"][g] or {}) for g in groups}
    tiers = doc["tiers"]
    review = doc.get("review", {}) or {}
    conf = doc.get("confidence", {}) or {}
    band = review.get("band", 0)
    minconf = review.get("min_confidence", 0)
    margin = conf.get("margin", 10)
    floor = conf.get("floor", 0.5)
    out = []
    out.append('def ts: if type == "number" then (if . > 1e11 or . < -1e11 then . / 1000 else . end)'
               ' else sub("\\\\.[0-9]+Z$"; "Z") | fromdateiso8601 end;')
    out.append("def r2: (. * 100 | round) / 100;")
    out.append(". as $rec")
    sigs = doc["signals"]
    total_w = 0
    parts = []
    for i, s in enumerate(sigs):
        req = s.get("requires")
        expr = s.get("when") or s.get("events")
        if req is None:
            p = lead_path(expr)
            req = [p] if p else []
        req = ["." + r.lstrip(".") for r in req]
        miss = " or ".join("($rec | try (%s == null) catch true)" % r for r in req) or "false"
        pts = s["points"]
        w = abs(s.get("max", pts)) if "events" in s and "max" in s else abs(pts)
        total_w += w
        if "when" in s:
            v = ('(try ([(\n%s\n)] | map(. != null and . != false) | any | if . then {p: %r, s: 1}'
                 ' elif %s then {p: 0, s: 2} else {p: 0, s: 0} end) catch {p: 0, s: 2})'
                 % (s["when"], pts, miss))
        else:
            hl = dur(s["half_life"])
            cap = ""
            if "max" in s:
                cap = (" | if %r >= 0 then ([., %r] | min) else ([., %r] | max) end"
                       % (pts, s["max"], s["max"]))
            v = ('(try ([(\n%s\n)] as $ev | [$ev[] | (try ts catch null) | select(. != null)] as $t'
                 ' | if ($t | length) > 0 then {p: ($t | map(%r * pow(0.5; ((($now - .) | if . < 0 then 0 else . end) / %r))) | add%s), s: 1}'
                 ' elif ($ev | length) > 0 then {p: 0, s: 2} elif %s then {p: 0, s: 2} else {p: 0, s: 0} end)'
                 ' catch {p: 0, s: 2})' % (s["events"], pts, hl, cap, miss))
        parts.append(v)
    out.append("| [\n" + ",\n".join(parts) + "\n] as $v")
    names = json.dumps([s["name"] for s in sigs])
    sgroups = json.dumps([s["group"] for s in sigs])
    weights = json.dumps([abs(s.get("max", s["points"])) if "events" in s and "max" in s else abs(s["points"]) for s in sigs])
    out.append("| %s as $names | %s as $sg | %s as $w" % (names, sgroups, weights))
    dq = doc.get("disqualify", []) or []
    dparts = ["(try ([(\n%s\n)] | map(. != null and . != false) | any) catch false)" % d["when"] for d in dq]
    out.append("| [" + ",".join(dparts) + "] as $dq")
    out.append("| %s as $dqinfo" % json.dumps([{"name": d["name"], "tier": d.get("tier", "L4"),
                                                 "action": d.get("action", "nurture" if d.get("tier", "L4") == "L4" else "route"),
                                                 "reason": d.get("reason", d["name"])} for d in dq]))
    gexpr = []
    for g in groups:
        c = caps[g]
        e = "([range(0; $v | length) | select($sg[.] == %s) | $v[.].p] | add // 0)" % json.dumps(g)
        raw = e
        if "cap" in c:
            e = "([%s, %r] | min)" % (e, c["cap"])
        if "min" in c:
            e = "([%s, %r] | max)" % (e, c["min"])
        gexpr.append('{name: %s, raw: %s, v: %s}' % (json.dumps(g), raw, e))
    out.append("| [" + ", ".join(gexpr) + "] as $g")
    out.append("| ($g | map(.v) | add | r2) as $pts")
    out.append("| (if $pts >= %r then \"L1\" elif $pts >= %r then \"L2\" elif $pts >= %r then \"L3\" else \"L4\" end) as $tier"
               % (tiers["L1"], tiers["L2"], tiers["L3"]))
    out.append("| ([%r, %r, %r] | map(($pts - .) | fabs) | min) as $dist" % (tiers["L1"], tiers["L2"], tiers["L3"]))
    out.append("| ([range(0; $v | length) | select($v[.].s == 2) | $w[.]] | add // 0) as $uw")
    out.append("| (if %r > 0 then 1 - $uw / %r else 1 end) as $cov" % (total_w, total_w))
    out.append("| ($cov * (%r + (1 - %r) * ([$dist / %r, 1] | min))) as $conf0" % (floor, floor, margin))
    out.append("| ([range(0; $dq | length) | select($dq[.])] | first // null) as $d")
    out.append("| (if $d != null then $dqinfo[$d].tier else $tier end) as $tier"
               "| (if $d != null then 1 else $conf0 end) as $conf"
               "| (if $d != null then $dqinfo[$d].action elif $tier == \"L4\" and $dist >= %r and $conf >= %r then \"nurture\""
               " elif $dist < %r or $conf < %r then \"review\" else \"route\" end) as $action"
               % (band, minconf, band, minconf))
    out.append("| . + {score: {points: $pts, tier: $tier, confidence: ($conf | r2), action: $action,"
               " groups: ($g | map({(.name): (.v | r2)}) | add), unknown: ([$v[] | select(.s == 2)] | length),"
               " reasons: ([range(0; $dq | length) | select($dq[.]) | $dqinfo[.] | {disqualifier: .name, tier, reason}]"
               " + [range(0; $v | length) | select($v[.].s != 0) | if $v[.].s == 2 then {signal: $names[.], group: $sg[.], unknown: true}"
               " else {signal: $names[.], group: $sg[.], points: ($v[.].p | r2)} end]"
               " + [$g[] | select(.raw != .v) | {group: .name, capped: .v, uncapped: .raw}])}}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
