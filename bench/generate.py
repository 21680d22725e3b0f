"""Realistic hotline data written straight into a database, fast and deterministic.

    python -m bench.generate sqlite:////tmp/h.sqlite --tickets 100000

The schema is the models' (db.create_all() on a fresh database); categories come from
hotline.seeds. Rows go in by bulk: executemany on SQLite, COPY on PostgreSQL.
"""

import argparse
import math
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from config import ProductionConfig
from hotline import create_app
from hotline.extensions import db
from hotline.models import (
    CaseCounter,
    Category,
    CategoryGroup,
    Department,
    Role,
    User,
)
from hotline.seeds import seed_categories
from hotline.timeutil import local_today

BENCH_OPERATOR = "bench_operator"
BENCH_SUPERVISOR = "bench_supervisor"
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 (throwaway local database)
HOTLINE_NUMBER = "+8610012315"
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST: local = UTC + 8 h
CHUNK = 5000

# Shares of goods and service classes in complaints (roughly the published 12315 mix).
CATEGORY_WEIGHTS = {
    "S03": 20, "G02": 9, "G01": 7, "S09": 7, "S01": 6, "S04": 6, "G04": 6, "S02": 5, "S11": 5,
    "G05": 5, "S07": 3, "S05": 3, "S06": 3, "G06": 3, "S10": 3, "G03": 2, "G08": 2, "G09": 2,
    "S12": 1, "S13": 1, "S08": 1, "G07": 1,
}
PROBLEM_WEIGHTS = {"P01": 25, "P02": 22, "P03": 18, "P04": 8, "P05": 8, "P06": 3, "P07": 5,
                   "P08": 1, "P09": 2, "P10": 8}
KIND_WEIGHTS = {"complaint": 55, "consultation": 30, "report": 12, "unknown": 3}

PRODUCTS = {
    "S03": ["网购的蓝牙耳机", "直播间买的羽绒服", "平台会员", "团购套餐", "网购的扫地机器人"],
    "G02": ["手机", "笔记本电脑", "平板电脑", "智能手表", "充电宝"],
    "G01": ["空调", "冰箱", "洗衣机", "热水器", "电视机"],
    "S09": ["健身年卡", "理发店储值卡", "洗车卡", "游泳月卡", "早教课程卡"],
    "S01": ["酒店住宿", "婚宴套餐", "外卖套餐", "火锅店消费", "自助餐"],
    "S04": ["宽带业务", "手机套餐", "流量包", "固定电话", "携号转网"],
    "G04": ["牛奶", "月饼礼盒", "进口奶粉", "散装白酒", "保健食品"],
    "S02": ["英语培训课程", "驾校报名", "职业资格培训", "少儿编程课", "考研辅导班"],
    "S11": ["快递包裹", "同城配送", "搬家服务", "国际转运", "冷链快递"],
    "G05": ["运动鞋", "羽绒服", "皮鞋", "连衣裙", "儿童服装"],
    "S07": ["跟团游", "机票", "景区门票", "民宿预订", "邮轮旅游"],
    "S05": ["美容疗程", "烫发", "美甲", "纹眉", "祛斑项目"],
    "S06": ["全屋装修", "橱柜定制", "地板安装", "防水工程", "门窗安装"],
    "G06": ["新能源汽车", "电动自行车", "汽车轮胎", "二手车", "汽车保养"],
    "S10": ["物业服务", "保洁服务", "月嫂服务", "家电清洗", "开锁服务"],
    "G03": ["洗发水", "纸巾", "保温杯", "雨伞", "床上用品"],
    "G08": ["面霜", "口红", "防晒霜", "精华液", "面膜"],
    "G09": ["实木沙发", "瓷砖", "床垫", "衣柜", "乳胶漆"],
    "S12": ["信用卡分期", "理财产品", "车险理赔", "网络贷款", "保险退保"],
    "S13": ["体检套餐", "牙齿矫正", "近视手术", "中医理疗", "植发项目"],
    "S08": ["演唱会门票", "电影票", "健身私教", "游戏充值", "剧本杀"],
    "G07": ["血压计", "助听器", "隐形眼镜", "轮椅", "感冒药"],
}
PROBLEMS = {
    "P01": ["用了不到一个月就坏了", "收到时外包装破损，商品有明显划痕", "使用中出现异响和漏水", "质量与描述严重不符"],
    "P02": ["多次报修一直没人上门", "客服推诿，拒绝按三包规定退换", "申请退货后商家迟迟不退款", "维修后故障依旧"],
    "P03": ["商家单方面变更合同条款", "预付款交了以后门店突然关门", "合同约定的服务没有兑现", "被强制捆绑销售"],
    "P04": ["结账价格比标价高出不少", "先涨价后打折，价格欺诈", "被收取了未告知的服务费", "同一商品两天内价格相差一倍"],
    "P05": ["宣传的功效完全没有", "广告承诺的赠品没有兑现", "虚构原价诱导消费", "夸大宣传，实际效果很差"],
    "P06": ["使用时突然起火冒烟", "孩子使用后皮肤过敏红肿", "产品存在漏电隐患", "食用后出现腹泻呕吐"],
    "P07": ["怀疑买到的是假货", "商品没有中文标签和生产厂家", "鉴定后确认不是正品", "以次充好，冒用他人商标"],
    "P08": ["个人信息被泄露，天天接到推销电话", "被店员当众搜身", "商家擅自公开了我的照片", "遭到工作人员辱骂"],
    "P09": ["缺斤短两，实际重量不足", "加油机计量不准", "电表走字明显偏快", "出租车计价器异常"],
    "P10": ["商家拒绝开具发票", "会员积分被清零", "不支持七天无理由退货", "售后电话一直打不通"],
}
CHANNELS_ZH = ["网店", "实体店", "直播间", "门店", "微信小程序", "电话订购"]
FOLLOWUPS = ["多次与商家协商未果", "商家客服至今不回复", "已向平台投诉，平台让找商家", "商家态度恶劣，不予处理",
             "商家答应处理但一直拖延"]
DEMANDS = ["退货退款", "更换新品", "赔偿损失", "退还多收费用", "退还剩余预付款", "按规定三倍赔偿",
           "尽快维修并赔偿误工费", "赔礼道歉并删除个人信息"]
QUESTIONS = ["七天无理由退货适用于哪些商品？", "网购商品坏了找平台还是找商家？", "预付卡商家跑路怎么办？",
             "买到假货可以要求几倍赔偿？", "三包期内维修了两次还能退货吗？", "快递丢件应该怎么索赔？",
             "装修合同纠纷应该找哪个部门？", "商家拒绝开发票怎么办？"]
CITIES = ["东城", "西城", "朝阳", "海淀", "丰台", "石景山", "通州", "顺义", "昌平", "大兴", "房山", "门头沟"]
BRAND_A = ["华", "美", "新", "金", "宏", "佳", "优", "鑫", "恒", "盛", "东", "百", "万", "天", "惠"]
BRAND_B = ["联", "达", "源", "信", "泰", "利", "康", "福", "发", "祥", "兴", "隆", "乐", "品", "诚"]
SHOPS = ["商贸有限公司", "电器专卖店", "旗舰店", "健身会所", "餐饮管理有限公司", "教育科技有限公司",
         "超市", "美容美发店", "装饰工程有限公司", "旅行社", "汽车销售服务有限公司", "通讯营业厅"]
STREETS = ["建国路", "中关村大街", "长安街", "望京街", "学院路", "丰台路", "新华大街", "府前街"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
            "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "185", "186",
            "187", "188", "189", "191", "198", "199"]

# How far along its lifecycle a complaint or report is, by its age in days.
STAGES_BY_AGE = [
    (1, {"new": 40, "accepted": 30, "forwarded": 20, "in_progress": 10}),
    (7, {"new": 5, "accepted": 15, "forwarded": 25, "in_progress": 35, "resolved": 10, "rejected": 5,
         "referred": 5}),
    (60, {"in_progress": 25, "resolved": 30, "closed": 35, "rejected": 5, "referred": 5}),
    (10**6, {"closed": 85, "resolved": 3, "rejected": 6, "referred": 6}),
]
PATHS = {
    "new": [], "accepted": ["accepted"], "rejected": ["rejected"], "referred": ["referred"],
    "forwarded": ["accepted", "forwarded"], "in_progress": ["accepted", "forwarded", "in_progress"],
    "resolved": ["accepted", "forwarded", "in_progress", "resolved"],
    "closed": ["accepted", "forwarded", "in_progress", "resolved", "closed"],
    "answered": ["answered"], "answered_closed": ["answered", "closed"], "closed_unknown": ["closed"],
}
OPEN = {"new", "accepted", "forwarded", "in_progress", "resolved"}
# Local hour-of-day weights: the line is busiest mid-morning and mid-afternoon.
HOUR_WEIGHTS = [1, 0, 0, 0, 0, 0, 1, 3, 8, 12, 13, 11, 7, 8, 11, 12, 10, 8, 6, 4, 3, 2, 2, 1]


class BenchConfig(ProductionConfig):
    SECRET_KEY = "bench-generator"  # noqa: S105 (never serves a request)


def bench_app(url, **overrides):
    """The real app bound to `url`, for schema, seeds and sessions."""
    return create_app(type("Bench", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides}))


def _picker(rng, weights):
    keys, cum = list(weights), []
    total = 0
    for k in keys:
        total += weights[k]
        cum.append(total)
    return lambda: rng.choices(keys, cum_weights=cum)[0]


class World:
    """Reference rows (departments, users, categories) the generated cases point at."""

    def __init__(self, n_operators=40, n_departments=30):
        self.n_operators, self.n_departments = n_operators, n_departments

    def create(self):
        seed_categories()
        depts = [Department(code=f"MS{i:02d}", name=f"{CITIES[i % len(CITIES)]}市场监管所{i:02d}",
                            region=CITIES[i % len(CITIES)] + "区") for i in range(1, self.n_departments + 1)]
        db.session.add_all(depts)
        db.session.flush()
        shared_hash = generate_password_hash(BENCH_PASSWORD)
        users = [User(username=BENCH_OPERATOR, display_name="压测接线员", role=Role.OPERATOR),
                 User(username=BENCH_SUPERVISOR, display_name="压测班长", role=Role.SUPERVISOR)]
        users += [User(username=f"op{i:03d}", display_name=f"{SURNAMES[i % 20]}接线员", role=Role.OPERATOR)
                  for i in range(1, self.n_operators)]
        users += [User(username=f"dept{d.code}", display_name=d.name, role=Role.DEPARTMENT, department=d)
                  for d in depts]
        for u in users:
            u.password_hash = shared_hash
        db.session.add_all(users)
        db.session.flush()
        self.operator_ids = [u.id for u in users if u.role == Role.OPERATOR]
        self.department_ids = [d.id for d in depts]
        cats = {c.code: c.id for c in db.session.scalars(select(Category).where(Category.parent_id.is_not(None)))}
        self.category_ids = cats
        self.groups = {c.code: c.group for c in db.session.scalars(select(Category))}
        assert all(self.groups[k] != CategoryGroup.PROBLEM for k in CATEGORY_WEIGHTS)


class Sink:
    """Bulk writes through the raw driver: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.pg = engine.dialect.name == "postgresql"
        self.rows = 0
        if not self.pg:
            # Rebuildable bench data: no fsync, and a page cache big enough for 1M cases' indexes.
            self.raw.driver_connection.execute("PRAGMA synchronous=OFF")
            self.raw.driver_connection.execute("PRAGMA cache_size=-1000000")

    def write(self, table, columns, rows):
        if not rows:
            return
        columns, rows = self._with_defaults(table, columns, rows)
        names = ", ".join(f'"{c}"' for c in columns)
        cur = self.raw.cursor()
        if self.pg:
            with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            if not self.raw.driver_connection.in_transaction:
                # The app's connect hook leaves pysqlite in autocommit (isolation_level None):
                # without BEGIN every row would be its own transaction and fsync.
                cur.execute("BEGIN")
            marks = ", ".join("?" * len(columns))
            cur.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                            [tuple(_sqlite_value(v) for v in row) for row in rows])
        cur.close()
        self.rows += len(rows)

    @staticmethod
    def _with_defaults(table, columns, rows):
        """Columns another engineer adds (NOT NULL with a Python default) get their default."""
        extra, values = [], []
        for col in table.columns:
            if col.name in columns or col.nullable or col.server_default is not None or col.default is None:
                continue
            arg = col.default.arg
            extra.append(col.name)
            values.append(arg(None) if callable(arg) else arg)
        if not extra:
            return columns, rows
        tail = tuple(values)
        return list(columns) + extra, [tuple(r) + tail for r in rows]

    def commit(self):
        self.raw.commit()

    def close(self):
        self.raw.close()


def _sqlite_value(v):
    if isinstance(v, datetime):
        return v.isoformat(" ", "microseconds")  # SQLAlchemy's SQLite DATETIME format
    if isinstance(v, Decimal):
        return float(v)
    return v


class Generator:
    """Cases over `days` local days ending `end`, with callers who call again."""

    def __init__(self, world, n_tickets, seed, end, days):
        self.w, self.n, self.end, self.days = world, n_tickets, end, days
        self.rng = random.Random(seed)
        r = self.rng
        self.pick_category = _picker(r, CATEGORY_WEIGHTS)
        self.pick_problem = _picker(r, PROBLEM_WEIGHTS)
        self.pick_kind = _picker(r, KIND_WEIGHTS)
        self.stage_pickers = [(age, _picker(r, w)) for age, w in STAGES_BY_AGE]
        dept_w = {d: 1 / (i + 1) ** 0.7 for i, d in enumerate(world.department_ids)}
        self.pick_department = _picker(r, dept_w)
        self.contact_id = self.event_id = 0
        self.end_utc = datetime.combine(end + timedelta(days=1), datetime.min.time()) - UTC_OFFSET

    # -- callers -------------------------------------------------------------------------------
    def callers(self):
        """Phones for as many callers as it takes; each caller's number of cases is Pareto-like
        (most call once, a few call dozens of times)."""
        r, seen, counts, rows = self.rng, set(), [], []
        total = 0
        while total < self.n:
            k = min(int(r.paretovariate(1.8)), 300, self.n - total)
            phone = None
            while phone is None or phone in seen:
                phone = "+86" + r.choice(PREFIXES) + f"{r.randrange(10**8):08d}"
            seen.add(phone)
            counts.append(k)
            total += k
            named = r.random() < 0.6
            name = (r.choice(SURNAMES) + r.choice(["先生", "女士"])) if named else None
            address = f"{r.choice(CITIES)}区{r.choice(STREETS)}{r.randrange(1, 300)}号" if named else None
            rows.append((len(rows) + 1, phone, name, address))
        self.caller_phone = {row[0]: row[1] for row in rows}
        owners = [cid for cid, k in enumerate(counts, start=1) for _ in range(k)]
        r.shuffle(owners)
        self.owners = owners
        return rows

    # -- days and numbers ----------------------------------------------------------------------
    def day_counts(self):
        """Cases per local day: weekdays busier, a slow rise over the year."""
        days = [self.end - timedelta(days=self.days - 1 - i) for i in range(self.days)]
        weights = [(0.6 if d.weekday() >= 5 else 1.0) * (0.8 + 0.4 * i / self.days) for i, d in enumerate(days)]
        total = sum(weights)
        counts = [math.floor(self.n * w / total) for w in weights]
        for i in range(self.n - sum(counts)):
            counts[-1 - (i % len(counts))] += 1
        return list(zip(days, counts, strict=True))

    def moments(self, day, count):
        r = self.rng
        hours = r.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        local = [datetime(day.year, day.month, day.day, h) + timedelta(seconds=r.randrange(3600)) for h in hours]
        return sorted(t - UTC_OFFSET for t in local)

    # -- tickets -------------------------------------------------------------------------------
    def ticket(self, tid, number, created):
        r = self.rng
        kind = self.pick_kind()
        age = (self.end_utc - created).days
        cat = self.pick_category()
        product = r.choice(PRODUCTS[cat])
        respondent = f"{r.choice(CITIES)}{r.choice(BRAND_A)}{r.choice(BRAND_B)}{r.choice(SHOPS)}"
        problem = demand = amount = None
        if kind == "consultation":
            facts = f"来电咨询：{r.choice(QUESTIONS)}涉及{product}。"
            stage = "answered" if age < 2 else "answered_closed"
            respondent = None
        elif kind == "unknown":
            facts = None
            stage = "new" if age < 2 else "closed_unknown"
            respondent = cat = None
        else:
            problem = self.pick_problem()
            facts = (f"{r.randrange(1, 28)}日在{r.choice(CHANNELS_ZH)}{respondent}购买了{product}，"
                     f"{r.choice(PROBLEMS[problem])}。{r.choice(FOLLOWUPS)}。")
            if kind == "complaint":
                demand = r.choice(DEMANDS)
                if r.random() < 0.7:
                    amount = Decimal(min(200000, round(r.lognormvariate(6.7, 1.1), 2))).quantize(Decimal("0.01"))
            stage = next(pick for limit, pick in self.stage_pickers if age < limit)()
        path = PATHS[stage]
        status = path[-1] if path else "new"
        dept = self.pick_department() if "forwarded" in path else None
        operator = r.choice(self.w.operator_ids)
        channel = "voice" if r.random() < 0.8 else "sms"
        events, at = [], created
        events.append(self._event(tid, at, operator, "created", None, channel))
        prev = "new"
        for step in path:
            at += timedelta(minutes=r.randrange(5, 60 * 24 * (3 if age > 10 else 1)))
            at = min(at, self.end_utc)
            events.append(self._event(tid, at, operator, "status", prev, step))
            prev = step
        if r.random() < 0.5:
            events.append(self._event(tid, min(at + timedelta(minutes=30), self.end_utc), operator, "note",
                                      None, "已电话联系消费者，说明处理进度。"))
        summary = (facts or "")[:30] or None
        row = (tid, number, status, kind, channel, self.owners[tid - 1], operator, dept,
               self.w.category_ids.get(cat), self.w.category_ids.get(problem), summary, facts, demand, amount,
               respondent, f"{r.choice(CITIES)}区{r.choice(STREETS)}{r.randrange(1, 500)}号" if respondent else None,
               None, at if status not in OPEN else None, 1, created, at)
        return row, events

    TICKET_COLUMNS = ["id", "number", "status", "kind", "channel", "caller_id", "assigned_to_id", "department_id",
                      "category_id", "problem_type_id", "summary", "facts", "demand", "amount", "respondent_name",
                      "respondent_address", "respondent_region", "closed_at", "version", "created_at", "updated_at"]
    EVENT_COLUMNS = ["id", "ticket_id", "at", "actor_id", "type", "from_value", "to_value"]
    CONTACT_COLUMNS = ["id", "sid", "channel", "direction", "ticket_id", "caller_id", "from_number", "to_number",
                       "status", "body", "blocked", "queued_at", "answered_at", "abandoned_at", "ended_at",
                       "wrapup_ended_at", "queue_seconds", "talk_seconds", "answered_by_id", "queue_result",
                       "end_reason", "created_at", "updated_at"]

    def _event(self, tid, at, actor, type_, from_value, to_value):
        self.event_id += 1
        return (self.event_id, tid, at, actor, type_, from_value, to_value)

    # -- contacts: the first call or text, the acknowledgement SMS, and one later contact --------
    def contacts(self, ticket_row):
        r = self.rng
        tid, number, caller_id, operator, created = ticket_row[0], ticket_row[1], ticket_row[5], ticket_row[6], ticket_row[19]
        phone = self.caller_phone[caller_id]
        voice = ticket_row[4] == "voice"
        first = (self._call(tid, caller_id, phone, operator, created - timedelta(seconds=r.randrange(60, 900)), True)
                 if voice else self._sms(tid, caller_id, phone, created, True, ticket_row[11] or "你好，我要投诉"))
        ack = self._sms(tid, caller_id, phone, created + timedelta(seconds=r.randrange(5, 120)), False,
                        f"【12315】您的诉求已登记，案件编号{number}，请留意后续短信通知。")
        later = created + timedelta(hours=r.randrange(2, 24 * 7))
        roll = r.random()
        if roll < 0.5:
            third = self._call(tid, caller_id, phone, operator, later, False)
        elif roll < 0.8:
            third = self._call(tid, caller_id, phone, operator, later, True)
        else:
            third = self._sms(tid, caller_id, phone, later, False, f"【12315】案件{number}已办结，感谢您的来电。")
        return [first, ack, third]

    def _call(self, tid, caller_id, phone, operator, start, inbound):
        r = self.rng
        self.contact_id += 1
        queue = min(300, int(r.lognormvariate(2.5, 0.8))) if inbound else 0
        abandoned = inbound and r.random() < 0.08
        answered = None if abandoned else start + timedelta(seconds=queue)
        talk = None if abandoned else max(15, min(3600, int(r.lognormvariate(5.3, 0.6))))
        ended = (start + timedelta(seconds=queue)) if abandoned else answered + timedelta(seconds=talk)
        wrapup = None if abandoned else ended + timedelta(seconds=r.randrange(20, 180))
        return (self.contact_id, f"CA{r.getrandbits(64):016x}{self.contact_id:016x}", "voice",
                "inbound" if inbound else "outbound", tid, caller_id,
                phone if inbound else HOTLINE_NUMBER, HOTLINE_NUMBER if inbound else phone,
                "completed" if not abandoned else "no-answer", None, False, start if inbound else None,
                answered, ended if abandoned else None, ended, wrapup, queue if inbound else None, talk,
                None if abandoned else operator, ("hangup" if abandoned else "bridged") if inbound else None,
                "completed", start, wrapup or ended)

    def _sms(self, tid, caller_id, phone, at, inbound, body):
        self.contact_id += 1
        return (self.contact_id, f"SM{self.rng.getrandbits(64):016x}{self.contact_id:016x}", "sms",
                "inbound" if inbound else "outbound", tid, caller_id,
                phone if inbound else HOTLINE_NUMBER, HOTLINE_NUMBER if inbound else phone,
                "received" if inbound else "delivered", body, False, None, None, None, None, None, None, None,
                None, None, None, at, at)


def default_end():
    """Yesterday (local), so no case lies in the future."""
    return local_today(ProductionConfig.HOTLINE_TIMEZONE) - timedelta(days=1)


def generate(url, n_tickets=100_000, seed=12315, days=None, end=None, log=print):
    """Fill a fresh database at `url` with `n_tickets` cases; returns what was written and how long it took."""
    started = time.perf_counter()
    app = bench_app(url)
    days = days or min(730, max(30, n_tickets // 200))
    with app.app_context():
        # Yesterday by default, so no case lies in the future.
        end = end or default_end()
        db.create_all()
        world = World()
        world.create()
        db.session.commit()
        gen = Generator(world, n_tickets, seed, end, days)
        sink = Sink(db.engine)
        tables = db.metadata.tables
        callers = gen.callers()
        for i in range(0, len(callers), CHUNK):
            sink.write(tables["callers"], ["id", "phone", "name", "address"], callers[i:i + CHUNK])
        counters, tid = [], 0
        buf_t, buf_e, buf_c = [], [], []
        for day, count in gen.day_counts():
            for seq, created in enumerate(gen.moments(day, count), start=1):
                tid += 1
                row, events = gen.ticket(tid, f"{day:%Y%m%d}-{seq:05d}", created)
                buf_t.append(row)
                buf_e += events
                buf_c += gen.contacts(row)
            if count:
                counters.append((f"{day:%Y%m%d}", count))
            if len(buf_t) >= CHUNK:
                _flush(sink, tables, gen, buf_t, buf_e, buf_c)
                buf_t, buf_e, buf_c = [], [], []
                log(f"  generated {tid:,} / {n_tickets:,} tickets", end="\r")
        _flush(sink, tables, gen, buf_t, buf_e, buf_c)
        sink.write(tables["case_counters"], ["day", "last"], counters)
        sink.commit()
        sink.close()
        _finish(db.engine)
        stats = _stats(gen, time.perf_counter() - started, sink.rows, len(callers), days, end)
    app_engine_dispose(app)
    log(f"  generated {n_tickets:,} tickets in {stats['seconds']:.1f} s{' ' * 20}")
    return stats


def _flush(sink, tables, gen, tickets, events, contacts):
    sink.write(tables["tickets"], gen.TICKET_COLUMNS, tickets)
    sink.write(tables["ticket_events"], gen.EVENT_COLUMNS, events)
    sink.write(tables["contacts"], gen.CONTACT_COLUMNS, contacts)
    sink.commit()


def _finish(engine):
    """Sequences past the explicit ids (PostgreSQL), and fresh planner statistics on both."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for name in ("callers", "tickets", "ticket_events", "contacts"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def _stats(gen, seconds, rows, n_callers, days, end):
    repeat = sum(1 for k in _counts(gen.owners).values() if k > 1)
    return {"tickets": gen.n, "callers": n_callers, "callers_with_several_cases": repeat,
            "contacts": gen.contact_id, "events": gen.event_id, "rows": rows, "days": days,
            "end": end.isoformat(), "seconds": round(seconds, 1)}


def _counts(owners):
    counts = {}
    for o in owners:
        counts[o] = counts.get(o, 0) + 1
    return counts


def app_engine_dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def check(url):
    """What a reader would verify: counts, unique numbers, counters consistent with numbers."""
    app = bench_app(url)
    from hotline.models import Ticket

    with app.app_context():
        n = db.session.scalar(select(func.count(Ticket.id)))
        distinct = db.session.scalar(select(func.count(func.distinct(Ticket.number))))
        counters = dict(db.session.execute(select(CaseCounter.day, CaseCounter.last)).all())
        day = func.substr(Ticket.number, 1, 8).label("day")
        per_day = dict(db.session.execute(select(day, func.max(Ticket.number)).group_by("day")).all())
        consistent = all(counters.get(day) == int(top[-5:]) for day, top in per_day.items())
    app_engine_dispose(app)
    return {"tickets": n, "unique_numbers": distinct, "counters_consistent": consistent and len(counters) == len(per_day)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL of a fresh (empty) database")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12315)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last local day (default today)")
    args = parser.parse_args(argv)
    stats = generate(args.url, args.tickets, args.seed, end=args.end,
                     log=lambda *a, **k: print(*a, **k, flush=True))
    print(stats, check(args.url))


if __name__ == "__main__":
    main()
