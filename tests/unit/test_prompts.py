"""Every prompt the IVR plays exists, as a WAV file Asterisk can play.

The names come from the flow (telephony.ivr.flow.P, the prompts of scripted calls,
the files Asterisk's zh SayNumber plays for what the flow says) and from the
dialplan section, never from a list kept by hand in this test.
"""
from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from telephony.ivr import prompts
from telephony.ivr.flow import P, FeeBalanceScript, balance_words
from telephony.ivr.data import Balance
from tests.unit.ivr_fakes import HANGUP, TIMEOUT, FakeAgi, demo_backend

TEMPLATE = Path(__file__).resolve().parents[2] / "asterisk_conf" / "extensions.conf.tmpl"

SCRIPTED_CALLS = [
    dict(inputs=["3*2*1502", "5678", "1", "2"], caller="13800000000"),
    dict(inputs=["x", "9*9*9", "3*2*1502", "1", "5678", TIMEOUT, TIMEOUT], caller=""),
    dict(inputs=["3*2*1502", "0", "0", "0"], caller=""),
    dict(inputs=[TIMEOUT], caller=""),
    dict(inputs=["2", HANGUP], caller="13900007777"),
    dict(inputs=[TIMEOUT, "5", "6", "7"], caller="13900007777"),
]


def files_said(number: int) -> list[str]:
    return prompts.zh_say_number_files(number)


def names_heard_in_scripted_calls() -> set[str]:
    names: set[str] = set()
    for call in SCRIPTED_CALLS:
        for failing in (set(), {"balance"}):
            backend = demo_backend()
            backend.failing |= failing
            agi = FakeAgi(**call)
            FeeBalanceScript(backend, 1000)(agi)
            names |= set(agi.played())
            for number in agi.numbers_said():
                names |= set(files_said(number))
    return names


def dialplan_prompts() -> set[str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    section = text[text.index("; >>> ivr-fee-balance"):text.index("; <<< ivr-fee-balance")]
    return set(re.findall(r"(?:Playback|Background)\(([^),]+)", section))


def every_name_the_ivr_uses() -> set[str]:
    say_number_files = {name for name in prompts.SAY_NUMBER_TEXTS}
    return set(P.all()) | names_heard_in_scripted_calls() | dialplan_prompts() | say_number_files


def test_flow_and_dialplan_prompts_all_have_a_text():
    used = every_name_the_ivr_uses()
    assert dialplan_prompts() and P.GREETING in used
    assert sorted(used - set(prompts.PROMPT_TEXTS)) == []


@given(st.integers(min_value=0, max_value=999_999_999))
def test_say_number_needs_only_files_we_make(number):
    assert set(files_said(number)) <= set(prompts.SAY_NUMBER_TEXTS)


@given(st.integers(0, 10**9), st.integers(0, 600), st.integers(0, 10**7))
def test_any_balance_needs_only_files_we_make(total, months, late_fee):
    needed = set()
    for kind, value in balance_words(Balance(total, months, late_fee)):
        needed |= set(files_said(value)) if kind == "say" else {value}
    assert needed <= set(prompts.PROMPT_TEXTS)


@pytest.mark.parametrize("number, spoken", [
    (0, "0"), (7, "7"), (15, "10 5"), (20, "20"), (105, "1 hundred 0 5"),
    (1502, "1 thousand 5 hundred 0 2"), (10502, "1 wan 0 5 hundred 0 2"),
    (101502, "10 wan 1 thousand 5 hundred 0 2"), (200000000, "2 yi"), (-3, "minus 3"),
])
def test_zh_say_number_follows_say_c(number, spoken):
    assert " ".join(name.split("/")[1] for name in files_said(number)) == spoken


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    sounds = tmp_path_factory.mktemp("sounds")
    report = prompts.build_prompts(sounds)
    return sounds, report


def wav_header(path: Path) -> dict:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    offset, fields = 12, {}
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        if chunk == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[offset + 8:offset + 24])
            fields.update(format=fmt, channels=channels, rate=rate, bits=bits)
        elif chunk == b"data":
            fields["data_bytes"] = size
            break
        offset += 8 + size + (size & 1)
    return fields


def test_build_makes_every_prompt_the_ivr_uses(built):
    sounds, report = built
    assert sorted(report.made) == sorted(prompts.PROMPT_TEXTS)
    missing = [name for name in every_name_the_ivr_uses()
               if not (sounds / "zh" / f"{name}.wav").is_file()]
    assert missing == []
    assert prompts.missing_prompts(sounds) == []


def test_prompt_files_are_what_asterisk_wav_reads(built):
    sounds, _ = built
    for name in prompts.PROMPT_TEXTS:
        header = wav_header(sounds / "zh" / f"{name}.wav")
        # format_wav: PCM (1), mono, 8000 Hz, 16-bit; and some speech in it
        assert (header["format"], header["channels"], header["rate"], header["bits"]) == \
            (1, 1, 8000, 16), name
        assert header["data_bytes"] > 8000 * 2 * 0.1, name


@pytest.fixture
def own_copy(built, tmp_path):
    """A copy of the built folder that a test may change."""
    shutil.copytree(built[0], tmp_path / "sounds")
    return tmp_path / "sounds"


def test_build_again_keeps_unchanged_and_remakes_changed(own_copy, monkeypatch):
    sounds = own_copy
    assert prompts.build_prompts(sounds).made == []
    changed = dict(prompts.PROMPT_TEXTS, **{P.GOODBYE: "再见。"})
    monkeypatch.setattr(prompts, "PROMPT_TEXTS", changed)
    assert prompts.build_prompts(sounds).made == [P.GOODBYE]


def test_missing_file_is_reported_and_remade(own_copy):
    sounds = own_copy
    (sounds / "zh" / "digits" / "wan.wav").unlink()
    assert prompts.missing_prompts(sounds) == ["digits/wan"]
    assert prompts.build_prompts(sounds).made == ["digits/wan"]


def test_missing_tool_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(prompts.shutil, "which", lambda tool: None)
    with pytest.raises(prompts.PromptBuildError, match="espeak-ng is not installed"):
        prompts.build_prompts(tmp_path)
    assert not (tmp_path / "zh").exists()


def test_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(prompts.PromptBuildError, match="cannot create"):
        prompts.build_prompts(blocker)


def test_prompt_folders_are_readable_by_asterisk_whatever_the_umask(built, tmp_path):
    """The hotline command runs with umask 077: a build made the folders 0700, and
    Asterisk (its own user) played nothing. A build repairs folders an earlier one made."""
    import os
    import stat

    sounds, _ = built
    private = tmp_path / "sounds"
    (private / "zh" / "hotline").mkdir(parents=True, mode=0o700)
    for source in (sounds / "zh").rglob("*.wav"):  # the files, without synthesising again
        target = private / source.relative_to(sounds)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    os.chmod(private / "zh" / "hotline", 0o700)
    previous = os.umask(0o077)
    try:
        prompts.build_prompts(private)
    finally:
        os.umask(previous)
    for folder in [private / "zh", *(path for path in (private / "zh").rglob("*") if path.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
