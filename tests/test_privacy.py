"""The masks an enterprise sees in place of contact details it has no consent for."""

import pytest

from tracker.privacy import mask_email
from tracker.privacy import mask_name
from tracker.privacy import mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("+86 138-1234-1234", "138****1234"), ("1234", "****"), (None, ""), ("", "")],
)
def test_a_phone_number_keeps_only_its_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("name", "masked"), [("张三丰", "张**"), ("张三", "张*"), ("李", "李"), (" Ann ", "A**"), (None, "")])
def test_a_name_keeps_only_its_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [("li.wei@example.cn", "l*****@example.cn"), ("a@b.cn", "a*@b.cn"), ("not-an-address", "n*************"), (None, "")],
)
def test_an_email_keeps_its_first_character_and_domain(email, masked):
    assert mask_email(email) == masked
