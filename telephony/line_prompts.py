"""The Mandarin prompts of the hotline number itself (issue 16): out of hours, the
queue's own announcements (app_queue plays them by the names queues.conf gives),
the emergency key and a full queue. `hotline prompts build` makes them with the
IVR's (telephony/ivr/prompts.py PROMPT_TEXTS includes these)."""
from __future__ import annotations


class L:
    """Prompt names under the sounds folder's zh/, no extension."""

    NIGHT_TO_DUTY = "hotline/night-to-duty"
    NIGHT_VOICEMAIL = "hotline/night-voicemail"
    NIGHT_SAVED = "hotline/night-saved"
    # app_queue's announcements (queues.conf queue-* options name these files).
    QUEUE_YOU_ARE_NEXT = "hotline/queue-youarenext"
    QUEUE_THERE_ARE = "hotline/queue-thereare"
    QUEUE_CALLS_WAITING = "hotline/queue-callswaiting"
    QUEUE_HOLDTIME = "hotline/queue-holdtime"
    QUEUE_MINUTES = "hotline/queue-minutes"
    QUEUE_SECONDS = "hotline/queue-seconds"
    QUEUE_LESS_THAN = "hotline/queue-less-than"
    QUEUE_THANK_YOU = "hotline/queue-thankyou"
    QUEUE_PERIODIC = "hotline/queue-periodic"
    QUEUE_FULL = "hotline/queue-full"
    GREETING_EMERGENCY = "hotline/greeting-emergency"
    EMERGENCY_TO_AGENT = "hotline/emergency-to-agent"
    # The keep-my-place callback (line_callback/): the queue's periodic announcement
    # once the caller has waited the offer's seconds, then what pressing 1 answers.
    CALLBACK_OFFER = "hotline/queue-callback-offer"
    CALLBACK_BOOKED = "hotline/callback-booked"
    CALLBACK_SORRY = "hotline/callback-sorry"


LINE_TEXTS: dict[str, str] = {
    L.NIGHT_TO_DUTY: "现在是非工作时间，正在为您转接值班人员，请稍候。",
    L.NIGHT_VOICEMAIL: "值班人员暂时无法接听。请在提示音后留言，说明您的房号和事情，"
                       "我们会尽快处理。",
    L.NIGHT_SAVED: "您的留言已记录，再见。",
    L.QUEUE_YOU_ARE_NEXT: "下一位就轮到您了。",
    # app_queue says: thereare, <position>, callswaiting.
    L.QUEUE_THERE_ARE: "您现在排在第",
    L.QUEUE_CALLS_WAITING: "位，请耐心等候。",
    # holdtime, [<minutes>, minutes], [<seconds>, seconds], thank-you.
    L.QUEUE_HOLDTIME: "预计等候时间约",
    L.QUEUE_MINUTES: "分钟",
    L.QUEUE_SECONDS: "秒",
    L.QUEUE_LESS_THAN: "少于",
    L.QUEUE_THANK_YOU: "感谢您的耐心等候。",
    L.QUEUE_PERIODIC: "客服人员正在通话中，请不要挂机，我们将尽快为您服务。",
    L.QUEUE_FULL: "很抱歉，现在来电较多，线路已满，请稍后再拨。",
    L.GREETING_EMERGENCY: "您好，这里是物业客服热线。如遇漏水、电梯困人或燃气泄漏等紧急情况，请按九。",
    L.EMERGENCY_TO_AGENT: "正在为您优先转接客服人员。",
    L.CALLBACK_OFFER: "客服人员正在通话中。如果您不想继续等候，请按一，挂机后我们会按您现在的排队顺序给您回电。"
                      "继续等候请不要挂机。",
    L.CALLBACK_BOOKED: "已为您登记回电，您的排队顺序保持不变。轮到您时，客服人员会给您回电，请保持电话畅通。再见。",
    L.CALLBACK_SORRY: "很抱歉，现在无法登记回电，请您继续等候。",
}
