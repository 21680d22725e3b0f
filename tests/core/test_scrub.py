"""The scrubber: phone numbers, e-mail addresses and ID numbers cut out of text shown to the
public, in every form a caller writes them; ordinary text (dates, amounts, short numbers, our
case numbers) left alone. Pure: no app."""

import pytest

from hotline.scrub import REMOVED, scrub

PHONE_FORMS = [
    "13912345678",
    "139 1234 5678",
    "139-1234-5678",
    "139.1234.5678",
    "139/1234/5678",
    "139 - 1234 - 5678",
    "1391 234 5678",
    "139·1234·5678",
    "+8613912345678",
    "+86 139 1234 5678",
    "+86-139-1234-5678",
    "0086 139 1234 5678",
    "一三九一二三四五六七八",
    "幺三九幺二三四五六七八",
    "一三九 一二三四 五六七八",
    "139一二三四5678",
    "１３９１２３４５６７８",
    "１３９－１２３４－５６７８",
    "１３９　１２３４　５６７８",  # ideographic spaces
    "１３９.1234.五六七八",
    "010-65123456",
    "010-6512 3456",
    "(010) 6512 3456",
    "（010）65123456",
    "0571 8765 4321",
    "0571-87654321",
    "1 3 9 1 2 3 4 5 6 7 8",
    "139 12 34 56 78",
    "1-3-9-1-2-3-4-5-6-7-8",
    "+86 1 3 9 1 2 3 4 5 6 7 8",
]
ID_FORMS = ["11010519491231002X", "11010519491231002x", "110105 19491231 002X", "110105194912310",
            "１１０１０５１９４９１２３１００２Ｘ"]
EMAIL_FORMS = ["wang@example.cn", "wang.xiaoming+tousu@mail.example.com.cn", "li_lei-1990@qq.com",
               "wang＠example．cn", "13912345678@163.com", "wang @ example.cn"]


@pytest.mark.parametrize("number", PHONE_FORMS)
@pytest.mark.parametrize("around", ["{}", "电话{}，请回电", "call me on {} after 6pm", "({})", "{}。"])
def test_every_way_of_writing_a_phone_number_is_cut(number, around):
    text = around.format(number)
    scrubbed = scrub(text)
    assert scrubbed == around.format(REMOVED), (text, scrubbed)


@pytest.mark.parametrize("number", ID_FORMS)
def test_id_numbers_are_cut_with_their_check_character(number):
    assert scrub(f"身份证号{number}，姓名略") == f"身份证号{REMOVED}，姓名略"


@pytest.mark.parametrize("address", EMAIL_FORMS)
def test_email_addresses_are_cut(address):
    assert scrub(f"请发邮件到{address}谢谢") == f"请发邮件到{REMOVED}谢谢"
    assert scrub(f"mail {address}, thanks") == f"mail {REMOVED}, thanks"


@pytest.mark.parametrize("text", [
    "2026-12-03 买的冰箱坏了",
    "2026/12/03 14:30 在门店付款",
    "2026.12.03",
    "2026年12月3日下午3点",
    "价格 1,299.00 元，另付运费 15 元",
    "¥12,345,678.00",
    "退款 12345678.50 元",
    "订单号 1234567890",  # ten digits: kept
    "发票号码 12345678",
    "工单 20261203-00012 的进展",
    "拨打 12315 或 12345 热线",
    "型号 KFR-35GW/BP3DN8Y-PH200(B1)",
    "第 3 次投诉，共 2 件商品，每件 99 元",
    "版本 1.2.3，容量 256GB",
    "14:30 13:00",
    "1999-12-03 10:00",
    "尺码 38 39 40 41 42",
    "",
    "没有数字的文字",
])
def test_ordinary_text_is_left_alone(text):
    assert scrub(text) == text


def test_a_date_beside_a_phone_number_keeps_the_date():
    assert scrub("2026-12-03 13912345678") == f"2026-12-03 {REMOVED}"
    assert scrub("14:30 13912345678") == f"14:30 {REMOVED}"
    assert scrub("2026-12-03 14:30 电话 139 1234 5678") == f"2026-12-03 14:30 电话 {REMOVED}"


def test_long_order_and_card_numbers_are_cut_as_the_price_of_safety():
    assert scrub("订单号 2026120312345678 未发货") == f"订单号 {REMOVED} 未发货"
    assert scrub("卡号 6222 0212 3456 7890 123") == f"卡号 {REMOVED}"


def test_several_in_one_text():
    text = "王先生 139.1234.5678，邮箱 wang@example.cn，身份证 11010519491231002X，2026-12-03 付款 1,299.00 元"
    assert scrub(text) == f"王先生 {REMOVED}，邮箱 {REMOVED}，身份证 {REMOVED}，2026-12-03 付款 1,299.00 元"


def test_none_stays_none():
    assert scrub(None) is None


def test_numbers_asked_to_be_kept_stay_however_written_and_others_still_go():
    text = "请致电 010-65550101 或 (010) 6555 0101，勿打 010-65550102"
    assert scrub(text, keep=["01065550101"]) == "请致电 010-65550101 或 (010) 6555 0101，勿打 [removed]"
    assert scrub("手机 13912345678", keep=[None, ""], marker="***") == "手机 ***"
