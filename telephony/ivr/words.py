"""What the fee-balance IVR plays: every prompt's name, and a balance as words.

prompts.py holds the Mandarin text of each prompt and makes the files.
"""
from __future__ import annotations

from telephony.ivr.data import Balance


class P:
    """Every prompt the flow plays (names under the sounds folder's zh/, no extension).

    prompts.py holds the Mandarin text of each, and a test checks that each one
    exists as a file after `hotline prompts build`.
    """

    GREETING = "hotline/ivr-greeting"
    KNOWN_CALLER = "hotline/ivr-known-caller"
    ENTER_ROOM = "hotline/ivr-enter-room"
    BAD_ROOM = "hotline/ivr-bad-room"
    ROOM_NOT_FOUND = "hotline/ivr-room-not-found"
    ENTER_PHONE_SUFFIX = "hotline/ivr-enter-phone-suffix"
    VERIFY_FAILED = "hotline/ivr-verify-failed"
    ENTER_PIN = "hotline/ivr-enter-pin"
    IDENTITY_LOCKED = "hotline/ivr-identity-locked"
    CANNOT_VERIFY = "hotline/ivr-cannot-verify"
    NO_ARREARS = "hotline/ivr-no-arrears"
    TOTAL_DUE = "hotline/ivr-total-due"
    ARREARS = "hotline/ivr-arrears"
    MONTHS = "hotline/ivr-months"
    LATE_FEE = "hotline/ivr-late-fee"
    YUAN = "hotline/yuan"
    JIAO = "hotline/jiao"
    FEN = "hotline/fen"
    MENU = "hotline/ivr-menu"
    INVALID_CHOICE = "hotline/ivr-invalid-choice"
    CALLBACK_REGISTERED = "hotline/ivr-callback-registered"
    TO_AGENT = "hotline/ivr-to-agent"
    GOODBYE = "hotline/ivr-goodbye"
    SORRY_BAD_ENTRIES = "hotline/ivr-sorry-bad-entries"
    SORRY_TIMEOUT = "hotline/ivr-sorry-timeout"
    SORRY_ERROR = "hotline/ivr-sorry-error"
    ZERO = "digits/0"  # "零" between yuan and a fen with no jiao

    @classmethod
    def all(cls) -> list[str]:
        return sorted(value for name, value in vars(cls).items()
                      if name.isupper() and isinstance(value, str))


def balance_words(balance: Balance) -> list[tuple[str, object]]:
    """The balance as ("play", prompt) and ("say", number) steps, in order."""
    if balance.total_due_fen <= 0:
        return [("play", P.NO_ARREARS)]
    words: list[tuple[str, object]] = [("play", P.TOTAL_DUE), *money_words(balance.total_due_fen)]
    if balance.months_in_arrears > 0:
        words += [("play", P.ARREARS), ("say", balance.months_in_arrears), ("play", P.MONTHS)]
    if balance.late_fee_fen > 0:
        words += [("play", P.LATE_FEE), *money_words(balance.late_fee_fen)]
    return words


def money_words(fen: int) -> list[tuple[str, object]]:
    """1234.05 yuan (123405 fen) → 一千二百三十四 元 零 五 分."""
    yuan, jiao, cents = fen // 100, fen % 100 // 10, fen % 10
    words: list[tuple[str, object]] = []
    if yuan or not (jiao or cents):
        words += [("say", yuan), ("play", P.YUAN)]
    if jiao:
        words += [("say", jiao), ("play", P.JIAO)]
    if cents:
        if yuan and not jiao:
            words.append(("play", P.ZERO))
        words += [("say", cents), ("play", P.FEN)]
    return words
