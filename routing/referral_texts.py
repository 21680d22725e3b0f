"""The referral directory's defaults and the Chinese texts of referrals and appeals.

Pure data (docs/DOMAIN.md, "Referrals"): seeded into the database once, then edited by
supervisors. Scopes are Chinese too: operators read them, and they are data, not UI msgids. Texts go to callers' phones or are spoken by <Say>, so they are Chinese whatever
the operator's UI language, like hotline.sms_texts. `{number}` in an SMS text is the case number.
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultEntry:
    key: str
    agency_zh: str
    agency_en: str
    hotline: str | None
    scope: str
    caller_script: str
    sms_text: str
    active: bool = True


def _script(agency, hotline, what):
    return f"您反映的问题属于{agency}的职责范围，{what}请您拨打{hotline}反映。"


def _sms(agency, hotline):
    return f"您反映的问题（工单号 {{number}}）不属于本热线受理范围，请向{agency}反映，电话 {hotline}。"


DEFAULT_DIRECTORY = [
    DefaultEntry("12345", "政务服务便民热线", "Local government service line", "12345",
                 "非紧急、无其他更合适渠道的各类诉求。",
                 _script("当地政务服务便民热线", "12345", ""), _sms("当地政务服务便民热线", "12345")),
    DefaultEntry("12300", "工业和信息化部电信用户申诉受理中心", "Telecom regulator (MIIT)", "12300",
                 "电信和互联网接入服务纠纷（须先向运营商投诉，15日内未获答复）。",
                 _script("电信管理部门", "12300", "请先向电信运营商投诉，15日内未获答复的，"),
                 _sms("工信部电信用户申诉受理中心（请先向运营商投诉）", "12300")),
    DefaultEntry("12378", "国家金融监督管理总局", "Financial regulator (NFRA)", "12378",
                 "银行、保险消费者权益。",
                 _script("金融监管部门", "12378", "银行、保险消费纠纷，"), _sms("金融监管部门", "12378")),
    DefaultEntry("12386", "中国证监会", "Securities regulator (CSRC)", "12386",
                 "证券、期货投资者权益。",
                 _script("证券监管部门", "12386", "证券、期货投资纠纷，"), _sms("证券监管部门", "12386")),
    DefaultEntry("12328", "交通运输服务监督热线", "Transport service hotline", "12328",
                 "道路、公路、水路运输及出租车。",
                 _script("交通运输部门", "12328", "道路、公路、水运和出租车问题，"), _sms("交通运输服务监督热线", "12328")),
    DefaultEntry("12326", "民航服务质量监督电话", "Civil aviation service quality", "12326",
                 "民航服务质量（须先向航空公司或机场投诉）。",
                 _script("民航管理部门", "12326", "请先向航空公司或机场投诉，未解决的，"),
                 _sms("民航服务质量监督（请先向航空公司或机场投诉）", "12326")),
    DefaultEntry("12320", "卫生健康热线", "Public health hotline", "12320",
                 "公共卫生、医疗卫生。", _script("卫生健康部门", "12320", ""), _sms("卫生健康部门", "12320")),
    DefaultEntry("12333", "人力资源和社会保障服务热线", "Labour and social security", "12333",
                 "工资、就业、养老保险等劳动和社会保障问题。",
                 _script("人力资源和社会保障部门", "12333", "工资、就业、社保问题，"), _sms("人社部门", "12333")),
    DefaultEntry("12366", "纳税缴费服务热线", "Tax service hotline", "12366",
                 "税收、缴费。", _script("税务部门", "12366", ""), _sms("税务部门", "12366")),
    DefaultEntry("12388", "纪检监察举报电话", "Discipline inspection", "12388",
                 "公职人员违纪违法。", _script("纪检监察机关", "12388", ""), _sms("纪检监察机关", "12388")),
    DefaultEntry("110", "公安机关", "Police", "110",
                 "诈骗、盗窃、威胁等违法犯罪，正在发生的犯罪。",
                 "您反映的情况涉嫌违法犯罪，请立即拨打110报警。",
                 "您反映的情况（工单号 {number}）涉嫌违法犯罪，请拨打 110 向公安机关报警。"),
    DefaultEntry("court", "人民法院或仲裁机构", "Court or arbitration", None,
                 "已由法院或仲裁机构受理的纠纷，或调解不成的纠纷。",
                 "您的纠纷已由法院或仲裁机构处理，或调解未成，可依法向人民法院起诉或申请仲裁。",
                 "您的纠纷（工单号 {number}）可依法向人民法院起诉或向仲裁机构申请仲裁。"),
    DefaultEntry("12305", "邮政业用户申诉电话", "Postal and express complaints", "12305",
                 "邮政、快递服务。据报部分地区已停用12305、改由12345受理：启用前请核实当地情况。",
                 _script("邮政管理部门", "12305", "邮政快递问题，"), _sms("邮政管理部门", "12305"),
                 active=False),
]

TRANSFER_GOODBYE = "如未能接通，请您直接拨打{hotline}。感谢您的来电，再见。"
TRANSFER_UNAVAILABLE = "对不起，暂时无法为您转接。感谢您的来电，再见。"

# A text that starts with one of these (after trimming) appeals the caller's latest result.
APPEAL_WORDS = ("申诉", "不满意", "复议", "重新处理")
APPEAL_RECEIVED = "您对工单 {number} 处理结果的申诉已收到，我们将重新处理并尽快与您联系。"
_LEADING_PUNCTUATION = re.compile(r"^[\s:：,，。.、!！]+")


def sms_for(entry_text, number):
    """The referral SMS with the case number filled in; other braces are left as typed."""
    return (entry_text or "").replace("{number}", number)


def appeal_reason(body):
    """The reason part of an appeal text, '' when it is just the word; None when not an appeal."""
    text = unicodedata.normalize("NFKC", body or "").strip()
    for word in APPEAL_WORDS:
        if text.startswith(word):
            return _LEADING_PUNCTUATION.sub("", text[len(word):]).strip()
    return None
