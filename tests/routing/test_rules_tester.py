"""The "test this rule set" box: a pasted description or a past case, where it would go and why,
and, while editing, the unsaved change beside the saved rules. Testing never saves."""

from html.parser import HTMLParser

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import RoutingRule, RoutingRuleChange
from tests.routing import rules_helpers
from tests.routing.rules_helpers import add_rule, category

world = rules_helpers.world


class Texts(HTMLParser):
    """Text inside each element with data-testid=<name>, in document order."""

    def __init__(self, testid):
        super().__init__()
        self.testid, self.depth, self.found = testid, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("data-testid") == self.testid:
            self.depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1] += data


def texts(html, testid):
    parser = Texts(testid)
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.found]


def rule_set(world):
    boss, d = world["supervisor"], world["departments"]
    add_rule(boss, name="空调去东城", keywords="空调", department=d["MS01"])
    add_rule(boss, name="海淀商家", region="海淀区", department=d["MS03"])
    add_rule(boss, name="北京平台", region="北京", category_id=category("S03").id, department=d["MS02"],
             action="ask")
    add_rule(boss, name="人工分派")


def test_a_pasted_description_shows_where_it_goes_and_on_what(world, client, login):
    rule_set(world)
    login(world["supervisor"])
    page = client.post("/routing/rules", data={"test_text": "买的冰箱不制冷", "test_region": "北京市海淀区",
                                                "try_it": "1"})
    assert page.status_code == 200
    assert "海淀市场监管所" in texts(page.text, "destination")[0]
    assert texts(page.text, "matched-rule") == ["海淀商家"]
    assert "海淀区 ← 北京市海淀区" in texts(page.text, "matched-on")[0]


def test_a_platform_seller_without_region_goes_by_the_platform(world, client, login):
    rule_set(world)
    login(world["supervisor"])
    page = client.post("/routing/rules", data={
        "test_text": "网购的衣服是假货", "test_platform": "京东", "test_category": category("S03").id, "try_it": "1"})
    assert texts(page.text, "matched-rule") == ["北京平台"]
    assert "京东" in page.text and "西城市场监管所" in texts(page.text, "destination")[0]


def test_nothing_specific_lands_in_triage_via_the_catch_all(world, client, login):
    rule_set(world)
    login(world["supervisor"])
    page = client.post("/routing/rules", data={"test_text": "快递丢件", "try_it": "1"})
    assert texts(page.text, "matched-rule") == ["人工分派"]
    assert "海淀市场监管所" not in texts(page.text, "destination")[0]


def test_a_past_case_by_number(world, client, login, create_ticket):
    rule_set(world)
    ticket = create_ticket(facts="空调漏水", respondent_region="海淀区")
    login(world["supervisor"])
    page = client.post("/routing/rules", data={"test_number": ticket.number, "try_it": "1"})
    assert texts(page.text, "matched-rule") == ["空调去东城"]
    missing = client.post("/routing/rules", data={"test_number": "20990101-00001", "try_it": "1"})
    assert missing.status_code == 200 and not texts(missing.text, "decision")


def test_the_unsaved_change_is_tried_side_by_side_and_nothing_is_saved(world, client, login):
    rule_set(world)
    aircon = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "空调去东城"))
    changes_before = db.session.scalar(select(func.count(RoutingRuleChange.id)))
    login(world["supervisor"])
    draft = {"name": "空调去东城", "kind": "", "category_id": "None", "problem_type_id": "None",
             "region": "", "keywords": "冰箱", "respondent": "", "department_id": world["departments"]["MS01"].id,
             "action": "auto", "active": "y", "reason": "",
             "test_text": "冰箱不制冷", "test_region": "海淀区", "try_it": "1"}
    page = client.post(f"/routing/rules/{aircon.id}", data=draft)
    assert page.status_code == 200
    saved, unsaved = texts(page.text, "matched-rule")
    assert (saved, unsaved) == ("海淀商家", "空调去东城")
    destinations = texts(page.text, "destination")
    assert "海淀市场监管所" in destinations[0] and "东城市场监管所" in destinations[1]
    db.session.refresh(aircon)
    assert (aircon.keywords, aircon.version) == ("空调", 1)
    assert db.session.scalar(select(func.count(RoutingRuleChange.id))) == changes_before


def test_a_new_rule_being_written_is_tried_above_the_catch_all(world, client, login):
    rule_set(world)
    login(world["supervisor"])
    draft = {"name": "快递", "kind": "", "category_id": "None", "problem_type_id": "None", "region": "",
             "keywords": "快递", "respondent": "", "department_id": world["departments"]["MS02"].id,
             "action": "auto", "active": "y", "test_text": "快递丢件", "try_it": "1"}
    page = client.post("/routing/rules/new", data=draft)
    assert texts(page.text, "matched-rule") == ["人工分派", "快递"]
    assert db.session.scalar(select(func.count(RoutingRule.id))) == 4
