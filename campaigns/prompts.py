"""What the campaigns' IVR says, in Mandarin: made by `hotline prompts build`
(telephony.ivr.prompts, espeak-ng) beside the fee IVR's prompts, never committed.

An order is named from fixed pieces: 您 <month> 月 <day> 日报修的 <category>
已处理完毕, the numbers said by Asterisk's Chinese SayNumber.
"""
from __future__ import annotations


class CP:
    INTRO = "hotline/campaign-intro"
    YOU = "hotline/campaign-you"
    MONTH = "hotline/campaign-month"
    DAY_REPORTED = "hotline/campaign-day-reported"
    DONE = "hotline/campaign-done"
    ASK_SCORE = "hotline/campaign-ask-score"
    ASK_SOLVED = "hotline/campaign-ask-solved"
    INVALID = "hotline/campaign-invalid"
    THANKS = "hotline/campaign-thanks"
    REOPENED = "hotline/campaign-reopened"
    DUNNING_INTRO = "hotline/campaign-dunning-intro"
    DUNNING_DUE = "hotline/campaign-dunning-due"
    DUNNING_OLDEST = "hotline/campaign-dunning-oldest"
    DUNNING_MENU = "hotline/campaign-dunning-menu"
    YEAR = "hotline/campaign-year"
    QUARTER = "hotline/campaign-quarter"
    TO_CASHIER = "hotline/campaign-to-cashier"


CATEGORY_WORDS = {
    "plumbing": "水管维修", "electrical": "电路维修", "leak": "卫生间漏水",
    "safety_facility": "安全设施维修", "doors_windows": "门窗维修", "elevator": "电梯维修",
    "public_area": "公共区域维修", "other": "维修", "leak_active": "漏水",
    "lift_entrapment": "电梯困人", "gas_smell": "燃气异味", "fire_alarm": "火警报警",
    "power_cut": "停电", "service": "服务投诉", "management": "管理投诉",
    "environment": "环境投诉", "noise": "噪音投诉", "security": "安全投诉", "fees": "收费投诉",
}


def category_prompt(category: str) -> str:
    return f"hotline/campaign-cat-{category if category in CATEGORY_WORDS else 'other'}"


CAMPAIGN_TEXTS: dict[str, str] = {
    CP.INTRO: "您好，这里是物业客服中心。",
    CP.YOU: "您",
    CP.MONTH: "月",
    CP.DAY_REPORTED: "日报修的",
    CP.DONE: "已处理完毕。",
    CP.ASK_SCORE: "请为本次服务打分，非常满意请按5，非常不满意请按1。",
    CP.ASK_SOLVED: "问题已经解决请按1，没有解决请按2。",
    CP.INVALID: "您的输入无效。",
    CP.THANKS: "感谢您的评价，再见。",
    CP.REOPENED: "很抱歉，我们会尽快安排人员再次处理，再见。",
    CP.DUNNING_INTRO: "您好，这里是物业客服中心，提醒您缴纳物业费用。",
    CP.DUNNING_DUE: "您的房屋目前应缴费用合计",
    CP.DUNNING_OLDEST: "最早未缴的是",
    CP.DUNNING_MENU: "转接收费员请按1，收听费用明细请按2。",
    CP.YEAR: "年",
    CP.QUARTER: "季度",
    CP.TO_CASHIER: "正在为您转接收费员，请稍候。",
    **{category_prompt(name): words for name, words in CATEGORY_WORDS.items()},
}
