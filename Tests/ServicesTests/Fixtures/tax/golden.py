#!/usr/bin/env python3
"""Writes golden-*.json: the tax calculator's golden cases, each with its inputs, the expected
amounts and the arithmetic written out from the articles. This is a second implementation of
the rules, written apart from the Swift one (Sources/Services/Tax) and in a different way
(Python's exact Fractions), so that a slip in either shows as a failing case. Run it again only
when the law (a table in services/tax/) changes, and read the diff of the JSON it writes.

    python3 Tests/ServicesTests/Fixtures/tax/golden.py
"""
import datetime, json, os
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))

def cut(x):  # 국고금 관리법 제47조 제1항: under 10 won is not collected
    x = int(x)  # floor of a non-negative exact amount
    return x - x % 10

def w(x):
    return f"{int(x):,}"

# ---------------------------------------------------------------- automobile tax
# 지방세법 제127조 ①1 (비영업용 승용자동차: cc당 80/140/200원, 그 밖의 승용자동차 10만원), ③ (차령 경감),
# 제128조 (기분, 연납 공제 5%: 2024 and 2025), 제151조 ①6 (지방교육세 30%)
def car(cc, kind, first, date):
    year = int(date[:4]); fy = int(first[:4])
    steps = []
    if kind in ("electric", "hydrogen"):
        annual = F(100000)
        steps.append(f"그 밖의 승용자동차 연 {w(annual)}원 (제127조 제1항 제1호)")
    else:
        rate = 80 if cc <= 1000 else 140 if cc <= 1600 else 200
        annual = F(cc * rate)
        steps.append(f"{w(cc)}cc × {rate}원 = {w(annual)}원 (제127조 제1항 제1호)")
        age = year - fy + 1
        if age >= 3:
            k = min(age, 12) - 2
            red = int(annual * F(5 * k, 100))
            steps.append(f"차령 {age}년: {w(annual)} × 5% × ({min(age, 12)} - 2) = {w(red)}원 경감 → {w(annual - red)}원 (제127조 제3항)")
            annual -= red
    half = cut(annual / 2)
    edu = cut(F(half) * F(30, 100))
    steps.append(f"기분 세액 {w(annual)} / 2 → {w(half)}원, 지방교육세 {w(half)} × 30% → {w(edu)}원; 6월·12월 각 {w(half + edu)}원")
    ydays = (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days
    after = (datetime.date(year + 1, 1, 1) - datetime.date(year, 2, 1)).days
    disc = int(annual * F(5, 100) * F(after, ydays))
    jt = cut(annual - disc)
    je = cut(F(jt) * F(30, 100))
    steps.append(f"1월 연납: {w(annual)} - {w(annual)} × 5% × {after}/{ydays} ({w(disc)}) → {w(jt)}원 + 교육세 {w(je)}원 = {w(jt + je)}원 (제128조 제3항)")
    return {"total": 2 * (half + edu), "payments": {"june": half + edu, "december": half + edu}, "options": {"january": jt + je},
            "lines": {"annual": int(annual), "half": half, "education": edu}}, steps

# ---------------------------------------------------------------- property tax on housing
# 지방세법 제110조 (60%; 1세대1주택 43/44/45%; ③ 과세표준상한 5%), 제111조 ①3나, 제111조의2 (9억 이하 1주택),
# 제112조 ①2 (0.14%), 제151조 ①2 (20%), 제115조 ①3 (7월·9월, 20만원 이하 7월)
STD = [(60_000_000, F(1, 1000)), (150_000_000, F(15, 10000)), (300_000_000, F(25, 10000)), (None, F(4, 1000))]
SPECIAL = [(60_000_000, F(5, 10000)), (150_000_000, F(1, 1000)), (300_000_000, F(2, 1000)), (None, F(35, 10000))]

def property_tax(price, single, last, date):
    steps = []
    if single:
        ratio = F(43, 100) if price <= 300_000_000 else F(44, 100) if price <= 600_000_000 else F(45, 100)
    else:
        ratio = F(60, 100)
    base = int(price * ratio)
    steps.append(f"과세표준 {w(price)} × {float(ratio * 100):g}% = {w(base)}원 (제110조)")
    lines = {"base": base}
    if last is not None:
        capv = int(last * ratio) + int(base * F(5, 100))
        if base > capv:
            lines["base-cap"] = capv
            steps.append(f"과세표준상한 {w(last)} × {float(ratio * 100):g}% + {w(base)} × 5% = {w(capv)}원 < {w(base)} → {w(capv)}원 (제110조 제3항)")
            base = capv
        else:
            steps.append(f"과세표준상한 {w(capv)}원 ≥ {w(base)}: 상한 미적용")
    table = SPECIAL if single and price <= 900_000_000 else STD
    tax = F(0); below = 0; parts = []
    for top, r in table:
        if base <= below: break
        t = base if top is None else min(base, top)
        tax += int((t - below) * r)
        parts.append(f"{w(t - below)} × {float(r * 100):g}%")
        below = t
    main = cut(tax)
    steps.append(f"재산세{' (특례)' if table is SPECIAL else ''} " + " + ".join(parts) + f" = {w(tax)} → {w(main)}원 (제111조{'의2' if table is SPECIAL else ''})")
    urban = cut(base * F(14, 10000))
    edu = cut(main * F(20, 100))
    steps.append(f"도시지역분 {w(base)} × 0.14% → {w(urban)}원; 지방교육세 {w(main)} × 20% → {w(edu)}원")
    total = main + urban + edu
    if main + urban <= 200_000:
        pay = {"july": total}
        steps.append(f"재산세 {w(main + urban)}원 ≤ 200,000원: 7월에 {w(total)}원 (제115조 제1항 제3호)")
    else:
        july = cut(main / 2) + cut(F(urban, 2)) + cut(F(edu, 2))
        pay = {"july": july, "september": total - july}
        steps.append(f"7월 {w(cut(main / 2))} + {w(cut(F(urban, 2)))} + {w(cut(F(edu, 2)))} = {w(july)}원, 9월 {w(total - july)}원")
    return {"total": total, "payments": pay, "lines": dict(lines, **{"property-tax": main, "urban": urban, "education": edu})}, steps

# ---------------------------------------------------------------- acquisition tax on buying a home
# 지방세법 제11조 ①8 (1%, (가액 × 2/3억 - 3)% 소수점 다섯째 자리 반올림, 3%), 제13조의2 ① (8%, 12%),
# 제151조 ①1 (교육세), 농어촌특별세법 제5조 ①6, 제4조 11 (85㎡ 이하 비과세)
def acquisition(price, area100, homes, adjustment, date):
    steps = []
    heavy = None
    if adjustment:
        heavy = F(12, 100) if homes >= 3 else F(8, 100) if homes >= 2 else None
    else:
        heavy = F(12, 100) if homes >= 4 else F(8, 100) if homes >= 3 else None
    if heavy is not None:
        rate = heavy
        edu_rate = F(4, 1000)
        rural_rate = (heavy - F(4, 100) + F(2, 100)) * F(10, 100)
        steps.append(f"{homes}주택{' 조정대상지역' if adjustment else ''}: 중과 {float(rate * 100):g}% (제13조의2 제1항)")
    else:
        if price <= 600_000_000:
            rate = F(1, 100)
        elif price > 900_000_000:
            rate = F(3, 100)
        else:
            pct = F(price * 2, 300_000_000) - 3
            r4 = int(pct * 10000 + F(1, 2))  # half up at the fifth decimal
            rate = F(r4, 1_000_000)
            steps.append(f"세율 ({w(price)} × 2/3억 - 3)% = {float(pct):.8f}% → {r4 / 10000:.4f}% (제11조 제1항 제8호 나목)")
        edu_rate = rate * F(1, 2) * F(20, 100)
        rural_rate = F(2, 100) * F(10, 100)
    tax = cut(price * rate)
    edu = cut(price * edu_rate)
    steps.append(f"취득세 {w(price)} × {float(rate * 100):g}% → {w(tax)}원; 지방교육세 × {float(edu_rate * 100):g}% → {w(edu)}원")
    if area100 <= 8500:
        rural = 0
        steps.append(f"전용 {area100 / 100:g}㎡ ≤ 85㎡: 농어촌특별세 비과세")
    else:
        rural = cut(price * rural_rate)
        steps.append(f"농어촌특별세 {w(price)} × {float(rural_rate * 100):g}% → {w(rural)}원")
    total = tax + edu + rural
    steps.append(f"합계 {w(total)}원")
    lines = {"acquisition-tax": tax, "education": edu}
    if rural: lines["rural"] = rural
    return {"total": total, "payments": {"within-60-days": total}, "lines": lines}, steps

KNOWN_THROUGH = "2025-12-31"

def case(name, tax, fields, fn, *args, date=None):
    expect, steps = fn(*args)
    expect["warning"] = fields["date"] > KNOWN_THROUGH
    return {"name": name, "fields": fields, "expect": expect, "arithmetic": steps}

def error(name, fields, field):
    return {"name": name, "fields": fields, "expect": {"error": field}}

def car_cases():
    out = []
    def c(name, cc, first, date, kind=None):
        f = {"first-registered": first, "date": date}
        if cc is not None: f["cc"] = str(cc)
        if kind: f["kind"] = kind
        out.append(case(name, "car", f, car, cc, kind or "petrol", first, date))
    for cc in (999, 1000, 1001, 1599, 1600, 1601):
        c(f"band edge {cc} cc, new", cc, "2025-01", "2025-06-01")
    c("1,998 cc, new", 1998, "2025-03", "2025-06-01")
    c("1,998 cc, second year: no reduction", 1998, "2024-03", "2025-06-01")
    for age in range(3, 14):
        c(f"1,998 cc in its year {age}", 1998, f"{2025 - age + 1}-07", "2025-12-01")
    c("age capped at 12: a 20-year-old car", 1591, "2006-05", "2025-06-01")
    c("998 cc, year 5", 998, "2021-02", "2025-06-01")
    c("2,497 cc, year 4", 2497, "2022-11", "2025-06-01")
    c("3,342 cc, new", 3342, "2025-01", "2025-06-01")
    c("1,353 cc, leap year 2024 (January over 335/366)", 1353, "2020-08", "2024-06-01")
    c("electric car", None, "2022-04", "2025-06-01", kind="electric")
    c("hydrogen car, old: no age reduction", None, "2015-04", "2025-06-01", kind="hydrogen")
    c("diesel 2,199 cc", 2199, "2019-09", "2025-06-01", kind="diesel")
    c("LPG 1,999 cc", 1999, "2023-01", "2025-06-01", kind="lpg")
    c("hybrid 1,580 cc", 1580, "2024-12", "2025-06-01", kind="hybrid")
    c("after the tables were checked: warned", 1998, "2023-01", "2026-06-01")
    c("halves that need the cut: 1,357 cc in year 7", 1357, "2019-01", "2025-06-01")
    out += [
        error("0 cc petrol car", {"cc": "0", "first-registered": "2025-01", "date": "2025-06-01"}, "cc"),
        error("no displacement for a petrol car", {"first-registered": "2025-01", "date": "2025-06-01"}, "cc"),
        error("an electric car with a displacement", {"cc": "1000", "kind": "electric", "first-registered": "2025-01", "date": "2025-06-01"}, "cc"),
        error("an unknown kind", {"cc": "1000", "kind": "steam", "first-registered": "2025-01", "date": "2025-06-01"}, "kind"),
        error("registered after the date", {"cc": "1000", "first-registered": "2026-01", "date": "2025-06-01"}, "first-registered"),
        error("before the earliest table", {"cc": "1000", "first-registered": "2020-01", "date": "2023-06-01"}, "date"),
        error("not a date", {"cc": "1000", "first-registered": "2020-01", "date": "2025-02-30"}, "date"),
        error("an absurd displacement", {"cc": "99999", "first-registered": "2020-01", "date": "2025-06-01"}, "cc"),
    ]
    return out

def property_cases():
    out = []
    def p(name, price, single, date="2025-06-01", last=None):
        f = {"official-price": str(price), "single-home": "yes" if single else "no", "date": date}
        if last is not None: f["last-year-official-price"] = str(last)
        out.append(case(name, "property", f, property_tax, price, single, last, date))
    # Standard ratio 60%: bases one won below, at and above each bracket edge.
    for edge in (60_000_000, 150_000_000, 300_000_000):
        price_at = edge * 100 // 60
        for label, price in (("below", price_at - 2), ("at", price_at), ("above", price_at + 2)):
            p(f"two homes: base {label} {w(edge)}", price, False)
    p("two homes, 1,000,000,000", 1_000_000_000, False)
    p("two homes, 3,000,000,000", 3_000_000_000, False)
    p("two homes, small: all in July", 80_000_000, False)
    # Single home: the ratio's edges at 3억 and 6억, the special rate's at 9억.
    for price in (299_999_999, 300_000_000, 300_000_001, 599_999_999, 600_000_000, 600_000_001, 899_999_999, 900_000_000, 900_000_001):
        p(f"single home at {w(price)}", price, True)
    p("single home 150,000,000: all in July", 150_000_000, True)
    p("single home 465,000,000: split", 465_000_000, True)
    p("single home 1,500,000,000", 1_500_000_000, True)
    p("single home 200,000,000", 200_000_000, True)
    p("two homes, 450,000,000", 450_000_000, False)
    p("single home 750,000,000, cap does not bind", 750_000_000, True, last=720_000_000)
    # The base cap (제110조 제3항).
    p("cap binds: price rose from 500M to 650M", 650_000_000, True, last=500_000_000)
    p("cap does not bind: price rose 2%", 510_000_000, True, last=500_000_000)
    p("cap binds for two homes", 1_200_000_000, False, last=900_000_000)
    p("after the tables were checked: warned", 700_000_000, True, date="2026-06-01")
    out += [
        error("a price over 10^13 won", {"official-price": "10000000000001", "single-home": "no", "date": "2025-06-01"}, "official-price"),
        error("no price", {"single-home": "no", "date": "2025-06-01"}, "official-price"),
        error("not yes or no", {"official-price": "500000000", "single-home": "maybe", "date": "2025-06-01"}, "single-home"),
        error("before the earliest table", {"official-price": "500000000", "single-home": "no", "date": "2023-06-01"}, "date"),
        error("a negative price", {"official-price": "-5", "single-home": "no", "date": "2025-06-01"}, "official-price"),
        error("a field of another tax", {"official-price": "500000000", "single-home": "no", "date": "2025-06-01", "cc": "1000"}, "cc"),
    ]
    return out

def acquisition_cases():
    out = []
    def a(name, price, area, homes, adj, date="2025-06-01"):
        f = {"price": str(price), "area-m2": area, "homes-after": str(homes), "adjustment-area": "yes" if adj else "no", "date": date}
        hundredths = round(float(area) * 100)
        out.append(case(name, "acquisition", f, acquisition, price, hundredths, homes, adj, date))
    for price in (599_999_999, 600_000_000, 600_000_001, 899_999_999, 900_000_000, 900_000_001):
        a(f"one home at {w(price)}, 84.9 m²", price, "84.9", 1, False)
        a(f"one home at {w(price)}, 101.5 m²", price, "101.5", 1, False)
    for price in (650_000_000, 700_000_000, 750_000_000, 800_000_000, 850_000_000, 612_345_678):
        a(f"sliding rate at {w(price)}", price, "114", 1, True)
    a("85.00 m² exactly: exempt from the rural tax", 500_000_000, "85", 1, False)
    a("85.01 m²: rural tax", 500_000_000, "85.01", 1, False)
    a("second home in an adjustment area: 8%", 800_000_000, "84", 2, True)
    a("second home in an adjustment area, large: 8% and rural 0.6%", 800_000_000, "120", 2, True)
    a("third home in an adjustment area: 12%", 1_200_000_000, "130", 3, True)
    a("fifth home in an adjustment area: 12%", 300_000_000, "59", 5, True)
    a("second home elsewhere: standard rates", 400_000_000, "84", 2, False)
    a("third home elsewhere: 8%", 400_000_000, "100", 3, False)
    a("fourth home elsewhere: 12%", 400_000_000, "100", 4, False)
    a("cheap first home", 150_000_000, "49.5", 1, False)
    a("expensive first home", 2_500_000_000, "160", 1, True)
    a("after the tables were checked: warned", 700_000_000, "84", 1, False, date="2026-03-01")
    a("on the day the heavier rates began", 700_000_000, "84", 2, True, date="2020-08-12")
    out += [
        error("before the heavier rates' table", {"price": "700000000", "area-m2": "84", "homes-after": "1", "adjustment-area": "no", "date": "2020-08-11"}, "date"),
        error("a price over 10^13 won", {"price": "20000000000000", "area-m2": "84", "homes-after": "1", "adjustment-area": "no", "date": "2025-06-01"}, "price"),
        error("zero homes", {"price": "700000000", "area-m2": "84", "homes-after": "0", "adjustment-area": "no", "date": "2025-06-01"}, "homes-after"),
        error("three decimals of area", {"price": "700000000", "area-m2": "84.123", "homes-after": "1", "adjustment-area": "no", "date": "2025-06-01"}, "area-m2"),
        error("no area", {"price": "700000000", "homes-after": "1", "adjustment-area": "no", "date": "2025-06-01"}, "area-m2"),
    ]
    return out

for tax, cases in (("car", car_cases()), ("property", property_cases()), ("acquisition", acquisition_cases())):
    path = os.path.join(HERE, f"golden-{tax}.json")
    doc = {"about": f"Golden cases of the {tax} tax, written by golden.py from the articles (a second implementation); expect.error names the field a bad input is refused on.", "tax": tax, "cases": cases}
    with open(path, "w") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(tax, len(cases), "cases,", sum(1 for c in cases if "error" not in c["expect"]), "computed")
