"""Administrative divisions: the address parser on realistic addresses, the shipped list, and
the JSON the intake form's cascading choice reads."""

import pytest

from hotline.models import Role
from routing import divisions

BEIJING = "110000"
# (address as a caller says it, the division a 12315 operator would file it under). The parser
# is jionlp's; settled namesakes lean to the hotline's home area (Beijing here).
SAMPLE = [
    ("北京市东城区东直门南大街3号", "110101"),
    ("东城区王府井大街255号", "110101"),
    ("海淀区中关村大街1号", "110108"),
    ("上海浦东新区张江路88号", "310115"),
    ("杭州市余杭区文一西路969号", "330110"),
    ("杭州市临平区南苑街道", "330113"),  # a district created in 2021
    ("朝阳区建国路87号", "110105"),  # also a district of 长春: home decides
    ("北京朝阳区三里屯路19号", "110105"),
    ("广东省深圳市南山区科技园科苑路15号", "440305"),
    ("深圳南山区海德三道", "440305"),
    ("南京市鼓楼区中山路1号", "320106"),
    ("福建省福州市鼓楼区五四路", "350102"),
    ("成都市武侯区人民南路四段1号", "510107"),
    ("天津市和平区南京路189号", "120101"),
    ("重庆市渝中区解放碑民权路28号", "500103"),
    ("江苏省昆山市前进中路201号", "320583"),
    ("大兴区黄村西大街", "110115"),
    ("通州区新华大街", "110112"),  # also 南通's
    ("长沙岳麓区麓山南路", "430104"),  # the parser alone reads 长沙县 here
    ("河北雄安新区容城县", "130629"),  # ... and 安新县 here
    ("海淀中关村e世界", "110108"),  # a district without 区
    ("浦东张江高科", "310115"),
    ("北京经济技术开发区荣华中路", "110100"),  # no district named: the city
    ("中关村大街1号", None),  # no place named
    ("京东自营旗舰店", None),
]


@pytest.mark.parametrize(("address", "expected"), SAMPLE)
def test_the_parser_files_realistic_addresses_under_the_right_division(address, expected):
    assert divisions.from_address(address, home=BEIJING) == expected


def test_a_namesake_typed_alone_stays_unresolved_without_a_home_or_outside_it():
    assert divisions.from_address("朝阳区建国路87号") is None  # Beijing's or Changchun's?
    assert divisions.from_address("鼓楼区中山路", home=BEIJING) is None  # several, none in Beijing


def test_region_names_resolve_without_the_parser():
    assert divisions.from_name("北京") == "110000"
    assert divisions.from_name("东城区") == "110101"
    assert divisions.from_name("北京市海淀区") == "110108"
    assert divisions.from_name("浦东新区") == "310115"
    assert divisions.from_name("杭州") == "330100"  # the city, not a district that shares the short name
    assert divisions.from_name("朝阳区") is None and divisions.from_name("朝阳区", home=BEIJING) == "110105"
    assert divisions.from_name("火星") is None and divisions.from_name("") is None


def test_the_list_holds_every_province_and_beijings_sixteen_districts():
    provinces = divisions.children(None)
    assert len(provinces) == 34 and provinces[0].code == BEIJING
    assert [d.code for d in divisions.children(BEIJING)] == ["110100"]
    assert len(divisions.children("110100")) == 16
    assert divisions.full_name("110108") == "北京市海淀区"
    assert divisions.full_name("330110") == "浙江省杭州市余杭区"
    assert [d.code for d in divisions.chain("110108")] == [BEIJING, "110100", "110108"]


def test_inside_means_the_division_or_below_it():
    assert divisions.within("110108", BEIJING) and divisions.within("110108", "110100")
    assert divisions.within("110108", "110108")
    assert not divisions.within(BEIJING, "110108") and not divisions.within("310115", BEIJING)
    assert not divisions.within(None, BEIJING) and not divisions.within("110108", None)


def test_a_cascading_choice_is_checked_level_by_level():
    assert divisions.pick(BEIJING, "110100", "110101") == "110101"
    assert divisions.pick(BEIJING, "110100", "") == "110100"
    assert divisions.pick("", "", "") is None
    for bad in ((BEIJING, "110100", "310115"), ("310000", "110100", None), ("999999", None, None),
                ("", "", "110101"), (BEIJING, "", "110101")):
        with pytest.raises(divisions.UnknownDivision):
            divisions.pick(*bad)


# --- the JSON the cascading choice reads -------------------------------------------------------


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    login(user)
    return user


def test_the_choice_reads_each_level_as_json(client, operator):
    provinces = client.get("/routing/divisions").json
    assert {"code": BEIJING, "name": "北京市"} in provinces and len(provinces) == 34
    districts = client.get("/routing/divisions?parent=110100").json
    assert {"code": "110108", "name": "海淀区"} in districts and len(districts) == 16
    assert client.get("/routing/divisions?parent=999999").status_code == 404


def test_an_address_is_placed_for_the_form_as_it_will_be_saved(app, client, operator):
    app.config["HOME_DIVISION"] = BEIJING
    found = client.post("/routing/divisions/parse", data={"address": "朝阳区建国路87号"}).json
    assert found == {"code": "110105", "name": "北京市朝阳区", "levels": [BEIJING, "110100", "110105"]}
    assert client.post("/routing/divisions/parse", data={"address": "中关村大街1号"}).json["code"] is None
    assert client.post("/routing/divisions/parse", data={"address": ""}).status_code == 400
    assert client.post("/routing/divisions/parse", data={"address": "路" * 501}).status_code == 400


def test_department_staff_do_not_reach_the_division_endpoints(client, make_user, login):
    login(make_user(Role.DEPARTMENT))
    assert client.get("/routing/divisions").status_code == 403
