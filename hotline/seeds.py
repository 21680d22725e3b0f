"""Reference data every deployment starts from (docs/DOMAIN.md): categories and problem types,
the working-day calendar and the category questions; features add theirs with `add_seed`.

Defaults only: supervisors edit them afterwards, so seeding never overwrites a row that exists.
"""

from flask import current_app
from sqlalchemy import select

from hotline.deadlines.calendar_data import seed_calendar
from hotline.extensions import db
from hotline.models import Category, CategoryGroup
from hotline.questions import seed_category_questions
from hotline.timeutil import now

_SEEDS = "hotline.seeds"

GOODS = [
    ("G01", "家用电器", "Household appliances"),
    ("G02", "通讯及电子产品", "Phones and electronics"),
    ("G03", "日用商品", "Daily goods"),
    ("G04", "食品饮料", "Food and drink"),
    ("G05", "服装鞋帽", "Clothing and shoes"),
    ("G06", "交通工具及配件", "Vehicles and parts"),
    ("G07", "药品及医疗器械", "Medicines and medical devices"),
    ("G08", "化妆品", "Cosmetics"),
    ("G09", "家具及建材", "Furniture and building materials"),
]
SERVICES = [
    ("S01", "餐饮住宿", "Catering and accommodation"),
    ("S02", "教育培训", "Education and training"),
    ("S03", "互联网服务及电子商务", "Internet services and e-commerce"),
    ("S04", "电信服务", "Telecom services"),
    ("S05", "美容美发", "Beauty and hairdressing"),
    ("S06", "家居装修", "Home renovation"),
    ("S07", "旅游", "Tourism"),
    ("S08", "文化体育娱乐", "Culture, sport and entertainment"),
    ("S09", "预付卡及会员", "Prepaid cards and memberships"),
    ("S10", "家政及物业", "Housekeeping and property"),
    ("S11", "快递物流", "Express delivery and logistics"),
    ("S12", "金融服务", "Financial services"),
    ("S13", "医疗服务", "Medical services"),
]
PROBLEMS = [
    ("P01", "质量", "Quality"),
    ("P02", "售后服务", "After-sales"),
    ("P03", "合同", "Contract"),
    ("P04", "价格", "Price"),
    ("P05", "虚假宣传", "False advertising"),
    ("P06", "安全", "Safety"),
    ("P07", "假冒伪劣", "Counterfeit"),
    ("P08", "人格尊严及隐私", "Personal dignity and privacy"),
    ("P09", "计量", "Measurement"),
    ("P10", "其他", "Other"),
]
ROOTS = [
    (CategoryGroup.GOODS, "G", "商品", "Goods", GOODS),
    (CategoryGroup.SERVICES, "S", "服务", "Services", SERVICES),
    (CategoryGroup.PROBLEM, "P", "问题类型", "Problem types", PROBLEMS),
]


def seed_categories():
    """Create the default category tree; rows that exist (by code) are left as edited."""
    existing = set(db.session.scalars(select(Category.code)))
    added = 0
    for group, code, zh, en, children in ROOTS:
        root = db.session.scalar(select(Category).where(Category.code == code))
        if root is None:
            root = Category(group=group, code=code, name_zh=zh, name_en=en, position=0)
            db.session.add(root)
            added += 1
        for position, (child_code, child_zh, child_en) in enumerate(children, start=1):
            if child_code in existing:
                continue
            db.session.add(
                Category(group=group, code=child_code, name_zh=child_zh, name_en=child_en,
                         parent=root, position=position)
            )
            added += 1
    db.session.flush()
    return added


def add_seed(app, seed):
    """A feature's defaults (a function returning how many rows it added), run by
    seed_reference_data after the core's, in the order features add them (init_app)."""
    seeds = app.extensions.setdefault(_SEEDS, [])
    if seed not in seeds:
        seeds.append(seed)


def seed_reference_data():
    """Every default a deployment starts from: the core's, then each feature's."""
    year = now().year
    added = seed_categories() + seed_calendar(year - 1, year + 2) + seed_category_questions()
    return added + sum(seed() for seed in current_app.extensions.get(_SEEDS, ()))
