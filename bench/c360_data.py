"""The rows of the Customer 360 seed, made in its worker processes: each worker generates a batch
of customers with two contacts and three follow-ups each, drawn from bench/c360_pools.py, COPYs
them, and answers the sample values it picked for bench/customers_load.py.

Rows are written the way `adapters.db.customers.SqlCustomers` writes them: the same search_text
and name_normalised, contacts' mobiles, landlines and e-mails encrypted with `AesGcmFieldCipher`
and blind-indexed under the same kinds ("phone", "email").
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from adapters.crypto.fields import AesGcmFieldCipher
from adapters.settings import DEV_BLIND_INDEX_KEY, DEV_FIELD_KEY
from bench.c360_pools import (
    BRAND_CHARS,
    BRAND_LENGTHS,
    CITIES,
    FEEDBACK,
    GIVEN_1,
    GIVEN_2,
    GRADES,
    INDUSTRY_WORDS,
    KEY_NEEDS,
    LEGAL_SUFFIXES,
    MAIL_DOMAINS,
    MAIL_ROLES,
    METHODS,
    MOBILE_PREFIXES,
    N_BRANDS,
    NEXT_ACTIONS,
    SIZES,
    SOURCES,
    SUMMARIES,
    SURNAMES,
    TAG_WEIGHTS,
    TAGS,
    TITLES,
)
from domain.customers.model import normalised_name
from domain.customers.personal import (
    id_card_check_digit,
    mask_email,
    mask_id_card,
    mask_phone,
)

# The keys of a development setup, which the seed's servers are given too.
FIELD_KEY = DEV_FIELD_KEY
BLIND_INDEX_KEY = DEV_BLIND_INDEX_KEY
THREE_YEARS = timedelta(days=3 * 365)
TIER_STRATEGIC = Decimal("1000000")
TIER_KEY = Decimal("100000")

def _cum(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[float]]:
    values = [v for v, _ in pairs]
    total, acc, cum = sum(w for _, w in pairs), 0.0, []
    for _, w in pairs:
        acc += w
        cum.append(acc / total)
    return values, cum


def make_brands(n: int) -> list[tuple[str, str]]:
    rng = random.Random(20261128)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        k = rng.choice(BRAND_LENGTHS)
        chars = rng.sample(BRAND_CHARS, k)
        word = "".join(c for c, _ in chars)
        if word in seen:
            continue
        seen.add(word)
        out.append((word, "".join(p for _, p in chars)))
    return out


# ---- worker: generate one batch of customers and COPY it --------------------------------------

CUSTOMER_COLS = (
    "id", "number", "name", "name_normalised", "kind", "industry", "region", "size", "source",
    "grade", "tier", "annual_purchase", "currency", "owner_id", "owner_department_id",
    "first_contact_date", "last_followup_at", "next_followup_at", "next_followup_plan",
    "key_needs", "tags", "custom", "id_card_enc", "id_card_bidx", "id_card_masked", "search_text",
    "created_by", "version", "created_at", "updated_at", "deleted_at")
ID_COL = CUSTOMER_COLS.index("id")
CONTACT_COLS = ("id", "customer_id", "position", "name", "title", "mobile_enc", "mobile_bidx",
                "mobile_masked", "landline_enc", "landline_bidx", "landline_masked", "email_enc",
                "email_bidx", "email_masked", "is_primary")
FOLLOWUP_COLS = ("id", "customer_id", "owner_id", "method", "occurred_at", "summary", "feedback",
                 "next_action", "next_followup_at", "status", "latitude", "longitude",
                 "accuracy_m", "version", "created_at", "updated_at")

_W: dict[str, Any] = {}


def worker_init(cfg: dict[str, Any]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _W["loop"] = loop
    _W["conn"] = loop.run_until_complete(asyncpg.connect(cfg["url"]))
    loop.run_until_complete(_W["conn"].execute("SET synchronous_commit = off"))
    _W["cfg"] = cfg
    _W["cipher"] = AesGcmFieldCipher(FIELD_KEY, BLIND_INDEX_KEY)
    _W["brands"] = make_brands(N_BRANDS)
    _W["grades"] = _cum(GRADES)
    _W["sizes"] = _cum(SIZES)
    _W["sources"] = _cum(SOURCES)
    _W["methods"] = _cum(METHODS)


def _pick(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    values, cum = table
    r = rng.random()
    for v, c in zip(values, cum, strict=True):
        if r < c:
            return v
    return values[-1]


def person_name(rng: random.Random) -> str:
    # Surnames and given names drawn with a skew, as real name frequencies are.
    s = SURNAMES[min(int(rng.paretovariate(0.9)) - 1, len(SURNAMES) - 1)
                 if rng.random() < 0.7 else rng.randrange(len(SURNAMES))]
    if rng.random() < 0.3:
        return s + GIVEN_1[min(int(rng.expovariate(1 / 12)), len(GIVEN_1) - 1)]
    return s + GIVEN_2[min(int(rng.expovariate(1 / 25)), len(GIVEN_2) - 1)]


def _id_card(rng: random.Random, born: date) -> str:
    first17 = f"{rng.randrange(110000, 660000)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_card_check_digit(first17)


def generate_batch(start: int, end: int) -> dict[str, Any]:
    """Customers [start, end): rows for the three tables, plus samples for the load script."""
    cfg, cipher, brands = _W["cfg"], _W["cipher"], _W["brands"]
    enc, bidx = cipher.encrypt, cipher.blind_index
    n_total: int = cfg["n"]
    t0: datetime = cfg["t0"]
    now: datetime = cfg["now"]
    step = THREE_YEARS.total_seconds() / n_total
    reps: list[tuple[uuid.UUID, uuid.UUID]] = cfg["reps"]
    sample_rep: uuid.UUID = cfg["sample_rep"]
    sample_dept: uuid.UUID = cfg["sample_dept"]
    n_cities, n_words, n_brands = len(CITIES), len(INDUSTRY_WORDS), len(brands)
    combos = n_cities * n_words * n_brands * 2
    n_prefix = len(MOBILE_PREFIXES)
    mobile_space = n_prefix * 10**8
    rng = random.Random(cfg["seed"] * 1_000_003 + start)
    uuid4 = uuid.uuid4
    grades, sizes, sources, methods = _W["grades"], _W["sizes"], _W["sources"], _W["methods"]

    cust_rows: list[tuple[Any, ...]] = []
    contact_rows: list[tuple[Any, ...]] = []
    fu_rows: list[tuple[Any, ...]] = []
    s_rep_ids: list[str] = []
    s_all_ids: list[str] = []
    s_phones: list[str] = []
    s_filters_rep: list[list[str]] = []
    s_filters_mgr: list[list[str]] = []
    s_words_rep: list[list[str]] = []
    s_words_mgr: list[list[str]] = []

    for i in range(start, end):
        cid = uuid4()
        created = t0 + timedelta(seconds=(i + rng.random()) * step)  # monotone in i
        seq = i + 1
        number = f"C{created.year:04d}{created.month:02d}{seq:06d}"
        x = (i * 1_000_003 + 12_345) % combos  # a bijection: every customer gets its own name
        x, ci = divmod(x, n_cities)
        x, wi = divmod(x, n_words)
        shi, bi = divmod(x, n_brands)
        city, region, lat, lon = CITIES[ci]
        word, industry = INDUSTRY_WORDS[wi]
        brand, brand_py = brands[bi]
        person = rng.random() < 0.05
        id_card_enc = id_card_bidx = id_card_masked = None
        if person:
            name = person_name(rng)
            kind, industry_v, size = "person", None, None
            card = _id_card(rng, date(1960, 1, 1) + timedelta(days=rng.randrange(16000)))
            id_card_enc, id_card_bidx = enc(card), bidx("id_card", card)
            id_card_masked = mask_id_card(card)
        else:
            suffix = LEGAL_SUFFIXES[rng.randrange(len(LEGAL_SUFFIXES))]
            name = f"{city}{'市' if shi else ''}{brand}{word}{suffix}"
            kind, industry_v, size = "company", industry, _pick(rng, sizes)
        grade = _pick(rng, grades)
        if (grade == "potential" and rng.random() < 0.5) or rng.random() < 0.05:
            amount = None
            tier = "normal"
        else:
            cents = int(rng.lognormvariate(11.0, 1.3) * 100)  # median ~60,000 CNY
            amount = Decimal(cents).scaleb(-2)
            tier = ("strategic" if amount >= TIER_STRATEGIC else
                    "key" if amount >= TIER_KEY else "normal")
        owner_id, dept_id = reps[rng.randrange(len(reps))]
        ntags = rng.choices((0, 1, 2, 3, 4), (20, 30, 25, 15, 10))[0]
        tags = list(dict.fromkeys(rng.choices(TAGS, TAG_WEIGHTS, k=ntags)))

        # three follow-ups between creation and now, oldest first
        span = (now - created).total_seconds()
        offs = sorted(rng.random() * span for _ in range(3))
        occurred = [created + timedelta(seconds=o) for o in offs]
        last_fu = occurred[-1]
        next_fu = next_plan = None
        if rng.random() < 0.3:
            next_fu = now + timedelta(hours=rng.randrange(1, 24 * 60))
            next_plan = NEXT_ACTIONS[rng.randrange(6)]
        deleted_at = (created + timedelta(seconds=span * rng.random())
                      if rng.random() < 0.005 else None)
        updated = max(last_fu, deleted_at) if deleted_at else last_fu

        contact_names: list[str] = []
        for pos in range(2):
            j = 2 * i + pos  # contact number: a bijection onto unique mobiles
            y = (j * 7_919_111 + 4_242_424) % mobile_space
            p, rest = divmod(y, 10**8)
            mobile = f"{MOBILE_PREFIXES[p]}{rest:08d}"
            cname = person_name(rng)
            contact_names.append(cname)
            r = rng.random()
            if r < 0.35:
                email = f"{rng.randrange(10**5, 3 * 10**9)}@qq.com"
            elif r < 0.55:
                email = f"{mobile}@{MAIL_DOMAINS[rng.randrange(1, len(MAIL_DOMAINS))]}"
            else:
                email = (f"{MAIL_ROLES[rng.randrange(len(MAIL_ROLES))]}{rng.randrange(100)}"
                         f"@{brand_py}{'.com.cn' if r < 0.8 else '.com'}")
            landline_enc = landline_bidx = landline_masked = None
            if pos == 0 and rng.random() < 0.3:
                landline = f"0{rng.randrange(10, 999):03d}-{rng.randrange(10**7, 10**8)}"
                landline_enc, landline_bidx = enc(landline), bidx("phone", landline)
                landline_masked = mask_phone(landline)
            contact_rows.append((
                uuid4(), cid, pos, cname, TITLES[rng.randrange(len(TITLES))],
                enc(mobile), bidx("phone", mobile), mask_phone(mobile), landline_enc,
                landline_bidx, landline_masked, enc(email), bidx("email", email),
                mask_email(email), pos == 0))
            if deleted_at is None and rng.random() < 0.0125:
                s_phones.append(mobile)

        for at in occurred:
            method = _pick(rng, methods)
            visit = method == "visit"
            fu_rows.append((
                uuid4(), cid, owner_id, method, at,
                SUMMARIES[method][rng.randrange(5)], FEEDBACK[rng.randrange(8)],
                NEXT_ACTIONS[rng.randrange(8)], None, "done",
                lat + rng.uniform(-0.2, 0.2) if visit else None,
                lon + rng.uniform(-0.2, 0.2) if visit else None,
                rng.uniform(5, 60) if visit else None, 1, at, at))

        search_text = " ".join([name, number, *contact_names]).lower()
        cust_rows.append((
            cid, number, name, normalised_name(name), kind, industry_v, region, size,
            _pick(rng, sources), grade, tier, amount, "CNY", owner_id, dept_id,
            occurred[0].date(), last_fu, next_fu, next_plan,
            KEY_NEEDS[rng.randrange(len(KEY_NEEDS))] if rng.random() < 0.4 else None,
            tags, json.dumps({"erp_code": f"ERP-{region[:2].upper()}-{seq:07d}"}),
            id_card_enc, id_card_bidx, id_card_masked, search_text, owner_id, 4, created, updated,
            deleted_at))

        if deleted_at is not None:
            continue
        sid = str(cid)
        if rng.random() < 0.006:
            s_all_ids.append(sid)
        mine, team = owner_id == sample_rep, dept_id == sample_dept
        if not (mine or team):
            continue
        if mine:
            s_rep_ids.append(sid)
        # filters: this customer's industry and region and one of its tags (so a page exists)
        flt = ([industry_v, region, tags[rng.randrange(len(tags))]]
               if industry_v and tags else None)
        # search words: trade name (2-4 chars), city+trade name, contact names (2-3 chars)
        words = [brand, contact_names[0], contact_names[1]] if not person else contact_names
        if not person:
            words.append(name[: len(city) + (1 if shi else 0) + len(brand)])
        if flt and (mine or rng.random() < 0.1):
            (s_filters_rep if mine else s_filters_mgr).append(flt)
        if mine or rng.random() < 0.1:
            (s_words_rep if mine else s_words_mgr).append(words)

    conn, loop = _W["conn"], _W["loop"]

    async def copy() -> None:
        # The list documents' triggers held off, as an import's chunks hold them; the batch's
        # documents are then written in one statement (migration 0016).
        async with conn.transaction():
            await conn.execute("SET LOCAL crm.docs_later = 'on'")
            await conn.copy_records_to_table("customers", records=cust_rows,
                                             columns=CUSTOMER_COLS)
            await conn.copy_records_to_table("contacts", records=contact_rows,
                                             columns=CONTACT_COLS)
            await conn.execute("SET LOCAL crm.docs_later = 'off'")
            await conn.execute("SELECT crm_write_customer_docs($1)",
                               [r[ID_COL] for r in cust_rows])
        await conn.copy_records_to_table("followups", records=fu_rows, columns=FOLLOWUP_COLS)

    loop.run_until_complete(copy())
    return {"rep_ids": s_rep_ids, "all_ids": s_all_ids, "phones": s_phones,
            "filters_rep": s_filters_rep, "filters_mgr": s_filters_mgr,
            "words_rep": s_words_rep, "words_mgr": s_words_mgr, "rows": end - start}


def run_batch(bounds: tuple[int, int]) -> dict[str, Any]:
    return generate_batch(*bounds)

