"""The IVR's Mandarin prompts, generated at install time with espeak-ng and sox.

No zh sound pack ships with Asterisk, and a missing file falls back to English
without a word in the log, so every prompt the flow plays (telephony.ivr.flow.P) and
every file Asterisk's Chinese SayNumber plays (main/say.c,
ast_say_number_full_zh: digits/0-9, digits/10..90, digits/hundred,
digits/thousand, digits/wan, digits/yi, and digits/minus for negatives) is made
here as `<sounds_dir>/zh/<name>.wav`: 8 kHz, mono, 16-bit signed PCM, the only
layout Asterisk's format_wav reads (it rejects other rates, stereo or 8-bit).

A manifest beside the files records the text each was made from; a build
remakes only files that are missing or whose text changed.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from telephony.errors import TelephonyError
from telephony.ivr.words import P
from telephony.line_prompts import LINE_TEXTS

log = logging.getLogger(__name__)

LANGUAGE = "zh"
ESPEAK_VOICE = "cmn"
ESPEAK_SPEED_WPM = 200
MANIFEST_NAME = ".hotline-prompts.json"

_DIGIT_WORDS = "零一二三四五六七八九"

# The files ast_say_number_full_zh plays, and what each says.
SAY_NUMBER_TEXTS: dict[str, str] = {
    **{f"digits/{n}": _DIGIT_WORDS[n] for n in range(10)},
    **{f"digits/{n * 10}": ("" if n == 1 else _DIGIT_WORDS[n]) + "十" for n in range(1, 10)},
    "digits/hundred": "百",
    "digits/thousand": "千",
    "digits/wan": "万",
    "digits/yi": "亿",
    "digits/minus": "负",
}

FLOW_TEXTS: dict[str, str] = {
    P.GREETING: "您好，这里是物业费用查询。",
    P.KNOWN_CALLER: "已识别您的来电号码。查询本房屋请按1，查询其他房屋请按2。",
    P.ENTER_ROOM: "请输入楼号、单元号和房号，用星号隔开，按井号结束。",
    P.BAD_ROOM: "输入的格式不正确。",
    P.ROOM_NOT_FOUND: "没有找到这个房屋。",
    P.ENTER_PHONE_SUFFIX: "请输入业主登记电话号码的后四位。",
    P.VERIFY_FAILED: "输入不正确。",
    P.ENTER_PIN: "请输入本房屋的查询密码，按井号结束。",
    P.IDENTITY_LOCKED: "验证错误次数过多，本房屋的自助查询已暂时锁定，正在为您转接人工服务。",
    P.CANNOT_VERIFY: "本房屋没有登记可供验证的信息，正在为您转接人工服务。",
    P.NO_ARREARS: "您的房屋目前没有欠费，感谢您按时缴费。",
    P.TOTAL_DUE: "您的房屋目前应缴费用合计",
    P.ARREARS: "已欠费",
    P.MONTHS: "个月",
    P.LATE_FEE: "其中滞纳金",
    P.YUAN: "元",
    P.JIAO: "角",
    P.FEN: "分",
    P.MENU: "重听请按1，收费员回电请按2，人工服务请按0。",
    P.INVALID_CHOICE: "您的选择无效。",
    P.CALLBACK_REGISTERED: "已为您登记，收费员会尽快给您回电。再见。",
    P.TO_AGENT: "正在为您转接人工服务，请稍候。",
    P.GOODBYE: "感谢您的来电，再见。",
    P.SORRY_BAD_ENTRIES: "很抱歉，输入错误次数过多，正在为您转接人工服务。",
    P.SORRY_TIMEOUT: "很抱歉，没有收到您的输入，正在为您转接人工服务。",
    P.SORRY_ERROR: "很抱歉，系统暂时无法查询，正在为您转接人工服务。",
}

PROMPT_TEXTS: dict[str, str] = {**SAY_NUMBER_TEXTS, **FLOW_TEXTS, **LINE_TEXTS}


class PromptBuildError(TelephonyError):
    """espeak-ng or sox is missing or failed, or the sounds folder is not writable."""


@dataclasses.dataclass(frozen=True)
class BuildReport:
    folder: Path
    made: list[str]
    kept: list[str]


def zh_say_number_files(num: int) -> list[str]:
    """The files Asterisk's ast_say_number_full_zh plays for `num`, in order.

    A transcription of main/say.c (Asterisk 22) used to check that the prompt
    set covers every number the IVR says; the zero rule (play digits/0 when a
    place is skipped) follows the C code's string-length arithmetic.
    """
    if num == 0:
        return ["digits/0"]
    files: list[str] = []
    if num < 0:
        files.append("digits/minus")
        num = -num
    _zh_positive(num, files)
    return files


def _zh_positive(num: int, files: list[str]) -> None:
    last_length = 0
    while num:
        text = str(num)
        if num >= 10000:
            if num >= 1_000_000_000:
                raise ValueError(f"{num} is too big for Asterisk's zh SayNumber")
            big, unit = (100_000_000, "digits/yi") if num >= 100_000_000 else (10000, "digits/wan")
            _zh_positive(num // big, files)
            last_length = len(text)
            num -= num // big * big
            files.append(unit)
            continue
        if num >= 1000:  # say.c checks no skipped place here
            files += [f"digits/{num // 1000}", "digits/thousand"]
            last_length = len(text)
            num %= 1000
            continue
        if last_length and last_length - len(text) > 1:
            files.append("digits/0")
            last_length = 0  # say.c resets it after the zero
            continue
        last_length = len(text)
        if num < 10:
            files.append(f"digits/{num}")
            num = 0
        elif num < 100:
            files.append(f"digits/{num // 10 * 10}")
            num %= 10
        else:
            files += [f"digits/{num // 100}", "digits/hundred"]
            num %= 100


def prompt_folder(sounds_dir: Path) -> Path:
    return Path(sounds_dir) / LANGUAGE


def prompt_path(sounds_dir: Path, name: str) -> Path:
    return prompt_folder(sounds_dir) / f"{name}.wav"


def missing_prompts(sounds_dir: Path, names=None) -> list[str]:
    names = PROMPT_TEXTS if names is None else names
    return sorted(name for name in names if not prompt_path(sounds_dir, name).is_file())


def build_prompts(sounds_dir: Path, force: bool = False,
                  texts: dict[str, str] | None = None) -> BuildReport:
    """Make every missing or changed prompt under <sounds_dir>/zh/ (`texts`: name ->
    Mandarin text, PROMPT_TEXTS unless given; the CLI adds the campaigns')."""
    texts = PROMPT_TEXTS if texts is None else texts
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptBuildError(f"{tool} is not installed (Debian packages espeak-ng, sox)")
    folder = prompt_folder(sounds_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _readable_by_asterisk(folder)
        for name in texts:  # digits/, hotline/: made by an earlier build, maybe private
            _readable_by_asterisk(prompt_path(sounds_dir, name).parent)
    except OSError as error:
        raise PromptBuildError(f"cannot create {folder}: {error}") from error
    manifest_path = folder / MANIFEST_NAME
    manifest = _read_manifest(manifest_path)
    made, kept = [], []
    for name, text in sorted(texts.items()):
        target = prompt_path(sounds_dir, name)
        if not force and target.is_file() and manifest.get(name) == _recipe(text):
            kept.append(name)
            continue
        _synthesize(text, target)
        manifest[name] = _recipe(text)
        made.append(name)
    _write_manifest(manifest_path, manifest)
    log.info("prompts in %s: %d made, %d unchanged", folder, len(made), len(kept))
    return BuildReport(folder, made, kept)


def _recipe(text: str) -> str:
    return f"espeak-ng -v {ESPEAK_VOICE} -s {ESPEAK_SPEED_WPM} | sox 8000/1/s16 trimmed: {text}"


def _readable_by_asterisk(folder: Path) -> None:
    """Asterisk runs as its own user: every prompt folder 0755 whatever the umask
    (the hotline command's is 077, which made them 0700 and every prompt silent)."""
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != 0o755:
        folder.chmod(0o755)


def _synthesize(text: str, target: Path) -> None:
    _readable_by_asterisk(target.parent)
    with tempfile.TemporaryDirectory(prefix="hotline-prompt-") as scratch:
        raw = Path(scratch) / "speech.wav"
        made = Path(scratch) / "prompt.wav"
        _run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED_WPM), "-w", str(raw),
              "--", text])
        # Trim espeak's lead-in and tail silence (numbers are said digit file by
        # digit file, so it would sound halting), keep a short pause at the end;
        # norm: espeak's level varies by phrase, -3 dB leaves headroom for the codec.
        _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
              str(made), "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02",
              "0.5%", "reverse", "pad", "0", "0.08", "norm", "-3"])
        os.chmod(made, 0o644)
        os.replace(made, target) if _same_device(made, target) else shutil.move(made, target)


def _same_device(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b.parent).st_dev


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as error:
        raise PromptBuildError(f"{command[0]} failed: {error.stderr.decode(errors='replace')[-300:]}") \
            from error
    except subprocess.TimeoutExpired as error:
        raise PromptBuildError(f"{command[0]} took longer than 60 s") from error


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(path: Path, manifest: dict[str, str]) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True),
                    encoding="utf-8")
