"""Seed a Customer 360 database at scale: 1,000,000 customers, 2,000,000 contacts, 3,000,000
follow-ups, in a database of its own (crm_bench_c360).

    .venv/bin/python bench/seed_customers.py [--customers 1000000] [--workers 3] [--keep]

The organisation (HQ + 5 sales departments, a manager and 10 sales reps each, one admin) is made
through the real use cases. Customers, contacts and follow-ups are bulk-loaded with binary COPY
(asyncpg `copy_records_to_table`) from worker processes, with the secondary indexes, unique and
foreign-key constraints of the three tables dropped during the load and rebuilt from their own
definitions afterwards (so the schema ends exactly as the migrations made it), then VACUUM
ANALYZE. Each batch's list documents (customer_docs, migration 0016) are written in one
statement after its customers and contacts, through the two indexes kept, pk_customers and
ix_contacts_customer_id. Rows are written the way `adapters.db.customers.SqlCustomers` writes
them: the same search_text and name_normalised, contacts' mobiles, landlines and e-mails
encrypted with `AesGcmFieldCipher` and blind-indexed under the same kinds ("phone", "email").

Writes bench/out/c360_sample.json (user ids and tokens, existing ids, phones, filters and
search words) for bench/customers_load.py. Drops the database at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.crypto.fields import AesGcmFieldCipher  # noqa: E402
from adapters.settings import DEV_BLIND_INDEX_KEY, DEV_FIELD_KEY  # noqa: E402
from bench import servers  # noqa: E402
from domain.customers.model import normalised_name  # noqa: E402
from domain.customers.personal import (  # noqa: E402
    id_card_check_digit,
    mask_email,
    mask_id_card,
    mask_phone,
)

DB_NAME = "crm_bench_c360"
OUT = servers.OUT
FIELD_KEY = DEV_FIELD_KEY
BLIND_INDEX_KEY = DEV_BLIND_INDEX_KEY
SAMPLE_FILE = OUT / "c360_sample.json"
PASSWORD = "bench-password-1"
BATCH = 10_000  # customers per COPY batch (and 2x contacts, 3x follow-ups)

# ---- pools ----------------------------------------------------------------------------------

# (city, region, latitude, longitude); region values are the 0002 migration's picklist.
CITIES: list[tuple[str, str, float, float]] = [
    ("上海", "east", 31.23, 121.47), ("南京", "east", 32.06, 118.80),
    ("苏州", "east", 31.30, 120.58), ("无锡", "east", 31.49, 120.31),
    ("常州", "east", 31.81, 119.97), ("杭州", "east", 30.27, 120.15),
    ("宁波", "east", 29.87, 121.55), ("温州", "east", 28.00, 120.70),
    ("绍兴", "east", 30.00, 120.58), ("嘉兴", "east", 30.75, 120.76),
    ("合肥", "east", 31.82, 117.23), ("芜湖", "east", 31.35, 118.43),
    ("福州", "east", 26.07, 119.30), ("厦门", "east", 24.48, 118.09),
    ("泉州", "east", 24.87, 118.68), ("济南", "east", 36.65, 117.12),
    ("青岛", "east", 36.07, 120.38), ("烟台", "east", 37.46, 121.45),
    ("潍坊", "east", 36.71, 119.16), ("南昌", "east", 28.68, 115.86),
    ("北京", "north", 39.90, 116.40), ("天津", "north", 39.13, 117.20),
    ("石家庄", "north", 38.04, 114.51), ("唐山", "north", 39.63, 118.18),
    ("保定", "north", 38.87, 115.46), ("太原", "north", 37.87, 112.55),
    ("呼和浩特", "north", 40.84, 111.75), ("包头", "north", 40.66, 109.84),
    ("广州", "south", 23.13, 113.26), ("深圳", "south", 22.54, 114.06),
    ("东莞", "south", 23.02, 113.75), ("佛山", "south", 23.02, 113.12),
    ("珠海", "south", 22.27, 113.58), ("中山", "south", 22.52, 113.39),
    ("惠州", "south", 23.11, 114.42), ("南宁", "south", 22.82, 108.37),
    ("柳州", "south", 24.33, 109.41), ("海口", "south", 20.04, 110.35),
    ("武汉", "central", 30.59, 114.31), ("宜昌", "central", 30.69, 111.29),
    ("襄阳", "central", 32.01, 112.12), ("长沙", "central", 28.23, 112.94),
    ("株洲", "central", 27.83, 113.13), ("郑州", "central", 34.75, 113.62),
    ("洛阳", "central", 34.62, 112.45), ("成都", "southwest", 30.57, 104.07),
    ("绵阳", "southwest", 31.47, 104.68), ("重庆", "southwest", 29.56, 106.55),
    ("昆明", "southwest", 25.04, 102.71), ("贵阳", "southwest", 26.65, 106.63),
    ("西安", "northwest", 34.34, 108.94), ("兰州", "northwest", 36.06, 103.83),
    ("银川", "northwest", 38.49, 106.23), ("西宁", "northwest", 36.62, 101.78),
    ("乌鲁木齐", "northwest", 43.83, 87.62), ("沈阳", "northeast", 41.80, 123.43),
    ("大连", "northeast", 38.91, 121.61), ("长春", "northeast", 43.82, 125.32),
    ("哈尔滨", "northeast", 45.80, 126.53), ("新加坡", "overseas", 1.35, 103.82),
    ("吉隆坡", "overseas", 3.14, 101.69),
]

# (word in the legal name, industry value from the 0002 migration's picklist)
INDUSTRY_WORDS: list[tuple[str, str]] = [
    *((w, "manufacturing") for w in (
        "机械制造", "精密机械", "五金制品", "模具", "电子", "电器", "塑胶制品", "汽车零部件",
        "自动化设备", "新材料", "机电设备", "包装材料", "纺织", "化工")),
    *((w, "retail") for w in ("商贸", "百货", "超市", "贸易")),
    *((w, "ecommerce") for w in ("电子商务", "网络科技", "供应链管理")),
    *((w, "finance") for w in ("投资管理", "融资租赁", "商业保理", "资产管理")),
    *((w, "healthcare") for w in ("医疗器械", "医药", "生物科技", "健康管理")),
    *((w, "education") for w in ("教育科技", "教育咨询", "职业培训")),
    *((w, "software") for w in ("软件", "信息技术", "数据科技", "智能科技", "网络技术",
                                 "系统集成")),
    *((w, "logistics") for w in ("物流", "国际货运代理", "仓储", "运输")),
    *((w, "energy") for w in ("新能源", "能源科技", "光伏科技", "电力工程")),
    *((w, "construction") for w in ("建筑工程", "建设工程", "装饰工程", "建材")),
    *((w, "food") for w in ("食品", "饮料", "农产品", "餐饮管理")),
    *((w, "other") for w in ("文化传媒", "广告", "企业管理咨询", "环保科技")),
]
LEGAL_SUFFIXES = ("有限公司",) * 8 + ("股份有限公司", "有限责任公司")

# Characters of trade names (字号), with pinyin for the company's mail domain.
BRAND_CHARS = [
    ("鑫", "xin"), ("达", "da"), ("华", "hua"), ("瑞", "rui"), ("恒", "heng"), ("通", "tong"),
    ("泰", "tai"), ("盛", "sheng"), ("源", "yuan"), ("隆", "long"), ("丰", "feng"),
    ("信", "xin"), ("诚", "cheng"), ("德", "de"), ("宏", "hong"), ("远", "yuan"), ("嘉", "jia"),
    ("和", "he"), ("安", "an"), ("康", "kang"), ("永", "yong"), ("新", "xin"), ("锦", "jin"),
    ("富", "fu"), ("荣", "rong"), ("昌", "chang"), ("兴", "xing"), ("海", "hai"),
    ("天", "tian"), ("金", "jin"), ("宝", "bao"), ("利", "li"), ("佳", "jia"), ("立", "li"),
    ("博", "bo"), ("创", "chuang"), ("联", "lian"), ("科", "ke"), ("明", "ming"),
    ("辉", "hui"), ("耀", "yao"), ("晨", "chen"), ("星", "xing"), ("宇", "yu"), ("航", "hang"),
    ("正", "zheng"), ("中", "zhong"), ("东", "dong"), ("润", "run"), ("泽", "ze"),
    ("汇", "hui"), ("聚", "ju"), ("银", "yin"), ("峰", "feng"), ("岳", "yue"), ("骏", "jun"),
    ("腾", "teng"), ("飞", "fei"), ("龙", "long"), ("祥", "xiang"), ("福", "fu"),
    ("顺", "shun"), ("益", "yi"), ("合", "he"), ("智", "zhi"), ("能", "neng"), ("微", "wei"),
    ("云", "yun"), ("优", "you"), ("捷", "jie"), ("迅", "xun"), ("拓", "tuo"), ("展", "zhan"),
    ("方", "fang"), ("元", "yuan"), ("亿", "yi"), ("万", "wan"), ("众", "zhong"), ("力", "li"),
    ("美", "mei"), ("格", "ge"), ("光", "guang"), ("凯", "kai"), ("威", "wei"), ("豪", "hao"),
    ("伟", "wei"), ("铭", "ming"), ("毅", "yi"), ("晟", "sheng"), ("昊", "hao"),
    ("俊", "jun"), ("卓", "zhuo"), ("越", "yue"), ("尚", "shang"), ("品", "pin"),
    ("奥", "ao"), ("特", "te"), ("普", "pu"), ("景", "jing"), ("鸿", "hong"), ("弘", "hong"),
    ("川", "chuan"), ("江", "jiang"), ("山", "shan"), ("林", "lin"), ("森", "sen"),
    ("蓝", "lan"), ("绿", "lv"), ("青", "qing"), ("紫", "zi"), ("阳", "yang"), ("旭", "xu"),
    ("升", "sheng"), ("启", "qi"), ("图", "tu"), ("强", "qiang"), ("坤", "kun"),
    ("乾", "qian"), ("泓", "hong"), ("沣", "feng"), ("璟", "jing"), ("煜", "yu"),
]
N_BRANDS = 1200
BRAND_LENGTHS = (2,) * 10 + (3,) * 7 + (4,) * 3  # 50 % two characters, 35 % three, 15 % four

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤")
GIVEN_1 = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玲斌辉鹏飞波宇浩凯琳婷雪慧莉萍红梅建峰"
GIVEN_2 = ["秀英", "秀兰", "桂英", "建华", "建国", "志强", "海燕", "晓明", "丽娟", "秀珍", "玉兰", "志明", "建军", "国强", "俊杰", "子轩", "浩然", "欣怡", "梓涵", "雨轩", "思远", "文博", "宇航", "佳怡", "晓燕", "红霞", "春梅", "立新", "永强", "海涛", "晓东", "文静", "丽华", "志刚", "国华", "晓峰", "建平", "小红", "雅琴", "金凤", "德明", "明辉", "家豪", "伟东", "宏伟", "振华", "晓丽", "美玲", "淑珍", "凤英", "雪梅", "亚楠", "子豪", "一鸣", "嘉欣", "诗涵", "梦瑶", "晨曦", "天宇", "博文", "昊然", "雨桐", "若曦", "书瑶", "国庆", "建设", "卫东", "红梅", "秋菊", "冬梅", "春燕", "志伟", "建新", "永红", "文华", "少华", "兴华", "晓军", "海波", "玉梅", "桂兰", "立军", "庆华", "跃进", "新民", "学军", "振国", "成龙", "鑫磊", "浩宇"]
TITLES = ("总经理", "副总经理", "采购经理", "采购专员", "技术总监", "财务经理", "行政主管",
          "项目经理", "工程师", "董事长", "运营总监", "销售总监", "仓储主管", "法务")
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "171", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199"]
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "139.com", "sina.com", "foxmail.com")
MAIL_ROLES = ("sales", "purchase", "caigou", "info", "admin", "service", "finance", "office")

TAGS = ("重点客户", "老客户", "价格敏感", "需要报价", "已签框架协议", "展会线索", "渠道商",
        "直销", "VIP", "待回访", "高潜力", "国企", "外资企业", "上市公司", "政府项目", "招投标",
        "年度采购", "季度采购", "试用中", "竞品在用", "决策链长", "技术导向", "预算充足",
        "预算紧张", "新客户", "转介绍", "官网线索", "已拜访", "需高层拜访", "账期客户")
TAG_WEIGHTS = [1.0 / (k + 2) ** 0.8 for k in range(len(TAGS))]

GRADES = (("potential", 40), ("intent", 25), ("closed", 28), ("churned", 7))
SIZES = (("micro", 15), ("small", 35), ("medium", 30), ("large", 15), ("enterprise", 5))
SOURCES = (("website", 20), ("trade_show", 15), ("phone", 15), ("referral", 20), ("partner", 12),
           ("import", 10), ("api", 3), ("other", 5))
METHODS = (("phone", 45), ("email", 20), ("visit", 20), ("online_meeting", 15))
SUMMARIES = {
    "phone": ("电话沟通采购需求，客户计划下季度启动招标", "电话回访，客户对上次交付表示满意",
              "电话确认报价细节，客户要求再给一版优惠", "电话联系未接通，已发短信约时间",
              "电话沟通合同条款，法务在审"),
    "email": ("发送报价单及产品资料", "邮件发送技术方案和案例", "邮件确认合同盖章版本",
              "邮件跟进发票和回款进度", "邮件发送新品目录"),
    "visit": ("上门拜访，演示产品功能，采购和技术负责人参加", "拜访客户工厂，了解产线改造需求",
              "陪同高层拜访，沟通年度合作框架", "上门培训使用人员", "拜访客户，处理售后问题"),
    "online_meeting": ("线上会议讨论技术方案", "视频会议演示系统，客户提出定制需求",
                       "线上评审投标文件", "线上沟通实施计划和排期", "腾讯会议与客户IT对接接口"),
}
FEEDBACK = ("客户反馈积极", "价格偏高，需要申请折扣", "需要内部评估", "决策人出差，下周再联系",
            "已进入采购流程", "竞品报价更低", None, None)
NEXT_ACTIONS = ("发送正式报价", "安排技术交流", "预约上门拜访", "跟进合同审批", "催收回款",
                "邀请参加展会", None, None)
KEY_NEEDS = ("降低采购成本", "缩短交期", "提升产品质量稳定性", "数字化转型", "售后响应速度",
             "定制化方案", "账期支持", "本地化服务")

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


def _worker_init(cfg: dict[str, Any]) -> None:
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


def _person_name(rng: random.Random) -> str:
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
            name = _person_name(rng)
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
            cname = _person_name(rng)
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


def _run_batch(bounds: tuple[int, int]) -> dict[str, Any]:
    return generate_batch(*bounds)


# ---- orchestration --------------------------------------------------------------------------

def db_url() -> str:
    from tests.services import with_database

    return with_database(servers.admin_url(), DB_NAME)


def settings(url: str) -> Any:
    return servers.settings(url, token_minutes=24 * 60, field_key=FIELD_KEY,
                            blind_index_key=BLIND_INDEX_KEY)


def server_env(url: str, port: int) -> dict[str, str]:
    """What `crm serve` needs to read this database (the same keys as the seed)."""
    return {**servers.server_env(url, port, "crm:bench-c360", token_minutes=24 * 60),
            "CRM_FIELD_KEY": FIELD_KEY, "CRM_BLIND_INDEX_KEY": BLIND_INDEX_KEY,
            "CRM_ENV": "test"}


async def create_org(url: str) -> dict[str, Any]:
    """HQ + 5 sales departments, each with a manager and 10 reps; an admin; through use cases."""
    from adapters.bootstrap import build
    from domain.shared.authz import Role, system_actor

    c = build(settings(url))
    try:
        actor = system_actor("bench-seed")
        ident = c.identity
        hq = await ident.create_department(actor, "总部", None)
        admin = await ident.create_user(actor, email="admin@c360.bench", name="系统管理员",
                                        role=Role.ADMIN, department_id=hq.id,
                                        password=PASSWORD)
        names = ("华东销售部", "华北销售部", "华南销售部", "华中销售部", "西南销售部")
        rng = random.Random(7)
        depts: list[dict[str, Any]] = []
        for d, dname in enumerate(names):
            dept = await ident.create_department(actor, dname, hq.id)
            mgr = await ident.create_user(
                actor, email=f"manager{d + 1}@c360.bench", name=_person_name(rng) + "（经理）",
                role=Role.MANAGER, department_id=dept.id, password=PASSWORD)
            reps = []
            for r in range(10):
                rep = await ident.create_user(
                    actor, email=f"rep{d + 1}-{r + 1}@c360.bench", name=_person_name(rng),
                    role=Role.SALES_REP, department_id=dept.id, password=PASSWORD)
                reps.append(str(rep.id))
            depts.append({"id": str(dept.id), "name": dname, "manager": str(mgr.id),
                          "reps": reps})
        return {"hq": str(hq.id), "admin": str(admin.id), "departments": depts}
    finally:
        await c.close()


async def issue_tokens(url: str, user_ids: dict[str, str]) -> dict[str, str]:
    """Fresh access tokens (24 h) for the given users, as the API issues them at log-in."""
    from adapters.bootstrap import build

    c = build(settings(url))
    try:
        out = {}
        async with c.uow() as uow:
            for role, uid in user_ids.items():
                user = await uow.users.get(uuid.UUID(uid))
                assert user is not None, uid
                out[role], _ = c.identity.tokens.issue_access(user, c.clock.now())
        return out
    finally:
        await c.close()


async def drop_for_load(conn: asyncpg.Connection) -> tuple[list[str], list[str], list[str]]:
    """Drops FKs, PK/unique constraints and indexes of the three tables; answers the DDL to
    put them back: (keys, indexes, foreign keys)."""
    rels = "('customers'::regclass, 'contacts'::regclass, 'followups'::regclass)"
    fks = await conn.fetch(f"""
        SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE contype = 'f' AND (conrelid IN {rels} OR confrelid IN {rels})
        ORDER BY 1, 2""")
    # pk_customers stays too: each batch's documents are written for its customers' ids.
    keys = await conn.fetch(f"""
        SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid IN {rels}
          AND conname <> 'pk_customers' ORDER BY 1, 2""")
    # ix_contacts_customer_id stays: each batch's list documents (migration 0016) are written
    # from its contacts through it during the load.
    idx = await conn.fetch(f"""
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i WHERE i.indrelid IN {rels}
          AND i.indexrelid <> 'ix_contacts_customer_id'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1""")
    for r in fks:
        await conn.execute(f'ALTER TABLE {r["tbl"]} DROP CONSTRAINT "{r["conname"]}"')
    for r in keys:
        await conn.execute(f'ALTER TABLE {r["tbl"]} DROP CONSTRAINT "{r["conname"]}"')
    for r in idx:
        await conn.execute(f'DROP INDEX {r["name"]}')
    return ([f'ALTER TABLE {r["tbl"]} ADD CONSTRAINT "{r["conname"]}" {r["def"]}' for r in keys],
            [r["def"] for r in idx],
            [f'ALTER TABLE {r["tbl"]} ADD CONSTRAINT "{r["conname"]}" {r["def"]}' for r in fks])


async def run_parallel(url: str, statements: list[str], sessions: int = 2,
                       label: str = "") -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for s in statements:
        queue.put_nowait(s)

    async def runner() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '1GB'")
            await conn.execute("SET max_parallel_maintenance_workers = 1")
            while not queue.empty():
                stmt = queue.get_nowait()
                t = time.monotonic()
                await conn.execute(stmt)
                print(f"    {time.monotonic() - t:6.1f} s  {label}{stmt[:110]}", flush=True)
        finally:
            await conn.close()

    await asyncio.gather(*(runner() for _ in range(sessions)))


def _cost(stmt: str) -> int:
    """Biggest builds first, so two sessions finish together."""
    s = stmt.lower()
    if "gin_trgm_ops" in s:
        return 0
    if "using gin" in s:
        return 1
    if "followups" in s:
        return 2
    if "contacts" in s:
        return 3
    return 4


async def table_sizes(url: str) -> list[tuple[str, int, str, str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("""
            SELECT c.relname, c.reltuples::bigint AS n,
                   pg_size_pretty(pg_table_size(c.oid)) AS heap,
                   pg_size_pretty(pg_indexes_size(c.oid)) AS idx,
                   pg_size_pretty(pg_total_relation_size(c.oid)) AS total
            FROM pg_class c WHERE c.relname IN ('customers', 'contacts', 'followups',
                                                'customer_docs')
            ORDER BY c.relname""")
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await conn.close()


def _subsample(rng: random.Random, items: list[Any], k: int) -> list[Any]:
    return items if len(items) <= k else rng.sample(items, k)


async def seed(n: int, workers: int) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t_all = time.monotonic()

    def phase(name: str, t: float) -> None:
        timings[name] = round(time.monotonic() - t, 1)
        print(f"[{timings[name]:7.1f} s] {name}", flush=True)

    t = time.monotonic()
    url = await servers.recreate_database(servers.admin_url(), DB_NAME)
    from adapters.db.migrate import upgrade

    await upgrade(url)
    phase("create database + migrate", t)

    t = time.monotonic()
    org = await create_org(url)
    phase("organisation through the use cases (56 users, argon2)", t)

    t = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        keys, indexes, fks = await drop_for_load(conn)
    finally:
        await conn.close()
    phase(f"drop {len(keys)} keys, {len(indexes)} indexes, {len(fks)} foreign keys", t)

    reps = [(uuid.UUID(r), uuid.UUID(d["id"])) for d in org["departments"] for r in d["reps"]]
    sample_dept = org["departments"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    cfg = {"url": url, "n": n, "t0": now - THREE_YEARS, "now": now, "reps": reps, "seed": 42,
           "sample_rep": uuid.UUID(sample_dept["reps"][0]),
           "sample_dept": uuid.UUID(sample_dept["id"])}
    batches = [(s, min(s + BATCH, n)) for s in range(0, n, BATCH)]
    samples: dict[str, list[Any]] = {k: [] for k in (
        "rep_ids", "all_ids", "phones", "filters_rep", "filters_mgr", "words_rep", "words_mgr")}
    t = time.monotonic()
    done = 0
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(cfg,)) as pool:
        for res in pool.imap_unordered(_run_batch, batches):
            for k in samples:
                samples[k].extend(res[k])
            done += res["rows"]
            if done % 100_000 < BATCH:
                el = time.monotonic() - t
                print(f"    {done:>9,} customers  {el:6.1f} s  {done / el:8.0f}/s", flush=True)
    phase(f"generate + encrypt + COPY {n:,} customers, {2 * n:,} contacts, "
          f"{3 * n:,} follow-ups ({workers} workers)", t)

    t = time.monotonic()
    await run_parallel(url, keys, label="")
    phase("primary keys and unique constraints", t)
    t = time.monotonic()
    await run_parallel(url, sorted(indexes, key=_cost))
    phase("secondary indexes", t)
    t = time.monotonic()
    await run_parallel(url, fks, sessions=1)  # they lock the same tables
    phase("foreign keys (validated)", t)

    t = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT setval('customer_number_seq', $1)", n)
    finally:
        await conn.close()
    await run_parallel(url, [f"VACUUM (ANALYZE) {tb}" for tb in (
        "followups", "contacts", "customers", "customer_docs")])
    phase("setval + VACUUM ANALYZE", t)
    timings["total"] = round(time.monotonic() - t_all, 1)
    print(f"[{timings['total']:7.1f} s] total", flush=True)

    sizes = await table_sizes(url)
    print(f"    {'table':<10} {'rows':>10} {'heap':>9} {'indexes':>9} {'total':>9}")
    for name, rows, heap, idx, total in sizes:
        print(f"    {name:<10} {rows:>10,} {heap:>9} {idx:>9} {total:>9}")

    rng = random.Random(99)
    users = {"rep": sample_dept["reps"][0], "manager": sample_dept["manager"],
             "admin": org["admin"]}
    sample = {
        "database": DB_NAME, "customers": n, "seeded_at": now.isoformat(),
        "timings_s": timings, "sizes": [list(s) for s in sizes],
        "org": org, "users": users, "tokens": await issue_tokens(url, users),
        "rep_ids": _subsample(rng, samples["rep_ids"], 5000),
        "all_ids": _subsample(rng, samples["all_ids"], 5000),
        "phones": _subsample(rng, samples["phones"], 5000),
        "filters_rep": _subsample(rng, samples["filters_rep"], 3000),
        "filters_mgr": _subsample(rng, samples["filters_mgr"], 3000),
        "words_rep": _subsample(rng, samples["words_rep"], 3000),
        "words_mgr": _subsample(rng, samples["words_mgr"], 3000),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    SAMPLE_FILE.write_text(json.dumps(sample, ensure_ascii=False))
    print(f"sample: {SAMPLE_FILE.relative_to(ROOT)} ({len(sample['rep_ids'])} rep ids, "
          f"{len(sample['all_ids'])} ids, {len(sample['phones'])} phones)")
    return sample


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=3,
                    help="generator processes (each with its own COPY connection)")
    ap.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    args = ap.parse_args()
    try:
        await seed(args.customers, args.workers)
    finally:
        if not args.keep:
            await servers.drop_database(servers.admin_url(), DB_NAME)
            print(f"dropped {DB_NAME} (use --keep to keep it)")


if __name__ == "__main__":
    asyncio.run(main())
