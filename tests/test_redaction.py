"""Redaction measured against a table of narratives: every identifier removed, every other character kept."""

import re

import pytest

from tracker.redaction import PLACEHOLDERS
from tracker.redaction import redact

#: The parties' names the expert workspace passes in for every narrative below.
NAMES = ("张伟", "李秀英", "王建国")

#: (narrative with {kind:value} slots, ...): each slot is an identifier of that kind; the rest must survive intact.
NARRATIVES = [
    # Phone numbers
    "我的手机号是{phone:13812345678}，请尽快联系。",
    "联系电话：{phone:+86 139 1234 5678}（工作日）。",
    "商家客服{phone:400-820-1234}一直占线，我又打了门店座机{phone:010-62345678}。",
    "售后电话{phone:(0755)88889999}，分机说没人接，后来改打{phone:021 6432-1234}也不行。",
    "请回电{phone:186-0000-1234}或{phone:0086 15912345678}。",
    # ID card numbers
    "我的身份证号码为{id_card:11010519491231002X}，发票上也有登记。",
    "代理人身份证{id_card:440308199001011234}已经附上。",
    # E-mail addresses
    "发票请发送到{email:zhang.wei@example.com}，谢谢。",
    "商家回复邮件来自{email:service-cn@shop.example.com.cn}，说不予退货。",
    # Bank cards
    "退款请打到我的银行卡{bank_card:6222 0212 3456 7890 128}。",
    "我用信用卡{bank_card:4111111111111111}付的款。",
    # Street addresses
    "我住在{address:北京市海淀区中关村大街27号3号楼201室}，快递一直送不到。",
    "产品寄到了{address:上海市浦东新区张江路88弄5号1202室}。",
    "门店位于{address:广东省深圳市南山区高新南一道9号}，店员态度很差。",
    "我家地址：{address:浙江省杭州市西湖区文三路90号}，请上门检测。",
    "维修点在{address:成都市武侯区人民南路四段11号}。",
    "收货地址为{address:江苏省南京市鼓楼区中山北路200号2栋3单元501室}。",
    "退货寄往{address:天津市和平区和平路100号}，另一件寄到{address:向阳路8号}。",
    # Licence plates
    "我的车牌号是{plate:京A12345}，在4S店保养后出现异响。",
    "新能源车{plate:粤B·D12345}充电时冒烟，另一辆{plate:沪C1234学}也出过问题。",
    # Names (the parties')
    "{name:张伟}于2026年3月1日在线上旗舰店购买了电热水壶。",
    "店员对{name:李秀英}说这属于人为损坏，{name:张先生}不认可。",
    "代理人{name:王建国}代为提交材料，{name:王女士}为联系人。",
    # Several kinds in one narrative
    "{name:张伟}（身份证{id_card:11010519491231002X}，电话{phone:13812345678}）住{address:北京市朝阳区建国路88号}，"
    "车辆{plate:京A12345}，邮箱{email:zw@example.cn}，退款卡号{bank_card:6222021234567890128}。",
    # No identifiers at all: numbers, models, dates, amounts and places that are not personal stay as they are.
    "电热水壶型号KT-1720，批次20260001，2026年3月1日购买，价格299元，使用两周后底座漏电。",
    "儿童自行车车架焊点断裂，订单号2026031512345678，按国家标准GB 14746检验应当合格。",
    "空气净化器滤网有异味，宣传的CADR值为300立方米每小时，实测明显偏低。",
    "羽绒服标签标示含绒量90%，送检结果只有50%，商家拒绝退货。",
    "在北京出差时购买，客服说道路运输导致外壳变形，思路完全不对。",
    "产品说明书第3页写着适用于220V电压，额定功率1800W，5号电池供遥控器使用。",
]

SLOT = re.compile(r"\{(?P<kind>[a-z_]+):(?P<value>[^{}]+)\}")


def fill(template: str, with_placeholders: bool) -> str:
    """The narrative as written (identifiers in place) or as it should read after redaction."""
    return SLOT.sub(lambda m: PLACEHOLDERS[m["kind"]] if with_placeholders else m["value"], template)


def test_the_table_covers_every_identifier_type_and_narratives_without_any():
    kinds = {m["kind"] for template in NARRATIVES for m in SLOT.finditer(template)}
    assert kinds == set(PLACEHOLDERS)
    assert len(NARRATIVES) >= 20
    assert sum(1 for template in NARRATIVES if not SLOT.search(template)) >= 5


@pytest.mark.parametrize("template", NARRATIVES)
def test_every_identifier_is_replaced_and_nothing_else_changes(template):
    assert redact(fill(template, False), NAMES) == fill(template, True)


def test_measured_over_the_table_recall_is_complete_and_no_other_character_changes():
    identifiers = removed = 0
    changed_outside = 0
    for template in NARRATIVES:
        original = fill(template, False)
        redacted = redact(original, NAMES)
        for match in SLOT.finditer(template):
            identifiers += 1
            removed += match["value"] not in redacted
        changed_outside += redacted != fill(template, True)
    assert (removed, identifiers) == (identifiers, identifiers)
    assert changed_outside == 0


def test_a_number_that_fails_the_card_check_digit_is_not_a_card():
    assert redact("订单号6222021234567890120已取消") == "订单号6222021234567890120已取消"


def test_empty_text_stays_empty():
    assert redact(None) == ""
    assert redact("", NAMES) == ""
