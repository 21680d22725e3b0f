"""The pure SMS rules: commands, case numbers, segments, clipping, backoff."""

import pytest

from hotline import sms_texts
from hotline.sms_texts import Command, parse_command


@pytest.mark.parametrize("text", ["STOP", " stop ", "Stop\n", "ＳＴＯＰ", "退订", " 退订 ", "STOPALL",
                                  "unsubscribe", "Cancel", "END", "quit", "TD"])
def test_opt_out_words_in_any_case_width_or_padding(text):
    assert parse_command(text) == Command("optout")


@pytest.mark.parametrize("text", ["START", "start", "ｓｔａｒｔ", "订阅", "UNSTOP"])
def test_opt_in_words(text):
    assert parse_command(text) == Command("optin")


@pytest.mark.parametrize("text", [
    "CX 20261124-00042", "cx20261124-00042", "CX 2026112400042", "查询20261124-00042",
    "查询 2026112400042", "ＣＸ　２０２６１１２４－０００４２", " cx  20261124-00042 ",
    "查询工单20261124-00042", "查询工单号：20261124-00042", "CX:20261124-00042。",
])
def test_case_queries_with_or_without_space_dash_or_full_width(text):
    assert parse_command(text) == Command("query", "20261124-00042")


def test_a_query_with_an_unreadable_number_is_still_a_query():
    assert parse_command("CX 12345") == Command("query", None)


@pytest.mark.parametrize("text", ["查询", "CX", " cx ", "查询进度", "查询工单", "ＣＸ", "查询？"])
def test_a_bare_query_asks_for_the_latest_case(text):
    assert parse_command(text) == Command("query", None, latest=True)


@pytest.mark.parametrize("text", ["please stop calling me", "STOP it", "查询一下我的投诉", "", "CXK", "我要投诉 CX"])
def test_everything_else_is_a_message(text):
    assert parse_command(text) == Command("message")


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0),
    ("a" * 160, 1),
    ("a" * 161, 2),  # split messages carry a header: 153 per part
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("{" * 80, 1),  # extension characters count twice
    ("{" * 81, 2),
    ("中" * 70, 1),
    ("中" * 71, 2),  # 67 per part once split
    ("中" * 134, 2),
    ("中" * 135, 3),
    ("a" * 69 + "中", 1),  # one Chinese character makes the whole text UCS-2
    ("😀" * 35, 1),  # outside the BMP: two UTF-16 units each
    ("😀" * 36, 2),
])
def test_segments_follow_gsm7_and_ucs2_rules(text, expected):
    assert sms_texts.segments(text) == expected


def test_notices_fit_one_segment():
    number = "20261124-00042"
    ack = sms_texts.ACK_NEW.format(number=number)
    assert number in ack
    assert sms_texts.segments(ack) == 1


def test_clean_body_drops_control_characters_and_clips_long_texts():
    assert sms_texts.clean_body("a\x00b\tc\nd\x07") == ("ab\tc\nd", None)
    text, original = sms_texts.clean_body("字" * 10_000)
    assert len(text) == sms_texts.MAX_BODY and original == 10_000


def test_case_number_is_appended_once():
    assert sms_texts.with_case_number("请补充发票。 ", "20261124-00042") == "请补充发票。（工单号 20261124-00042）"
    assert sms_texts.with_case_number("工单 20261124-00042 已受理", "20261124-00042") == "工单 20261124-00042 已受理"


def test_backoff_doubles_from_the_base_and_is_capped_at_an_hour():
    assert [sms_texts.backoff_seconds(n, 30) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert sms_texts.backoff_seconds(50, 30) == 3600
