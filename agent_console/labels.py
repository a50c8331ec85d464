"""The console's catalogue: a display label for every code it shows.

Codes (enum values, states, deadline names, Asterisk's answers) never reach the
screen: templates use the `label` filter, console.js gets `catalogue_json()` in
the page. Message ids are English; the zh catalogue translates them.
Also the display filters: money (¥1,234.56), office-time datetimes, m:ss.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import Flask
from jinja2 import pass_context
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

CATALOGUE: dict[str, dict[str, object]] = {
    "occupancy": {"owner_occupied": _l("Owner-occupied"), "rented": _l("Rented"),
                  "vacant": _l("Vacant"), "entrusted": _l("Entrusted to the office")},
    "renovation": {"not_registered": _l("Renovation not registered"),
                   "registered": _l("Renovation registered"),
                   "completed": _l("Renovation completed")},
    "person_role": {"owner": _l("Owner"), "family": _l("Family"), "tenant": _l("Tenant"),
                    "agent": _l("Owner's agent")},
    "phone_kind": {"mobile": _l("Mobile"), "landline": _l("Landline"),
                   "service": _l("Service number"), "international": _l("International"),
                   "internal": _l("Internal"), "withheld": _l("Number withheld"),
                   "empty": _l("No number"), "invalid": _l("Invalid number")},
    "dunning_stage": {"none": _l("No dunning"), "first_notice": _l("First notice"),
                      "second_notice": _l("Second notice"), "final_notice": _l("Final notice"),
                      "other_means": _l("Other means (letter, visit, legal)")},
    # The screen-pop's balance record (households.fees.BalanceSummary) field by field.
    "balance": {"total_due": _l("Total due"), "outstanding": _l("Outstanding"),
                "overdue": _l("Overdue amount"), "late_fee": _l("Late fee"),
                "months_in_arrears": _l("Months in arrears"),
                "arrears_days": _l("Days in arrears"),
                "oldest_overdue_due_on": _l("Oldest overdue since"),
                "dunning_stage": _l("Dunning stage"),
                "formal_letter_due": _l("Formal letter due"), "total_paid": _l("Total paid"),
                "last_payment_on": _l("Last payment"), "credit": _l("Credit (paid ahead)")},
    "boolean": {"true": _l("yes"), "false": _l("no")},
    "purge_kind": {"recordings": _l("Recordings"), "caller_numbers": _l("Caller numbers"),
                   "identity_numbers": _l("Tenants' identity numbers"), "audit_log": _l("Audit log")},
    "order_kind": {"repair": _l("Repair"), "complaint": _l("Complaint"),
                   "enquiry": _l("Enquiry"), "fee": _l("Fees"), "praise": _l("Praise"),
                   "other": _l("Other")},
    "category": {"plumbing": _l("Plumbing"), "electrical": _l("Electrical"),
                 "leak": _l("Leak"), "safety_facility": _l("Safety facility"),
                 "doors_windows": _l("Doors and windows"), "elevator": _l("Lift"),
                 "public_area": _l("Public area"), "other": _l("Other"),
                 "service": _l("Service attitude"), "management": _l("Management"),
                 "environment": _l("Environment"), "noise": _l("Noise"),
                 "security": _l("Security"), "fees": _l("Fees"),
                 # Emergencies (workflow.rules): dispatched at once, the supervisor alerted.
                 "leak_active": _l("Water leaking now"), "lift_entrapment": _l("Trapped in a lift"),
                 "gas_smell": _l("Gas smell"), "fire_alarm": _l("Fire alarm"),
                 "power_cut": _l("Power cut")},
    "order_status": {"new": _l("New"), "dispatched": _l("Dispatched"),
                     "in_progress": _l("In progress"), "done": _l("Done"),
                     "followed_up": _l("Followed up"), "closed": _l("Closed")},
    "complaint_tier": {"major": _l("Major complaint"), "important": _l("Important complaint"),
                       "minor": _l("Minor complaint")},
    "department": {"engineering": _l("Engineering"), "security": _l("Security"),
                   "cleaning_greening": _l("Cleaning and greening"), "finance": _l("Finance")},
    "deadline": {"dispatch": _l("dispatch"), "resolve": _l("resolve"),
                 "escalate": _l("escalate"), "accept": _l("accept"), "answer": _l("answer"),
                 "tell_resident": _l("tell the resident"), "reply": _l("reply")},
    # The workflow's codes (issue 15): channels, urgency, warranty, the complaint register.
    "channel": {"phone": _l("Phone"), "walk_in": _l("Walk-in"), "letter": _l("Letter"),
                "wechat": _l("WeChat"), "qq": _l("QQ"), "web": _l("Web platform"),
                "staff_report": _l("Staff report")},
    "urgency": {"emergency": _l("Emergency"), "urgent": _l("Urgent"), "normal": _l("Normal")},
    "warranty_status": {"in_warranty": _l("In warranty: free"),
                        "expired": _l("Warranty over: paid"),
                        "no_handover_date": _l("No handover date on file"),
                        "not_covered": _l("No warranty period")},
    "escalation": {"none": _l("No escalation"), "pending": _l("Escalation not sent yet"),
                   "notified": _l("Escalated, not taken up yet"),
                   "acknowledged": _l("Escalation taken up")},
    "told_by": {"phone": _l("by phone"), "visit": _l("in person"), "message": _l("by message")},
    "respondent_department": {"engineering": _l("Engineering"), "security": _l("Security"),
                              "cleaning_greening": _l("Cleaning and greening"),
                              "finance": _l("Finance"), "service_centre": _l("Service centre"),
                              "other": _l("Other")},
    "deadline_flag": {"due": _l("due today"), "missed": _l("missed")},
    "escalate_to": {"director": _l("Director"), "supervisor": _l("Supervisor")},
    "agent_state": {"idle": _l("idle"), "ringing": _l("ringing"), "talking": _l("talking"),
                    "wrapup": _l("after-call work"), "on_hold": _l("on hold"),
                    "ready": _l("ready"), "paused": _l("paused"),
                    "logged_out": _l("logged out"), "unavailable": _l("unavailable"),
                    "unknown": _l("unknown")},
    # Lower case in English on purpose: the pause reason follows the state ("paused lunch").
    "pause_reason": {"lunch": _l("lunch"), "training": _l("training"),
                     "meeting": _l("meeting"), "after_call_work": _l("after-call work"),
                     "softphone_offline": _l("softphone offline"),
                     "no_microphone": _l("no microphone")},
    "spy_mode": {"listen": _l("Listen"), "whisper": _l("Whisper"), "barge": _l("Barge in")},
    "follow_up_result": {"pending": _l("Pending"), "reached": _l("Reached"),
                         "unreachable": _l("Unreachable"), "refused": _l("Refused")},
    "follow_up_rule": {"complaint_24h": _l("complaint: within 24 h"),
                       "safety_repair_2d": _l("safety repair: within 2 days"),
                       "leak_repair_3d_after_test": _l("leak: 3 days after the leak test"),
                       "other_repair_2d": _l("repair: within 2 days")},
    "shift": {"day": _l("Day shift"), "evening": _l("Evening shift"),
              "night": _l("Night shift")},
    "role": {"agent": _l("Agent"), "supervisor": _l("Supervisor"), "admin": _l("Administrator"),
             "department": _l("Department staff"), "cashier": _l("Cashier")},
    "call_outcome": {"answered": _l("Answered"), "abandoned": _l("Abandoned"),
                     "timeout": _l("Timed out in queue"), "exit_empty": _l("No agent logged in"),
                     "exit_key": _l("Left the queue by key"), "transferred": _l("Transferred"),
                     "ended_unseen": _l("Ended unseen")},
    "ivr_outcome": {"in_progress": _l("In progress"), "self_served": _l("Self-served"),
                    "to_agent": _l("To an agent"), "callback": _l("Call-back requested"),
                    "hung_up": _l("Hung up"), "error": _l("Error")},
    "identified_by": {"caller_number": _l("by caller number"), "keypad": _l("by keypad"),
                      "ivr": _l("at the IVR"), "transfer": _l("sent with the transferred call")},
    # hotline-line: the lab's twin queue that greets and announces, where the demo's
    # callers wait (hotline/demo_line.py).
    "queue": {"hotline": _l("Service hotline"),
              "hotline-line": _l("Service hotline (with announcements)")},
    # Asterisk hosts by systemname (settings.asterisk_host); a site's own names show as
    # they are, like its queues' (the wallboard's per-host table).
    "asterisk_host": {"main": _l("Main telephone server")},
    "fee_kind": {"management": _l("Property management fee"),
                 "special_service": _l("Special service fee"), "parking": _l("Parking fee"),
                 "renovation": _l("Renovation fee"), "utilities": _l("Water and electricity"),
                 "card": _l("Access card fee")},
    # The IVR's prompts by file name (telephony.ivr.flow.P), as the agent reads them.
    "ivr_prompt": {"hotline/ivr-greeting": _l("Greeting"),
                   "hotline/ivr-known-caller": _l("Caller recognised: this home or another"),
                   "hotline/ivr-enter-room": _l("Asked for the room number"),
                   "hotline/ivr-bad-room": _l("Room number not understood"),
                   "hotline/ivr-room-not-found": _l("Room not found"),
                   "hotline/ivr-enter-phone-suffix": _l("Asked for the phone's last 4 digits"),
                   "hotline/ivr-verify-failed": _l("Verification failed"),
                   "hotline/ivr-enter-pin": _l("Asked for the household's PIN"),
                   "hotline/ivr-identity-locked": _l("Locked out after failed checks: to an agent"),
                   "hotline/ivr-cannot-verify": _l("Nothing on file to verify: to an agent"),
                   "hotline/ivr-no-arrears": _l("Told: nothing owed"),
                   "hotline/ivr-total-due": _l("Told the total due"),
                   "hotline/ivr-arrears": _l("Told the arrears"),
                   "hotline/ivr-months": _l("months"), "hotline/ivr-late-fee": _l("Told the late fee"),
                   "hotline/yuan": _l("yuan"), "hotline/jiao": _l("jiao"), "hotline/fen": _l("fen"),
                   "hotline/ivr-menu": _l("Menu: repeat, call-back, agent"),
                   "hotline/ivr-invalid-choice": _l("Invalid choice"),
                   "hotline/ivr-callback-registered": _l("Call-back registered"),
                   "hotline/ivr-to-agent": _l("Transferred to an agent"),
                   "hotline/ivr-goodbye": _l("Goodbye"),
                   "hotline/ivr-sorry-bad-entries": _l("Too many wrong entries: to an agent"),
                   "hotline/ivr-sorry-timeout": _l("No input: to an agent"),
                   "hotline/ivr-sorry-error": _l("System error: to an agent")},
    "ivr_step": {"play": _l("Heard"), "say_number": _l("Heard the number"),
                 "input": _l("Pressed"), "failed": _l("Could not play"),
                 "verified": _l("Household proven"), "locked_out": _l("Household locked out")},
    "bucket": {"halfhour": _l("Half hour"), "day": _l("Day"), "week": _l("Week"), "month": _l("Month")},
    # The wrap-up's call reasons (models.wrapup.WRAPUP_REASONS).
    "wrapup_reason": {"repair": _l("Repair request"), "complaint": _l("Complaint"),
                      "fee_enquiry": _l("Fee question"), "enquiry": _l("Enquiry"),
                      "praise": _l("Praise"), "wrong_number": _l("Wrong number"),
                      "other": _l("Other")},
    # How a resident reached the office without a call (agent_console.card.CHANNELS).
    "contact_channel": {"walk_in": _l("Walk-in"), "letter": _l("Letter")},
    # A department's work contact sheet (models.departments, workflow.department_rules).
    "department_task_state": {"open": _l("Waiting for acceptance"),
                              "accepted": _l("Accepted by the department"),
                              "completed": _l("Completed"), "rejected": _l("Sent back")},
    "department_deadline": {"accept": _l("not accepted in time"),
                            "promise": _l("not done by the promised time")},
    # Call-backs of lost calls (models.callbacks, workflow.abandoned).
    "callback_result": {"reached": _l("Reached the resident"), "no_answer": _l("No answer"),
                        "busy": _l("Busy"), "wrong_number": _l("Wrong number"),
                        "closed": _l("Closed without a call")},
    "lost_call_status": {"waiting": _l("Not called back yet"), "tried": _l("Tried, not reached"),
                         "recovered": _l("Recovered"), "called_again": _l("Rang again, answered"),
                         "closed": _l("Closed")},
    # The automatic call-back of a lost call (line_callback.lost_calls; workflow.abandoned).
    "auto_callback": {"booked": _l("Automatic call-back booked"),
                      "ringing": _l("Automatic call-back under way"),
                      "reached": _l("Automatic call-back reached the resident"),
                      "failed": _l("Automatic call-back reached nobody")},
    # Why a callback request was made (models.line_callbacks.SOURCES).
    "callback_source": {"keep_place": _l("Pressed 1 to keep their place"),
                        "lost_call": _l("Lost call, called back automatically")},
    # How a payment at the cashier's desk was made (models.cashier.PAYMENT_METHODS).
    "payment_method": {"cash": _l("Cash"), "wechat": _l("WeChat Pay"), "alipay": _l("Alipay"),
                       "bank_transfer": _l("Bank transfer"), "card": _l("Bank card")},
}

# Asterisk's own answers to the state commands (AMI Response Message) and the
# bridge's; anything else becomes a plain "done" or "refused".
ASTERISK_MESSAGES = {
    "Added interface to queue": _l("You are logged in to the queue."),
    "Removed interface from queue": _l("You are logged out of the queue."),
    "Interface paused successfully": _l("Paused."),
    "Interface unpaused successfully": _l("You are ready for calls."),
    "Unable to add interface: Already there": _l("You are already logged in to the queue."),
    "Unable to remove interface: Not there": _l("You are not logged in to the queue."),
    "Interface not found": _l("Your phone is not in the queue: log in to the queue first."),
    "Originate successfully queued": _l("Calling: your phone rings first."),
    # The console's own refusals (agent_console.command_routes): nothing was sent.
    "bridge not running": _l("The telephone system this phone is on is not connected to the "
                             "console right now: nothing was sent. Tell the administrator."),
    "supervisor phone on another host": _l("Your phone is on another telephone server than "
                                           "this call: listening in is not possible from it."),
}
GENERIC_MESSAGES = {"ok": _l("Done."), "failed": _l("The telephone system refused the request."),
                    "unreachable": _l("The telephone system did not answer. Try again.")}

# Text the page's script needs beside the codes.
UI_MESSAGES = {
    "new_call": _l("Incoming call"), "ringing_title": _l("☎ Ringing"),
    "no_household": _l("No household identified"), "none": _l("None"),
    "rooms": _l("Rooms"), "household_number": _l("Household number"),
    "residence_status": _l("Residence status"), "floor_area": _l("Floor area (m²)"),
    "renovation": _l("Renovation"), "move_in_on": _l("Moved in"),
    "identity": _l("ID"), "people": _l("People and phones"), "days": _l("days"),
    "as_of": _l("Balance as of"), "no_open_orders": _l("No open work orders."),
    "col_when": _l("When"), "col_outcome": _l("Outcome"), "col_agent": _l("Agent"),
    "col_talk": _l("Talk"), "col_wait": _l("Wait"), "no_calls": _l("No earlier calls."),
    "no_ivr": _l("The caller did not go through the IVR."), "ivr_outcome": _l("IVR result"),
    "identified": _l("Identified"), "spoken_total": _l("Total due it told"),
    "spoken_late_fee": _l("Late fee it told"), "spoken_months": _l("Months in arrears it told"),
    "timed_out": _l("nothing (timed out)"), "order_saved": _l("Work order saved:"),
    "order_form_failed": _l("The work-order form could not be opened: use the link above."),
    "choose_household": _l("Find the caller's household (above) to see its record."),
    "fee_by_kind": _l("Balance by fee kind"), "fee_kind": _l("Fee kind"), "ledger": _l("Ledger"),
    "period": _l("Period"), "due_by": _l("Due by"), "billed": _l("Billed"),
    "still_owed": _l("Still owed"), "last_payments": _l("Last payments"),
    "paid_on": _l("Paid on"), "amount": _l("Amount"), "receipt": _l("Receipt"),
    "nothing_billed": _l("Nothing billed yet."), "no_payments": _l("No payments yet."),
    "col_reason": _l("Call reason"), "col_summary": _l("Summary"),
    "col_recording": _l("Recording"), "listen": _l("Play recording"),
    "linked_by_hand": _l("linked by hand"), "detail_failed": _l("The details could not be loaded."),
    "loading": _l("Loading…"), "wrapup_saved": _l("Wrap-up saved."),
    "wrapup_left": _l("after-call work left"), "wrapup_for": _l("Wrap-up of call"),
}


# Outbound campaigns (campaigns/, issue 18).
CATALOGUE.update({
    "campaign_kind": {"satisfaction": _l("Satisfaction calls"), "dunning": _l("Dunning reminders")},
    "campaign_state": {"running": _l("Running"), "paused": _l("Paused"), "stopped": _l("Stopped"),
                       "finished": _l("Finished")},
    "campaign_action": {"pause": _l("Pause"), "resume": _l("Resume"), "stop": _l("Stop")},
    "campaign_progress": {"targets": _l("Households"), "called": _l("Calls made"),
                          "answered": _l("Answered"), "completed": _l("Calls completed"),
                          "retries_pending": _l("Retries pending"), "dialling": _l("Calling now"),
                          "handed_to_agent": _l("Handed to agents"), "failed": _l("Failed")},
    "campaign_target_state": {"pending": _l("Not called yet"), "dialling": _l("Calling now"),
                              "completed": _l("Call completed"), "handed_to_agent": _l("Handed to agents"),
                              "do_not_call": _l("Do not call"), "stopped": _l("Stopped")},
    "campaign_outcome": {"pending": _l("Not called yet"), "dialling": _l("Calling now"),
                         "satisfied": _l("Satisfied"), "reopened": _l("Reopened for an agent"),
                         "already_followed_up": _l("Already followed up"),
                         "no_answer": _l("No answer"), "busy": _l("Busy"), "failed": _l("Failed"),
                         "lost": _l("Cut off (bridge restarted)"), "answered": _l("Hung up early"),
                         "do_not_call": _l("Do not call"), "stopped": _l("Stopped")},
})

def label(code, group: str) -> str:
    """The display label of `code` in `group`; unknown codes are logged, shown as '—'."""
    if code is None or code == "":
        return "—"
    if isinstance(code, bool):
        code = "true" if code else "false"
    text = CATALOGUE.get(group, {}).get(str(code))
    if text is None:
        log.warning("no label for %r in %s", code, group)
        # A site names its own queues and hosts (systemnames): those show as they are.
        return "—" if group not in ("queue", "asterisk_host") else str(code)
    return str(text)


def asterisk_message(text: str, ok: bool) -> str:
    """Asterisk's (or the bridge's) answer in the user's language."""
    known = ASTERISK_MESSAGES.get((text or "").strip())
    if known is not None:
        return str(known)
    return str(GENERIC_MESSAGES["ok" if ok else "failed"])


def catalogue_json() -> dict:
    """The catalogue in the request's language, for the page's script."""
    groups = {group: {code: str(text) for code, text in entries.items()}
              for group, entries in CATALOGUE.items()}
    groups["asterisk"] = {text: str(message) for text, message in ASTERISK_MESSAGES.items()}
    groups["generic"] = {key: str(message) for key, message in GENERIC_MESSAGES.items()}
    groups["ui"] = {key: str(message) for key, message in UI_MESSAGES.items()}
    return groups


def money(value) -> str:
    """¥1,234.56; a negative amount as −¥1,234.56 (a real minus sign); '—' for none."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        log.warning("not an amount: %r", value)
        return "—"
    sign = "−" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def duration(seconds) -> str:
    """m:ss (minutes grow past 59: a talk of 75 minutes is 75:00); '—' for none."""
    if seconds is None or seconds == "":
        return "—"
    total = max(0, int(float(seconds)))
    return f"{total // 60}:{total % 60:02d}"


def make_localtime(zone_name: str):
    zone = ZoneInfo(zone_name)

    def localtime(moment, with_date: bool = True) -> str:
        """An aware datetime (or ISO text) on the office's clock; '' for none."""
        if moment is None or moment == "":
            return ""
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        if isinstance(moment, dt.datetime):
            if moment.tzinfo is None:  # stored as UTC without its zone (SQLite)
                moment = moment.replace(tzinfo=dt.timezone.utc)
            local = moment.astimezone(zone)
            return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
        return moment.isoformat()  # a date
    return localtime


@pass_context
def _label_in_template(context, code, group: str) -> str:
    """`label` for templates. Taking the context stops Jinja's compiler from folding
    "idle"|label("agent_state") into the language of the request that compiled the
    template, which every later reader then saw."""
    return label(code, group)


def init_app(app: Flask, office_timezone: str) -> None:
    """Register the display filters; Flask-Login's prompt through the catalogue."""
    from agent_console.extensions import login_manager

    app.jinja_env.filters["label"] = _label_in_template
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["localtime"] = make_localtime(office_timezone)
    app.jinja_env.globals["catalogue_json"] = catalogue_json
    app.jinja_env.globals["office_timezone"] = office_timezone
    login_manager.login_message = _l("Log in to use the console.")
    login_manager.login_message_category = "info"
