"""Files built at start (generated secrets, compiled catalogues) when several processes start at once: the production lab's
two gunicorns share one state folder, and CI once saw one of them read a secret
file its sibling had created but not yet written (an empty key, a worker that
never answered /healthz)."""
from __future__ import annotations

import multiprocessing
import os
import stat

from hotline.settings import load_settings

PROCESSES = 6
ROUNDS = 30
COMPILE_ROUNDS = 5  # the shared temporary name broke in the first round of each run seen


def _start_like_a_worker(state_dir: str, barrier, answers) -> None:
    os.environ["HOTLINE_STATE_DIR"] = state_dir
    for name in ("HOTLINE_SECRET_KEY_FILE", "HOTLINE_REDIS_PASSWORD", "HOTLINE_REDIS_PASSWORD_FILE"):
        os.environ.pop(name, None)
    barrier.wait()
    settings = load_settings()
    answers.put((settings.secret_key, settings.redis_url))


def _start_together(state_dir) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("fork")
    barrier, answers = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_start_like_a_worker, args=(str(state_dir), barrier, answers))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    found = [answers.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return found


def test_processes_starting_together_agree_on_whole_secrets(tmp_path):
    for round_number in range(ROUNDS):
        state_dir = tmp_path / f"round-{round_number}" / "state"
        found = _start_together(state_dir)
        keys, redis_urls = {key for key, _ in found}, {url for _, url in found}
        assert len(keys) == 1 and "" not in keys, f"round {round_number}: {found}"
        assert len(redis_urls) == 1 and "default:@" not in redis_urls.pop()
        assert sorted(path.name for path in state_dir.iterdir()) == ["redis-secret", "secret-key"]
        assert stat.S_IMODE(os.stat(state_dir / "secret-key").st_mode) == 0o600


def _compile_like_a_worker(state_dir: str, barrier, errors) -> None:
    from agent_console.i18n import compiled_translations_dir

    barrier.wait()
    try:
        compiled_translations_dir(state_dir)
        errors.put("")
    except Exception as error:  # the worker would have failed to boot
        errors.put(repr(error))


def test_workers_compiling_the_catalogues_together_all_start(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_number in range(COMPILE_ROUNDS):
        state_dir = tmp_path / f"round-{round_number}"
        barrier, errors = context.Barrier(PROCESSES), context.Queue()
        workers = [context.Process(target=_compile_like_a_worker, args=(str(state_dir), barrier, errors))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        failures = [error for error in (errors.get(timeout=60) for _ in workers) if error]
        for worker in workers:
            worker.join(timeout=30)
        assert failures == [], f"round {round_number}"
        assert not [path for path in state_dir.rglob(".*") if path.is_file()], "temporaries left"
