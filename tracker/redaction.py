"""What an expert reads of a case: personal identifiers in free text replaced by placeholders, every other word kept.

Pure text handling, no database and no Flask: the expert workspace passes in the text and the names of the
people in the case. Detectors run in a fixed order (e-mail, ID card, bank card, phone, licence plate, street
address, names); each replaces what it finds with a placeholder that no later detector can match.
"""

import re
from collections.abc import Iterable

#: Evidence kept from experts: who a party is or who acts for them says nothing about the product.
PURPOSES_WITHHELD_FROM_EXPERTS = frozenset({"power_of_attorney", "identity_document"})

PLACEHOLDERS = {
    "email": "〔电子邮箱〕",
    "id_card": "〔身份证号〕",
    "bank_card": "〔银行卡号〕",
    "phone": "〔电话号码〕",
    "plate": "〔车牌号〕",
    "address": "〔地址〕",
    "name": "〔姓名〕",
}

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

#: 18-character resident ID (GB 11643): region, birth date 18xx–20xx, sequence, check digit or X.
ID_CARD_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)

#: 16 to 19 digits, optionally grouped by spaces or dashes; kept only when the Luhn check digit agrees.
BANK_CARD_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){15,18}(?![0-9A-Za-z])")

PHONE_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    # Mobile: 1[3-9]x xxxx xxxx, with an optional +86 / 0086 and separators.
    r"(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"
    # Landline with its area code, the separator or brackets required: 010-62345678, (0755)88889999, extensions.
    r"|(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -])(?:\d{7,8}|\d{3,4}[ -]\d{4})(?:-\d{1,5})?"
    # Service numbers: 400-123-4567, 800 123 4567.
    r"|[48]00[ -]?\d{3}[ -]?\d{4}"
    r")(?![0-9A-Za-z])"
)

#: 京A12345, 粤B·D12345 (new energy), 沪C1234学: province, issuing letter, five or six characters.
PLATE_PATTERN = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][·•・ ]?(?:[A-HJ-NP-Z0-9]{5,6}|[A-HJ-NP-Z0-9]{4}[挂学警港澳])(?![A-Za-z0-9])"
)

#: Characters that end a place name: verbs and particles that run into an address in a sentence.
_NOT_IN_PLACE_NAMES = "在住于到至是的我你他她们从往寄送位址与及了把被给对为就也还说有"
_PLACE_CHAR = rf"(?:(?![{_NOT_IN_PLACE_NAMES}])[\u4e00-\u9fff])"
_NUMERAL = r"[0-9０-９一二三四五六七八九十百零〇]"
ADDRESS_PATTERN = re.compile(
    rf"(?:{_PLACE_CHAR}{{2,7}}?(?:省|自治区))?"
    rf"(?:{_PLACE_CHAR}{{2,6}}?(?:市|自治州|地区|盟))?"
    rf"(?:{_PLACE_CHAR}{{1,6}}?(?:区|县|旗|镇|乡))?"
    rf"(?:{_PLACE_CHAR}|{_NUMERAL}){{1,8}}?(?:大道|大街|路|街|巷|胡同|道)(?:{_NUMERAL}+段)?"
    rf"{_NUMERAL}+(?:-{_NUMERAL}+)?(?:号院|号|弄)"
    rf"(?:{_NUMERAL}+(?:-{_NUMERAL}+)?(?:号楼|栋|幢|座|单元|楼|层|室|号)|[A-Za-z0-9]+(?:座|栋|室))*"
)

#: Forms of address that follow a surname: 张先生, 李女士.
HONORIFICS = ("先生", "女士", "小姐", "师傅", "老师")


def _luhn_valid(digits: str) -> bool:
    """The check digit every bank card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _replace_bank_card(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return PLACEHOLDERS["bank_card"] if _luhn_valid(digits) else match.group(0)


def _name_forms(names: Iterable[str]) -> list[str]:
    """Each name as written, and a Chinese name's surname with a form of address, longest first."""
    forms = set()
    for name in names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        forms.add(name)
        if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
            forms.update(name[0] + honorific for honorific in HONORIFICS)
    return sorted(forms, key=len, reverse=True)


def redact(text: str | None, names: Iterable[str] = ()) -> str:
    """The text with every personal identifier replaced by its placeholder and nothing else changed."""
    if not text:
        return text or ""
    text = EMAIL_PATTERN.sub(PLACEHOLDERS["email"], text)
    text = ID_CARD_PATTERN.sub(PLACEHOLDERS["id_card"], text)
    text = BANK_CARD_PATTERN.sub(_replace_bank_card, text)
    text = PHONE_PATTERN.sub(PLACEHOLDERS["phone"], text)
    text = PLATE_PATTERN.sub(PLACEHOLDERS["plate"], text)
    text = ADDRESS_PATTERN.sub(PLACEHOLDERS["address"], text)
    forms = _name_forms(names)
    if forms:
        text = re.sub("|".join(re.escape(form) for form in forms), PLACEHOLDERS["name"], text)
    return text
