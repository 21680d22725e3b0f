"""The evidence panel's file button speaks the page's language (the browser's own says "Choose
Files" on an English Chromium), stays reachable by keyboard, names what was chosen, and uploads."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_intake_form import open_call_case

pytestmark = pytest.mark.e2e


def test_the_file_button_is_chinese_names_the_choice_and_uploads(live_server, browser_page, sign_in, tmp_path):
    live_server.create_user("operator", "op-files")
    number = open_call_case(live_server, "+8613912340003", "op-files")
    page = sign_in(browser_page, "op-files")
    page.goto(f"{live_server.url}/tickets/{number}")
    panel = page.locator("#evidence")
    expect(panel.locator("label.button")).to_have_text("选择文件")
    expect(panel.locator("#evidence-chosen")).to_have_text("未选择文件")

    page.focus("#evidence-files")  # out of sight but a Tab stop: Enter or Space opens the picker
    assert page.evaluate("document.activeElement.id") == "evidence-files"
    receipt = tmp_path / "发票.txt"
    receipt.write_text("购物小票：冰箱 3999 元", encoding="utf-8")
    photo = tmp_path / "商品.txt"
    photo.write_text("冰箱不制冷", encoding="utf-8")
    page.set_input_files("#evidence-files", [str(receipt), str(photo)])  # listed as Chinese lists are
    expect(panel.locator("#evidence-chosen")).to_have_text("已选择 2 个文件：发票.txt、商品.txt")
    page.set_input_files("#evidence-files", str(receipt))
    expect(panel.locator("#evidence-chosen")).to_have_text("已选择 1 个文件：发票.txt")

    page.click("#evidence-submit")
    expect(page.locator("#evidence")).to_contain_text("发票.txt")
    expect(page.locator("#evidence #evidence-chosen")).to_have_text("未选择文件")
