"""Names, identity numbers and phone numbers for demo data (deterministic per rng)."""
from __future__ import annotations

import dataclasses
import random

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国"
         "晓东海波宁志宏文博雪梅婷慧颖浩然子轩梓涵欣怡思远嘉怡佳琪宇航俊杰")
AGENCIES = ("链家", "我爱我家", "麦田房产", "中原地产", "21世纪不动产")
# Beijing districts, then a few other provinces: owners come from everywhere.
REGIONS = ("110101", "110102", "110105", "110106", "110108", "130102", "370102",
           "320102", "440305", "510104", "420102", "610113")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "155", "157", "158", "159", "166", "176", "177", "180",
                   "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")
OTHER_AREAS = ("021", "022", "0755", "0571", "028")
_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def identity_number(rng: random.Random) -> str:
    """An 18-character resident identity number with a valid GB 11643 check digit."""
    body = (rng.choice(REGIONS) + f"{rng.randint(1945, 2002)}{rng.randint(1, 12):02d}"
            f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    total = sum(int(digit) * weight for digit, weight in zip(body, _CHECK_WEIGHTS))
    return body + _CHECK_CHARS[total % 11]


@dataclasses.dataclass
class Owner:
    name: str
    identity_number: str
    phones: list[str]


class NameMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.owners: list[Owner] = []

    def name(self, surname: str | None = None) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return (surname or self.rng.choice(SURNAMES)) + given

    def person(self, previous_owner_ok: bool = False) -> Owner:
        # Half a percent of owners own a second flat: same person, same mobile.
        if previous_owner_ok and self.owners and self.rng.random() < 0.005:
            return self.rng.choice(self.owners)
        owner = Owner(self.name(), identity_number(self.rng), [])
        if previous_owner_ok and len(self.owners) < 1000:
            self.owners.append(owner)
        return owner

    def relative_of(self, name: str) -> str:
        return self.name(name[0]) if self.rng.random() < 0.6 else self.name()

    def agent_name(self) -> str:
        return f"{self.rng.choice(AGENCIES)}{self.name()}"


class PhoneBook:
    """Unique numbers, written the ways residents write them."""

    def __init__(self, rng: random.Random, area_code: str = "010"):
        self.rng = rng
        self.area_code = area_code
        self.used: set[str] = set()

    def mobile(self) -> str:
        while True:
            digits = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"
            if digits not in self.used:
                self.used.add(digits)
                break
        style = self.rng.random()
        if style < 0.7:
            return digits
        if style < 0.85:
            return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        if style < 0.95:
            return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
        return "0086" + digits

    def landline(self) -> str:
        local = self.rng.random() < 0.85
        area = self.area_code if local else self.rng.choice(OTHER_AREAS)
        length = 8 if len(area) == 3 or self.rng.random() < 0.7 else 7
        while True:
            subscriber = str(self.rng.randint(2, 8)) + "".join(
                str(self.rng.randint(0, 9)) for _ in range(length - 1))
            if area + subscriber not in self.used:
                self.used.add(area + subscriber)
                break
        style = self.rng.random()
        if local and style < 0.4:
            return subscriber
        if style < 0.9:
            return f"{area}-{subscriber}"
        return f"({area}){subscriber}-{self.rng.randint(1, 300)}"  # with an extension
