#!/usr/bin/env python3
"""gen-outcomes.py - join example leads with simulated CRM outcomes.

    python3 tools/gen-outcomes.py [--seed S] [LEADS.ndjson] > outcomes.ndjson

Reads leads (default examples/leads.ndjson), and for each writes the lead
with a "crm" member as a CRM export joined on lead id would give it:
status (accepted, rejected, open or null when never handed to a rep),
status_at, first_touch_at (with time-zone offsets, sometimes missing),
meeting_at, stage (won, lost, open or null), amount and closed_at.  A lead
without "score" or "route" members gets a simple stand-in (points,
probability, tier; owner) so the example works before the pipeline has
run.  Outcomes depend on the probability; leads created after 2026-11-01
are handled worse (slower contact, more rejections) so that lq-report
--split 2026-11-01 has something to find.  Standard library only,
deterministic.
"""
import argparse
import datetime as dt
import hashlib
import json
import math
import random
import sys

REPS = ["ana.silva", "ben.okafor", "chloe.martin", "dev.patel", "eva.novak"]
ZONES = [dt.timezone.utc, dt.timezone(dt.timedelta(hours=2)),
         dt.timezone(dt.timedelta(hours=-5)),
         dt.timezone(dt.timedelta(hours=5, minutes=30))]
SPLIT = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def parse(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def fmt(t, rng):
    z = rng.choice(ZONES)
    s = t.astimezone(z).isoformat(timespec="seconds")
    return s.replace("+00:00", "Z")


def stand_in_score(lead):
    pts = 0
    form = lead.get("form") or {}
    chat = lead.get("chat") or {}
    pts += {"this quarter": 25, "next quarter": 15, "this year": 8}.get(
        form.get("timeline"), 0)
    pts += 15 if form.get("budget") == "yes" else 0
    pts += 10 if chat.get("asked_pricing") else 0
    pts += 10 if chat.get("asked_demo") else 0
    pages = [v.get("page") for v in lead.get("visits") or []]
    pts += 10 * min(2, sum(p in ("/pricing", "/demo") for p in pages))
    pts += 5 * min(2, len(lead.get("downloads") or []))
    emp = lead.get("employees") or 0
    pts += 10 if emp >= 200 else 0
    prob = 1 / (1 + math.exp(-(pts - 45) / 12))
    tier = "L1" if pts >= 60 else "L2" if pts >= 40 else \
        "L3" if pts >= 20 else "L4"
    return {"points": pts, "tier": tier, "probability": round(prob, 4)}


def outcome(lead, prob, rng):
    created = parse(lead["created_at"])
    late = created >= SPLIT
    crm = {"status": None, "status_at": None, "first_touch_at": None,
           "meeting_at": None, "stage": None, "amount": None,
           "closed_at": None}
    tier = (lead.get("score") or {}).get("tier")
    if tier == "L4" and rng.random() < 0.8:
        return crm                      # nurtured, never handed
    # speed to first human contact (seconds): faster for high tiers
    scale = {"L1": 120, "L2": 600, "L3": 3600}.get(tier, 7200)
    if late:
        scale *= 4
    if rng.random() < 0.9:
        wait = rng.expovariate(1 / scale) + rng.uniform(5, 40)
        crm["first_touch_at"] = fmt(created + dt.timedelta(seconds=wait),
                                    rng)
    p_accept = min(0.95, 0.3 + prob * (0.55 if late else 0.8))
    r = rng.random()
    if r < p_accept:
        crm["status"] = "accepted"
    elif r < p_accept + 0.8 * (1 - p_accept):
        crm["status"] = "rejected"
    else:
        crm["status"] = "open"
    if crm["status"] != "open":
        crm["status_at"] = fmt(created + dt.timedelta(
            hours=rng.uniform(0.5, 48)), rng)
    if crm["status"] != "accepted":
        return crm
    if rng.random() < 0.6:
        crm["meeting_at"] = fmt(created + dt.timedelta(
            days=rng.uniform(1, 10)), rng)
    if rng.random() < 0.7:
        crm["amount"] = round(rng.lognormvariate(9.5, 0.6), -2)
        days = rng.uniform(7, 45)
        close = created + dt.timedelta(days=days)
        if close > dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc):
            crm["stage"] = "open"
        else:
            crm["stage"] = "won" if rng.random() < 0.25 + 0.6 * prob \
                else "lost"
            crm["closed_at"] = fmt(close, rng)
            if crm["stage"] == "lost":
                crm["amount"] = None
    return crm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("leads", nargs="?", default="examples/leads.ndjson")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    out = sys.stdout
    with open(a.leads, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            lead = json.loads(line)
            h = int(hashlib.sha1(str(lead["id"]).encode()).hexdigest(), 16)
            rng = random.Random(a.seed * 1000003 + h % 1000003)
            if "score" not in lead:
                lead["score"] = stand_in_score(lead)
            if "route" not in lead:
                lead["route"] = {"owner": REPS[h % len(REPS)]}
            prob = lead["score"].get("probability")
            if prob is None:
                prob = 0.3
            lead["crm"] = outcome(lead, prob, rng)
            out.write(json.dumps(lead, ensure_ascii=False,
                                 separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
