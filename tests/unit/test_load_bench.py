"""bench/load's split of the calls-at-once limit between its two SIPp callers."""
from bench.load_lab import CallerMix, split_concurrency


def _mixes(impatient_share: float) -> list[CallerMix]:
    return [CallerMix("impatient", impatient_share, 3000, 5091, 17000),
            CallerMix("patient", 1 - impatient_share, 15000, 5092, 18000)]


def test_slots_follow_time_in_the_system_not_the_share_of_the_rate():
    mixes = _mixes(0.5)
    split_concurrency(mixes, 100, talk_ms=4000)
    impatient, patient = (mix.concurrency for mix in mixes)
    # Equal rates; a patient caller stays (15+4)/(3+4) times longer.
    assert (impatient, patient) == (27, 73)


def test_a_lone_mix_gets_the_whole_limit_and_none_gets_zero():
    lone = [CallerMix("patient", 1.0, 15000, 5092, 18000)]
    split_concurrency(lone, 100, talk_ms=4000)
    assert lone[0].concurrency == 100
    tiny = _mixes(0.001)
    split_concurrency(tiny, 10, talk_ms=4000)
    assert min(mix.concurrency for mix in tiny) == 1
