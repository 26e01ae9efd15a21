#!/usr/bin/env python3
"""gen-leads.py - deterministic synthetic B2B SaaS inbound leads for lq.

usage: gen-leads.py [-n N] [--seed S] [--now RFC3339] [--companies FILE]
                    [--ncompanies M]

Writes N leads (default 300) as NDJSON on standard output.  With
--companies FILE it also writes the company table that lq-enrich matches
lead email domains against (CSV, M rows, default 200):

    domain,name,employees,industry,revenue_usd,funding_stage,tech,country,hq_region

The same arguments always give the same bytes (Python standard library
only; all randomness from one seeded generator; times relative to --now).

The leads are inbound leads of a B2B SaaS vendor selling revenue
operations software (lead routing and scoring).  A hidden "fit" and
"intent" per lead drive what is observable, so the data has the
correlations a scoring model should find: larger, funded software and
fintech companies on a modern stack visit /pricing, book demos and say
"this quarter"; students use gmail, title Student and read the blog;
competitors (hubspot.com, salesforce.com ...) study /pricing and
/compare pages.  Some fields are missing or messy on purpose: country
spellings, typed company names, typo'd and disposable email providers,
role accounts, malformed addresses, leads without email or company.
"""

import argparse
import bisect
import datetime
import itertools
import json
import math
import random
import sys
import time

ID_BASE = 1000000000000011631
ID_STEP = 7919
DAY = 86400

# ---- reference tables --------------------------------------------------------

# code: (spellings as typed, weight, hq_region, [(city, region)], phone prefix)
COUNTRIES = {
    "US": (["US", "USA", "United States", "United States of America", "U.S.", "us"],
           30, "NA", [("San Francisco", "CA"), ("New York", "NY"), ("Austin", "TX"),
                      ("Boston", "MA"), ("Chicago", "IL"), ("Seattle", "WA"),
                      ("Denver", "CO"), ("Atlanta", "GA")], "+1"),
    "CA": (["Canada", "CA"], 4, "NA", [("Toronto", "ON"), ("Montréal", "QC"),
                                      ("Vancouver", "BC")], "+1"),
    "GB": (["UK", "United Kingdom", "GB", "Great Britain", "England"], 9, "EMEA",
           [("London", "England"), ("Manchester", "England"), ("Edinburgh", "Scotland")], "+44"),
    "DE": (["Germany", "Deutschland", "DE"], 8, "EMEA",
           [("Berlin", "Berlin"), ("München", "Bayern"), ("Hamburg", "Hamburg"),
            ("Köln", "Nordrhein-Westfalen")], "+49"),
    "FR": (["France", "FR"], 5, "EMEA", [("Paris", "Île-de-France"), ("Lyon", "Auvergne-Rhône-Alpes")], "+33"),
    "NL": (["Netherlands", "The Netherlands", "Holland", "NL"], 3, "EMEA",
           [("Amsterdam", "Noord-Holland"), ("Utrecht", "Utrecht")], "+31"),
    "SE": (["Sweden", "Sverige"], 2, "EMEA", [("Stockholm", "Stockholm"), ("Göteborg", "Västra Götaland")], "+46"),
    "NO": (["Norway", "Norge"], 2, "EMEA", [("Oslo", "Oslo"), ("Bergen", "Vestland")], "+47"),
    "ES": (["Spain", "España", "ES"], 3, "EMEA", [("Madrid", "Madrid"), ("Barcelona", "Cataluña")], "+34"),
    "PL": (["Poland", "Polska"], 2, "EMEA", [("Warszawa", "Mazowieckie"), ("Kraków", "Małopolskie")], "+48"),
    "TR": (["Turkey", "Türkiye"], 1, "EMEA", [("İstanbul", "İstanbul")], "+90"),
    "CH": (["Switzerland", "Schweiz", "CH"], 2, "EMEA", [("Zürich", "Zürich"), ("Genève", "Genève")], "+41"),
    "BR": (["Brazil", "Brasil", "BR"], 4, "LATAM", [("São Paulo", "SP"), ("Rio de Janeiro", "RJ")], "+55"),
    "MX": (["Mexico", "México"], 2, "LATAM", [("Ciudad de México", "CDMX"), ("Monterrey", "NL")], "+52"),
    "IN": (["India", "IN"], 5, "APAC", [("Bengaluru", "Karnataka"), ("Mumbai", "Maharashtra"), ("Pune", "Maharashtra")], "+91"),
    "SG": (["Singapore", "SG"], 2, "APAC", [("Singapore", None)], "+65"),
    "AU": (["Australia", "AU"], 3, "APAC", [("Sydney", "NSW"), ("Melbourne", "VIC")], "+61"),
    "JP": (["Japan", "日本"], 2, "APAC", [("東京", "東京都"), ("大阪", "大阪府")], "+81"),
    "CN": (["China", "中国"], 2, "APAC", [("上海", "上海市"), ("深圳", "广东省")], "+86"),
    "VN": (["Vietnam", "Viet Nam"], 1, "APAC", [("Hà Nội", "Hà Nội"), ("Thành phố Hồ Chí Minh", None)], "+84"),
}

# name pools: "Display" or "Display|ascii for email"
_ANGLO_F = "Emily Olivia Sarah Jessica Megan Hannah Zoë|zoe Chloé|chloe Rachel Ashley Grace Nicole Lauren".split()
_ANGLO_M = "James Michael David Daniel Ryan Matthew Chris Andrew Tyler Kevin Brian Jonathan".split()
_ANGLO_L = ("Smith Johnson Williams Brown Miller Davis Wilson Taylor Anderson Clark O'Brien|obrien "
            "Nguyễn|nguyen García|garcia Kim Patel Cohen Murphy Walsh").split()
NAMES = {
    "anglo": (_ANGLO_F + _ANGLO_M, _ANGLO_L),
    "de": ("Jürgen|juergen Lukas Anna Lena Björn|bjoern Katharina Jörg|joerg Felix Sophie Maximilian Zoë|zoe".split(),
           "Müller|mueller Schröder|schroeder Weiß|weiss Groß|gross Fischer Becker Hoffmann Schäfer|schaefer Köhler|koehler Wagner".split()),
    "fr": ("Léa|lea Hélène|helene François|francois Benoît|benoit Camille Julien Amélie|amelie Théo|theo Céline|celine".split(),
           "Dubois Lefèvre|lefevre Gérard|gerard Moreau Laurent Girard Bonnet Rousseau".split()),
    "es": ("José|jose María|maria Lucía|lucia Javier Sofía|sofia Andrés|andres Carmen Álvaro|alvaro".split(),
           "García|garcia Pérez|perez Martínez|martinez López|lopez Sánchez|sanchez Fernández|fernandez Núñez|nunez".split()),
    "pt": ("João|joao Ana Beatriz Gonçalo|goncalo Mariana Luís|luis Thiago Conceição|conceicao".split(),
           "Silva Santos Gonçalves|goncalves Araújo|araujo Ribeiro Oliveira Carvalho".split()),
    "nordic": ("Åsa|asa Søren|soren Bjørn|bjorn Ingrid Lars Sigrid Magnus Astrid Erik".split(),
               "Ødegaard|odegaard Sjöberg|sjoberg Løkken|lokken Johansson Andersen Lindqvist Haugen".split()),
    "nl": ("Daan Sanne Bram Fleur Joris Eva Sven Lotte".split(),
           "de Vries|devries van Dijk|vandijk Jansen Bakker Visser Smit".split()),
    "pl": ("Łukasz|lukasz Zofia Paweł|pawel Małgorzata|malgorzata Piotr Agnieszka".split(),
           "Wiśniewski|wisniewski Kowalczyk Nowak Wójcik|wojcik Kamiński|kaminski".split()),
    "tr": ("Çağla|cagla Ömer|omer Elif Mehmet Zeynep Emre".split(),
           "Yılmaz|yilmaz Şahin|sahin Demir Çelik|celik Aydın|aydin".split()),
    "in": ("Priya Arjun Aditya Ananya Rohan Kavya Vikram Sneha".split(),
           "Sharma Patel Iyer Reddy Gupta Nair Mehta".split()),
    "jp": ("翔太|shota 陽菜|hina 大輔|daisuke 美咲|misaki Kenji Yuki".split(),
           "佐藤|sato 鈴木|suzuki 高橋|takahashi Tanaka Watanabe".split()),
    "cn": ("芳|fang 娜|na 伟|wei 磊|lei Wei Jing Li".split(),
           "王|wang 李|li 张|zhang 刘|liu Chen Zhou".split()),
    "vn": ("Hương|huong Minh Thảo|thao Tuấn|tuan Linh".split(),
           "Nguyễn|nguyen Trần|tran Lê|le Phạm|pham".split()),
}
COUNTRY_NAMES = {"US": "anglo", "CA": "anglo", "GB": "anglo", "AU": "anglo", "SG": "anglo",
                 "DE": "de", "CH": "de", "FR": "fr", "ES": "es", "MX": "es", "BR": "pt",
                 "SE": "nordic", "NO": "nordic", "NL": "nl", "PL": "pl", "TR": "tr",
                 "IN": "in", "JP": "jp", "CN": "cn", "VN": "vn"}

TLD = {"US": ".com", "CA": ".ca", "GB": ".co.uk", "DE": ".de", "FR": ".fr", "NL": ".nl",
       "SE": ".se", "NO": ".no", "ES": ".es", "PL": ".pl", "TR": ".com.tr", "CH": ".ch",
       "BR": ".com.br", "MX": ".mx", "IN": ".in", "SG": ".sg", "AU": ".com.au", "JP": ".jp",
       "CN": ".cn", "VN": ".vn"}
SUFFIX = {"US": ["Inc", "Inc.", "LLC", "Corp"], "CA": ["Inc", "Ltd"], "GB": ["Ltd", "Ltd.", "plc"],
          "AU": ["Pty Ltd"], "DE": ["GmbH", "AG", "SE"], "CH": ["AG", "GmbH", "SA"],
          "FR": ["SAS", "SA"], "NL": ["B.V."], "SE": ["AB"], "NO": ["AS"], "ES": ["S.L.", "S.A."],
          "PL": ["sp. z o.o."], "TR": ["A.Ş."], "BR": ["Ltda", "S.A."], "MX": ["S.A. de C.V."],
          "IN": ["Pvt Ltd"], "SG": ["Pte Ltd"], "JP": ["K.K."], "CN": ["Co., Ltd."], "VN": ["JSC"]}

SYL = ("ac ad al an ar as at ba be bo bri ca ce cla co cor da de del di do e el en"
       " fa fe fi flo ga ge gri ha he hy i in io ka ke ki la le li lo lu ma me mi mo"
       " na ne no nu o ol om or pa pe pi po qua ra re ri ro sa se si so sta su ta te"
       " ti to tra u va ve vi vo xa ze zi zo").split()
WORD = ("Labs Cloud Data Systems Analytics Works Logic Health Pay Commerce Logistics Robotics"
        " Learning Media Energy Bio Security Ventures Networks Software Digital Foods Motors").split()

# industry (enrichment vocabulary), weight, typed spellings seen on forms
INDUSTRIES = [
    ("software", 26, ["Software", "SaaS", "Computer Software", "software"]),
    ("fintech", 8, ["Fintech", "Financial Services", "FinTech"]),
    ("financial services", 6, ["Banking", "Financial Services", "Insurance"]),
    ("healthcare", 7, ["Healthcare", "Health Care", "Medical Devices"]),
    ("manufacturing", 8, ["Manufacturing", "Industrial", "Maschinenbau"]),
    ("retail", 6, ["Retail", "E-commerce", "eCommerce"]),
    ("education", 5, ["Education", "EdTech", "Higher Education"]),
    ("logistics", 5, ["Logistics", "Transportation", "Supply Chain"]),
    ("media", 4, ["Media", "Marketing & Advertising", "Publishing"]),
    ("professional services", 8, ["Consulting", "Professional Services", "Agency"]),
    ("telecommunications", 3, ["Telecom", "Telecommunications"]),
    ("real estate", 3, ["Real Estate", "PropTech"]),
    ("government", 2, ["Government", "Public Sector"]),
    ("non-profit", 2, ["Non-profit", "NGO", "Nonprofit"]),
]
TYPED_INDUSTRY = {i[0]: i[2] for i in INDUSTRIES}
FUNDING = ["bootstrapped", "seed", "series a", "series b", "series c", "series d+",
           "private equity", "public"]
TECH_CRM = ["salesforce", "hubspot", "pipedrive", "dynamics365", "zoho"]
TECH_OTHER = ["marketo", "segment", "snowflake", "aws", "gcp", "azure", "slack", "zendesk",
              "intercom", "stripe", "outreach", "gong", "salesloft", "dbt", "looker",
              "shopify", "6sense", "clearbit"]

# our competitors: their employees sign up to look at us
COMPETITORS = [
    ("hubspot.com", "HubSpot, Inc.", 7400, "software", 2170000000, "public", "US"),
    ("salesforce.com", "Salesforce, Inc.", 72000, "software", 34800000000, "public", "US"),
    ("pipedrive.com", "Pipedrive OÜ", 950, "software", 150000000, "private equity", "US"),
    ("zoho.com", "Zoho Corporation", 15000, "software", 1000000000, "bootstrapped", "IN"),
    ("freshworks.com", "Freshworks Inc.", 5000, "software", 596000000, "public", "US"),
    ("chilipiper.com", "Chili Piper Inc", 220, "software", 30000000, "series b", "US"),
]
COMPETITOR_NAMES = ["HubSpot", "Salesforce", "Pipedrive", "Zoho", "Freshworks", "Chili Piper",
                    "LeanData", "Marketo"]

FREEMAIL = ["gmail.com"] * 10 + ["yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
                                 "gmx.de", "web.de", "yahoo.co.jp", "qq.com", "163.com",
                                 "proton.me", "orange.fr", "uol.com.br", "mail.ru"]
DISPOSABLE = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com",
              "trashmail.com", "sharklasers.com"]
TYPO = ["gmial.com", "gmai.com", "gmail.con", "hotmial.com", "yaho.com", "outlok.com"]
ROLE = ["info", "sales", "contact", "admin", "hello", "marketing", "office"]
UNIVERSITIES = [("stanford.edu", "Stanford University"), ("mit.edu", "MIT"),
                ("tum.de", "Technische Universität München"), ("ucl.ac.uk", "UCL"),
                ("usp.br", "Universidade de São Paulo"), ("iitb.ac.in", "IIT Bombay"),
                ("uio.no", "Universitetet i Oslo"), (None, None)]

# titles by seniority (English first, some local-language variants)
TITLES = {
    "owner": ["Founder", "Co-Founder", "Owner", "Founder & CEO", "Inhaber"],
    "c-level": ["CEO", "CRO", "Chief Revenue Officer", "COO", "CMO", "CTO", "Geschäftsführer",
                "Directeur Général", "Chief Marketing Officer"],
    "vp": ["VP Sales", "VP of Marketing", "Vice President, Revenue Operations", "SVP Sales",
           "VP Growth", "Vice President Customer Success"],
    "head": ["Head of Sales", "Head of RevOps", "Head of Marketing", "Head of Growth",
             "Leiter Vertrieb", "Head of Demand Generation"],
    "director": ["Director of Sales", "Sales Director", "Director, Marketing Operations",
                 "Directeur Commercial", "Director Revenue Operations", "Diretor Comercial"],
    "manager": ["Sales Manager", "Marketing Manager", "RevOps Manager", "Sales Operations Manager",
                "Demand Generation Manager", "IT Manager", "Gerente de Vendas",
                "Customer Success Manager"],
    "senior": ["Senior Account Executive", "Senior Marketing Ops Specialist",
               "Senior Sales Operations Analyst", "Senior Software Engineer"],
    "entry": ["Account Executive", "SDR", "Sales Development Representative",
              "Marketing Coordinator", "BDR", "Marketing Specialist", "Software Engineer",
              "Data Analyst"],
    "intern": ["Marketing Intern", "Sales Intern", "Werkstudent Marketing"],
}

PAGES_BROWSE = ["/", "/product", "/features/routing", "/features/scoring",
                "/integrations/salesforce", "/integrations/hubspot", "/customers",
                "/security", "/blog/lead-scoring-101", "/blog/speed-to-lead",
                "/blog/revops-hiring", "/docs/getting-started", "/docs/api", "/about"]
PAGES_HOT = ["/pricing", "/demo", "/contact", "/compare/hubspot", "/roi-calculator",
             "/customers/case-study-acme"]
PAGES_STUDENT = ["/blog/lead-scoring-101", "/blog/what-is-revops", "/careers",
                 "/careers/sales-intern", "/docs/getting-started", "/"]
PAGES_HOT_W = PAGES_HOT[:2] * 2 + PAGES_HOT
ASSETS = ["roi-calculator", "buyers-guide", "security-whitepaper", "state-of-revops-2026",
          "case-study-acme", "implementation-checklist", "ebook-lead-routing"]
SOURCES = ["organic", "paid_search", "webinar", "referral", "event", "outbound", "partner"]

REASONS_HOT = [
    "Our SDR team grows from 6 to 20 reps next quarter and round-robin in Salesforce no longer works.",
    "Inbound leads wait 2 days for a reply; we need routing within minutes.",
    "Renewal with {comp} is in {month} and the price doubled. Looking for alternatives.",
    "Board wants pipeline forecasting we can trust before the Series C.",
    "We merged two sales teams and need territory routing across EMEA and NA.",
    "Need lead scoring that marketing and sales both agree on — ASAP.",
    "Evaluating tools for a {n}-person revenue team; want a demo with our RevOps lead.",
    "Wir suchen eine Lösung für Lead-Routing in Salesforce (DACH-Vertrieb).",
    "Nous cherchons à automatiser la qualification des leads entrants.",
]
REASONS_WARM = [
    "Comparing lead scoring tools for next year's budget.",
    "Saw your webinar on speed-to-lead, curious how it works with HubSpot.",
    "Our spreadsheet process is breaking down; exploring options.",
    "A colleague recommended you.",
    "Want to understand pricing for a small team.",
]
REASONS_COLD = [
    "Just browsing.", "Downloaded the guide.", "research", "n/a", "",
    "Looking for a job in sales ops.", "Curious about the product.",
]
REASONS_STUDENT = [
    "Research for my master's thesis on lead scoring.", "University project on CRM systems.",
    "I am a student, looking for an internship.", "Homework: compare B2B marketing tools.",
]
REASONS_COMPETITOR = [
    "Competitive analysis.", "Just checking out the product.", "Evaluating the market.",
    "Looking at your pricing page for a project.",
]
PROCESS = ["spreadsheets", "legacy crm", "competitor", "nothing", "homegrown scripts",
           "manual round-robin"]
MONTHS = ["January", "March", "June", "September", "December"]


_rnd = random.random     # replaced by the seeded generator's method in main()


def pick(seq):
    """A uniformly random element (cheaper than Random.choice)."""
    return seq[int(_rnd() * len(seq))]


def wpick(rng, items, weights):
    """An element drawn with the given weights."""
    x = _rnd() * sum(weights)
    for it, w in zip(items, weights):
        x -= w
        if x < 0:
            return it
    return items[-1]


class WTable:
    """Fixed weights, drawn by bisection."""
    __slots__ = ("items", "cum", "total")

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def draw(self):
        return self.items[bisect.bisect(self.cum, _rnd() * self.total)]


def split_name(s):
    if "|" in s:
        d, a = s.split("|", 1)
        return d, a
    return s, s.lower().replace("'", "").replace(" ", "")


_days = {}


def fmt_time(t):
    """RFC 3339 UTC, whole seconds."""
    t = int(t)
    d, r = divmod(t, DAY)
    p = _days.get(d)
    if p is None:
        p = _days[d] = time.strftime("%Y-%m-%dT", time.gmtime(d * DAY))
    return "%s%02d:%02d:%02dZ" % (p, r // 3600, r // 60 % 60, r % 60)


# ---- companies ---------------------------------------------------------------

class Company:
    __slots__ = ("domain", "name", "employees", "industry", "revenue", "funding", "tech",
                 "country", "region", "typed", "fit", "competitor")


WORKING = 5000          # leads come from the first companies of the table


def csv_name(name):
    if "," in name or '"' in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def make_companies(rng, m, write=None):
    """Make m companies; return the first WORKING of them and, when write
    is given, pass every CSV row (header first) to it."""
    ctab = WTable(COUNTRIES, [COUNTRIES[c][1] for c in COUNTRIES])
    itab = WTable([i[0] for i in INDUSTRIES], [i[1] for i in INDUSTRIES])
    crm_big = WTable(TECH_CRM, [40, 35, 12, 8, 5])
    crm_small = WTable(TECH_CRM, [15, 35, 12, 8, 5])
    percc = {cc: (TLD[cc], SUFFIX[cc], COUNTRIES[cc][2]) for cc in COUNTRIES}
    gtlds = [".com", ".io", ".ai", ".co"]
    fund_by_size = (["bootstrapped", "bootstrapped", "seed"],
                    ["seed", "series a", "series a", "series b", "bootstrapped"],
                    ["series b", "series c", "series d+", "private equity", "bootstrapped"],
                    ["series d+", "public", "public", "private equity"])
    seen = set()
    out = []
    rows = []
    ncomp = min(len(COMPETITORS), max(1, m // 40))
    for (dom, name, emp, ind, rev, fund, cc) in COMPETITORS[:ncomp]:
        c = Company()
        c.domain, c.name, c.employees, c.industry, c.revenue = dom, name, emp, ind, rev
        c.funding, c.country, c.region = fund, cc, COUNTRIES[cc][2]
        c.tech = ["aws", "slack", "snowflake", "gong"]
        c.typed = [name.split(",")[0].split(" ")[0]]
        c.fit, c.competitor = 0.8, True
        seen.add(dom)
        out.append(c)
        rows.append("%s,%s,%d,%s,%d,%s,%s,%s,%s\n" % (dom, csv_name(name), emp, ind, rev,
                                                     fund, ";".join(c.tech), cc, c.region))
    rnd = _rnd
    choice = pick
    nsyl = len(SYL)
    if write:
        write("domain,name,employees,industry,revenue_usd,funding_stage,tech,"
              "country,hq_region\n")
    for i in range(len(out), m):
        cc = ctab.draw()
        tld, suffixes, region = percc[cc]
        while True:
            base = SYL[int(rnd() * nsyl)] + SYL[int(rnd() * nsyl)]
            if rnd() < 0.5:
                base += SYL[int(rnd() * nsyl)]
            word = choice(WORD) if rnd() < 0.35 else ""
            dom = base + word.lower() + (tld if rnd() < 0.55 else choice(gtlds))
            if dom not in seen:
                break
            if rnd() < 0.5:
                # crowded name space (a million companies): add a number
                dom = base + str(int(rnd() * 1000)) + ".com"
                if dom not in seen:
                    break
        seen.add(dom)
        brand = base.capitalize() + (" " + word if word else "")
        name = brand + " " + choice(suffixes)
        # size: log-uniform-ish, skewed to small
        r = rnd()
        if r < 0.30:
            emp = 2 + int(rnd() * 48)
        elif r < 0.62:
            emp = 50 + int(rnd() * 150)
        elif r < 0.84:
            emp = 200 + int(rnd() * 800)
        elif r < 0.96:
            emp = 1000 + int(rnd() * 9000)
        else:
            emp = 10000 + int(rnd() * 90000)
        ind = itab.draw()
        rpe = 60000 + rnd() * (320000 if ind in ("software", "fintech") else 200000)
        rev = int(emp * rpe / 1000) * 1000
        fund = choice(fund_by_size[0 if emp < 20 else 1 if emp < 200 else 2 if emp < 1000 else 3])
        if ind in ("government", "non-profit", "education"):
            fund = "bootstrapped" if ind != "government" else "public"
        modern = ind in ("software", "fintech", "media", "retail") or fund[:6] == "series"
        tech = []
        if emp >= 20 or rnd() < 0.3:
            tech.append((crm_big if emp > 300 else crm_small).draw())
        for _ in range(int(rnd() * (6 if modern else 3))):
            t = choice(TECH_OTHER)
            if t not in tech:
                tech.append(t)
        if write:
            rows.append("%s,%s,%d,%s,%d,%s,%s,%s,%s\n" % (dom, csv_name(name), emp, ind, rev,
                                                         fund, ";".join(tech), cc, region))
            if len(rows) >= 8192:
                write("".join(rows))
                rows = []
        if i >= WORKING:
            continue
        c = Company()
        c.domain, c.name, c.employees, c.industry, c.revenue = dom, name, emp, ind, rev
        c.funding, c.tech, c.country, c.region = fund, tech, cc, region
        c.typed = (brand, brand.upper(), brand.lower(), name, brand)
        # latent fit: the product sells best to 100-5000 people, modern stack
        fit = 0.25
        if 100 <= emp <= 5000:
            fit += 0.35
        elif 50 <= emp < 100 or 5000 < emp <= 20000:
            fit += 0.2
        if ind in ("software", "fintech", "professional services", "media"):
            fit += 0.2
        if "salesforce" in tech or "hubspot" in tech:
            fit += 0.1
        if fund in ("series b", "series c", "series d+"):
            fit += 0.1
        if ind in ("government", "non-profit", "education"):
            fit -= 0.2
        c.fit = min(1.0, max(0.0, fit))
        c.competitor = False
        out.append(c)
    if write and rows:
        write("".join(rows))
    return out


# ---- leads -------------------------------------------------------------------

def pick_title(rng, emp):
    if emp is None:
        w = [8, 8, 6, 8, 10, 20, 12, 20, 8]
    elif emp < 20:
        w = [40, 25, 2, 4, 4, 10, 4, 8, 3]
    elif emp < 200:
        w = [8, 14, 10, 14, 14, 20, 8, 10, 2]
    elif emp < 2000:
        w = [1, 5, 12, 14, 20, 24, 10, 12, 2]
    else:
        w = [0.2, 2, 10, 10, 20, 28, 13, 14, 3]
    sen = wpick(rng, list(TITLES), w)
    return sen, pick(TITLES[sen])


def phone(rng, cc):
    p = COUNTRIES[cc][4]
    digits = "%09d" % int(_rnd() * 1e9)
    if rng.random() < 0.5:
        return "%s %s %s %s" % (p, digits[:3], digits[3:6], digits[6:])
    return p + digits


def make_visits(rng, n, intent, created, now, kind):
    visits = []
    span = max(3600.0, now - created)
    for _ in range(n):
        # most activity after sign-up; high intent = recent and on hot pages
        if rng.random() < 0.25:
            t = created - rng.random() * 30 * DAY
        else:
            t = created + (rng.random() ** (1 + 2 * intent)) * span
            t = now - (t - created) if intent > 0.6 and rng.random() < 0.5 else t
        if kind == "student":
            page = pick(PAGES_STUDENT)
        elif kind == "competitor":
            page = pick(["/pricing", "/pricing", "/compare/hubspot", "/features/scoring",
                               "/features/routing", "/integrations/salesforce"])
        elif rng.random() < 0.15 + 0.45 * intent:
            page = pick(PAGES_HOT_W)
        else:
            page = pick(PAGES_BROWSE)
        sec = int(math.exp(3.2 + 1.2 * intent + 0.9 * rng.gauss(0, 1)))
        visits.append((int(min(t, now)), page, min(sec, 3600)))
    visits.sort()
    return [{"page": p, "at": fmt_time(t), "seconds": s} for (t, p, s) in visits]


def make_lead(rng, k, now, comps, codes, cweights):
    rnd = _rnd
    choice = pick
    lead = {"id": ID_BASE + k * ID_STEP}
    age = min(120 * DAY, rng.expovariate(1 / (20 * DAY)))
    created = now - age
    lead["created_at"] = fmt_time(created)

    # who is this?
    r = rnd()
    kind = "business"
    if r < 0.06:
        kind = "student"
    elif r < 0.09:
        kind = "competitor"
    elif r < 0.17:
        kind = "freemail"
    elif r < 0.19:
        kind = "disposable"
    elif r < 0.22:
        kind = "role"
    elif r < 0.24:
        kind = "typo"
    elif r < 0.255:
        kind = "malformed"
    elif r < 0.275:
        kind = "noemail"

    comp = None
    if kind in ("business", "role", "typo", "malformed", "noemail") or \
            (kind == "freemail" and rnd() < 0.6):
        comp = choice(comps)
        while comp.competitor and kind != "competitor":
            comp = choice(comps)
    if kind == "competitor":
        pool = [c for c in comps[:8] if c.competitor] or comps
        comp = choice(pool)

    cc = comp.country if comp and rnd() < 0.8 else wpick(rng, codes, cweights)
    firsts, lasts = NAMES[COUNTRY_NAMES[cc]]
    fd, fa = split_name(choice(firsts))
    ld, la = split_name(choice(lasts))
    lead["first_name"] = fd
    lead["last_name"] = ld

    # email
    local = choice([fa + "." + la, fa + "." + la, fa[0] + la, fa, fa + la[0], fa + "_" + la])
    email = None
    uni = None
    if kind == "student":
        uni = choice(UNIVERSITIES)
        dom = uni[0] if uni[0] and rnd() < 0.4 else choice(["gmail.com", "gmail.com", "outlook.com", "yahoo.com"])
        email = local + str(int(rnd() * 99)) + "@" + dom if dom == "gmail.com" else local + "@" + dom
    elif kind == "freemail":
        email = local + ("" if rnd() < 0.5 else str(1970 + int(rnd() * 35))) + "@" + choice(FREEMAIL)
    elif kind == "disposable":
        email = choice(["test", "asdf", fa, "xx" + la]) + "@" + choice(DISPOSABLE)
    elif kind == "typo":
        email = local + "@" + choice(TYPO)
    elif kind == "role":
        email = choice(ROLE) + "@" + comp.domain
    elif kind == "malformed":
        email = choice([local + "@", local + " at " + comp.domain, local + "@@" + comp.domain,
                        local + "@" + comp.domain.split(".")[0], "@" + comp.domain])
    elif kind == "noemail":
        email = None
    else:
        dom = comp.domain
        if rnd() < 0.05:
            dom = choice(["eu.", "us.", "mail.", "de."]) + dom
        email = local + "@" + dom
        if rnd() < 0.05:
            email = email.capitalize()
    if kind == "noemail" and rnd() < 0.5:
        pass                               # key absent
    else:
        lead["email"] = email
    if rnd() < 0.7:
        lead["phone"] = phone(rng, cc) if rnd() < 0.93 else None

    # title
    emp = comp.employees if comp else None
    if kind == "student":
        sen, title = "student", choice(["Student", "Student", "student", "MBA Student",
                                        "PhD Student", "Studentin", "Estudiante"])
    elif kind == "competitor":
        sen, title = "manager", choice(["Product Marketing Manager", "Competitive Intelligence Analyst",
                                        "Senior Product Manager", "Account Executive"])
    else:
        sen, title = pick_title(rng, emp)
    if rnd() < 0.06 and kind != "student":
        if rnd() < 0.5:
            lead["title"] = None
    else:
        lead["title"] = title

    # company as typed
    if kind == "student":
        if uni[1] and rnd() < 0.6:
            lead["company"] = uni[1]
        elif rnd() < 0.5:
            lead["company"] = None
    elif comp is not None and rnd() < 0.94:
        lead["company"] = choice(comp.typed)
    elif rnd() < 0.5:
        lead["company"] = choice(["", "-", "n/a", "Freelance", "Self-employed"]) if rnd() < 0.4 else None

    if rnd() < 0.94:
        lead["country"] = choice(COUNTRIES[cc][0])
    city, region = choice(COUNTRIES[cc][3])
    if rnd() < 0.85:
        lead["city"] = city
        if region is not None and rnd() < 0.8:
            lead["region"] = region

    # latent intent
    fit = comp.fit if comp else 0.15
    if kind == "student":
        intent = rnd() * 0.25
    elif kind == "competitor":
        intent = 0.5 + rnd() * 0.3
    elif kind in ("disposable", "typo", "malformed"):
        intent = rnd() * 0.5
    else:
        intent = min(1.0, max(0.0, 0.55 * fit + 0.55 * rnd() - 0.1 + (0.15 if sen in ("vp", "head", "director", "c-level") else 0)))

    if kind == "student":
        src = choice(["organic", "organic", "webinar", "referral"])
    else:
        src = wpick(rng, SOURCES, [30, 22, 14 + 10 * intent, 10, 8, 8 + 8 * fit, 6])
    lead["source"] = src

    if comp is not None and not comp.competitor and rnd() < 0.25:
        e = comp.employees
        lead["employees"] = int(round(e, -1 if e < 1000 else -2)) if rnd() < 0.6 else e
    if comp is not None and rnd() < 0.3:
        lead["industry"] = choice(TYPED_INDUSTRY[comp.industry])

    nvis = int(rng.expovariate(1 / (1 + 9 * intent)))
    if kind == "competitor":
        nvis = 4 + int(rnd() * 8)
    if nvis or rnd() < 0.7:
        lead["visits"] = make_visits(rng, min(nvis, 40), intent, created, now, kind)

    ndl = 0
    if rnd() < 0.15 + 0.5 * intent:
        ndl = 1 + int(rnd() * 1.5 + intent * 1.5)
    if kind == "student" and rnd() < 0.5:
        ndl = 1
    if ndl or rnd() < 0.5:
        dls = []
        for a in rng.sample(ASSETS, min(ndl, len(ASSETS))):
            t = created + rnd() * max(0.0, now - created) if rnd() < 0.7 else created - rnd() * 20 * DAY
            dls.append({"asset": a, "at": fmt_time(min(t, now))})
        lead["downloads"] = dls

    # the form
    if rnd() < 0.88:
        form = {}
        if kind == "student":
            tl = choice(["just researching", "just researching", None])
        elif kind == "competitor":
            tl = choice(["just researching", "this year", None])
        else:
            tl = wpick(rng, ["this quarter", "next quarter", "this year", "just researching", None],
                       [0.05 + 0.6 * intent ** 2, 0.1 + 0.3 * intent, 0.25, 0.5 * (1 - intent), 0.15])
        form["timeline"] = tl
        if kind == "student":
            proc = choice(["nothing", None])
        else:
            proc = wpick(rng, PROCESS + [None], [25, 18, 20 + 15 * intent, 12, 8, 10, 10])
        if rnd() < 0.9:
            form["current_process"] = proc
        if kind == "student":
            reason = choice(REASONS_STUDENT)
        elif kind == "competitor":
            reason = choice(REASONS_COMPETITOR)
        elif intent > 0.55:
            reason = choice(REASONS_HOT)
        elif intent > 0.3:
            reason = choice(REASONS_WARM)
        else:
            reason = choice(REASONS_COLD)
        reason = reason.replace("{comp}", choice(COMPETITOR_NAMES[:3])).replace(
            "{month}", choice(MONTHS)).replace("{n}", str(5 + int(rnd() * 60)))
        if rnd() < 0.92:
            form["reason"] = reason
        cn = None
        if proc == "competitor" or rnd() < 0.1:
            cn = choice(COMPETITOR_NAMES)
        form["competitor"] = cn
        if kind == "student":
            bud = "no"
        else:
            bud = wpick(rng, ["yes", "no", "unknown", None], [0.1 + 0.5 * intent * fit, 0.25, 0.35, 0.1])
        if bud is not None or rnd() < 0.5:
            form["budget"] = bud
        lead["form"] = form

    if rnd() < 0.2 + 0.4 * intent:
        msgs = 1 + int(rng.expovariate(1 / (2 + 6 * intent)))
        lead["chat"] = {"messages": msgs,
                        "asked_pricing": rnd() < 0.15 + 0.5 * intent,
                        "asked_demo": rnd() < 0.05 + 0.5 * intent * intent}
    lead["opted_in"] = rnd() < (0.35 if kind == "student" else 0.6)
    return lead


def parse_now(s):
    """RFC 3339 (or a date) to seconds since the epoch; naive means UTC."""
    try:
        d = datetime.datetime.fromisoformat(s.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("not an RFC 3339 time: %r" % s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def main(argv=None):
    ap = argparse.ArgumentParser(prog="gen-leads.py",
                                 description="Write deterministic synthetic B2B leads as NDJSON.")
    ap.add_argument("-n", type=int, default=300, metavar="N", help="number of leads (300)")
    ap.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (1)")
    ap.add_argument("--now", type=parse_now, default=parse_now("2026-11-28T12:00:00Z"),
                    metavar="RFC3339", help="time the leads are relative to (2026-11-28T12:00:00Z)")
    ap.add_argument("--companies", metavar="FILE", help="also write the company table (CSV) to FILE")
    ap.add_argument("--ncompanies", type=int, default=200, metavar="M", help="companies (200)")
    a = ap.parse_args(argv)
    global _rnd
    if a.n < 0 or a.ncompanies < 1:
        ap.error("-n must be >= 0 and --ncompanies >= 1")

    rng = random.Random(a.seed)
    _rnd = rng.random
    if a.companies:
        with open(a.companies, "w", encoding="utf-8", newline="") as f:
            working = make_companies(rng, a.ncompanies, f.write)
    else:
        working = make_companies(rng, a.ncompanies)
    # leads come from the working set of companies (the first WORKING
    # rows), so that with a big table most leads still match a row
    lrng = random.Random(a.seed * 1000003 + 7)
    _rnd = lrng.random
    codes = list(COUNTRIES)
    cweights = [COUNTRIES[c][1] for c in codes]
    out = sys.stdout
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buf = []
    for k in range(a.n):
        buf.append(dumps(make_lead(lrng, k, float(a.now), working, codes, cweights)))
        if len(buf) >= 4096:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
