"""No guard between the project's own packages: a sibling that fails to import is an
error at start-up, not a feature silently missing (a screen-pop without history,
a bridge without console commands). Third-party optional packages may be guarded.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Every package of the project, the console and the benchmarks included; tests/ may
# stand in for a module (monkeypatch), which is not a guard.
NOT_CHECKED = {"tests"}
PACKAGES = sorted(path.parent.name for path in REPO.glob("*/__init__.py")
                  if path.parent.name not in NOT_CHECKED)
GUARD = re.compile(r"except\s*\(?[^:\n]*\b(ImportError|ModuleNotFoundError)\b|__import__\(")


def test_no_import_guard_between_the_projects_packages():
    guarded = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
               for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
               for number, line in enumerate(path.read_text().splitlines(), 1)
               if GUARD.search(line)]
    assert guarded == []


def test_the_guard_pattern_finds_what_it_is_for():
    assert {"agent_console", "bench", "households", "models", "telephony"} <= set(PACKAGES)
    for line in ("    except ImportError:", "except (ImportError, AttributeError):",
                 "except ModuleNotFoundError as error:", "getattr(__import__(module), name)"):
        assert GUARD.search(line), line
    assert not GUARD.search("except ValueError:  # ImportError is not this")


def test_the_bridge_process_never_loads_the_web_package():
    """The bridge (hotline.bridge_root) and what its FastAGI scripts load when a call
    needs them (the emergency order's intake, the campaigns' follow-ups) stay out of
    agent_console and Flask: the bridge must run on a host without the console."""
    import subprocess
    import sys

    probe = ("import sys, hotline.bridge_root, telephony.emergency_line, workflow.intake, "
             "workflow.orders, workflow.followups, workflow.night_log, campaigns.satisfaction, "
             "campaigns.dunning, campaigns.engine\n"
             "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('agent_console', 'flask', 'flask_socketio', 'flask_login'))))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert loaded == ""
