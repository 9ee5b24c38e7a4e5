"""The worker's reporter: weighted percent, ETA, coalescing (no Redis needed here)."""
from academy.progress.keys import TaskRef
from academy.progress.reporter import ProgressReporter


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make(steps=(("parse", 1), ("write", 3)), min_interval=0.5):
    clock, writes = FakeClock(), []
    reporter = ProgressReporter(TaskRef(1, "job", "x"), attempt=1, steps=steps, min_interval=min_interval,
                                clock=clock, write=lambda ref, state: writes.append(state))
    return reporter, clock, writes


def test_percent_is_weighted_by_step():
    reporter, _, _ = make()
    reporter.step(0)
    reporter.update(1.0, force=True)
    assert reporter.percent == 25
    reporter.step(1)
    reporter.update(0.5, force=True)
    assert reporter.percent == 62.5


def test_updates_are_coalesced_but_steps_always_written():
    reporter, clock, writes = make()
    reporter.step(0)
    for i in range(1000):  # a row-by-row worker
        clock.now = i * 0.001
        reporter.advance(i, 1000)
    assert len(writes) == 2  # the step, then one more after 0.5 s
    assert reporter.coalesced == 999
    reporter.step(1)
    assert writes[-1].step["index"] == 2 and writes[-1].step["name"] == "write"


def test_remaining_seconds_from_measured_rate():
    reporter, clock, writes = make(steps=(("encode", 1),))
    reporter.step(0)
    clock.now = 10.0
    reporter.update(0.25, force=True)
    assert reporter.remaining_seconds() == 30
    assert writes[-1].progress == {"percent": 25, "remaining": 30}
    assert writes[-1].step == {"index": 1, "total": 1, "name": "encode", "percent": 25}
