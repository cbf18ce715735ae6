"""Progress callables, cancellation, Ctrl-C and the GIL during sampling."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from typing import List, Tuple

import numpy as np
import pytest

import glide
from conftest import FAST

STEPS = {"base_respacing": "6", "upsampler_respacing": "4"}


def test_progress_callable_sees_every_step_of_every_stage(pipe: glide.Pipeline) -> None:
    calls: List[Tuple[str, int, int]] = []
    pipe.generate("a kite", progress=lambda stage, step, total: calls.append((stage, step, total)),
                  **STEPS)
    expected = [("base", k, 6) for k in range(1, 7)] + [("upsampler", k, 4) for k in range(1, 5)]
    assert calls == expected


def test_returning_false_cancels(pipe: glide.Pipeline) -> None:
    steps: List[int] = []

    def stop_at_3(stage: str, step: int, total: int) -> bool:
        steps.append(step)
        return step < 3

    with pytest.raises(glide.Cancelled) as info:
        pipe.generate("a kite", progress=stop_at_3, **STEPS)
    assert isinstance(info.value, KeyboardInterrupt)
    assert info.value.status == "cancelled"
    assert steps == [1, 2, 3]
    # The pipeline is still usable afterwards.
    assert pipe.generate("a kite", **FAST).shape == (1, 32, 32, 3)


def test_only_a_bool_answers_the_callable(pipe: glide.Pipeline) -> None:
    # numpy's bools count as bools; a count returned by accident is refused, not taken for "stop".
    with pytest.raises(glide.Cancelled):
        pipe.generate("a kite", progress=lambda *args: np.bool_(False), **STEPS)
    assert pipe.generate("a kite", progress=lambda *args: np.bool_(True),
                         **STEPS).shape == (1, 32, 32, 3)
    seen: List[int] = []
    with pytest.raises(TypeError, match=r"the progress callable returned int \(0\); return "
                                        r"None or True to go on, or False to cancel"):
        pipe.generate("a kite", progress=lambda *args: len(seen), **STEPS)


def test_preview_without_a_callable_warns(pipe: glide.Pipeline) -> None:
    with pytest.warns(UserWarning, match="preview=True has no effect: only a progress callable"):
        pipe.generate("a kite", preview=True, progress=False, **STEPS)


def test_an_exception_in_the_callable_propagates_and_stops(pipe: glide.Pipeline) -> None:
    steps: List[int] = []

    class Boom(Exception):
        pass

    def fail_at_2(stage: str, step: int, total: int) -> None:
        steps.append(step)
        if step == 2:
            raise Boom("from the callable")

    with pytest.raises(Boom, match="from the callable"):
        pipe.generate("a kite", progress=fail_at_2, **STEPS)
    assert steps == [1, 2]

    # A ValueError of the callable's own is not taken for glide's (whose field names are
    # translated): it comes through as raised, with its type.
    class BadValue(ValueError):
        pass

    def refuse(stage: str, step: int, total: int) -> None:
        raise BadValue("the callable's own")

    with pytest.raises(BadValue, match="the callable's own") as info:
        pipe.generate("a kite", progress=refuse, **STEPS)
    assert not hasattr(info.value, "status")
    # Nor is glide's own ValueError from a call inside the callable: the same object, traceback
    # and all, comes through.
    mine: List[BaseException] = []

    def tokenize_badly(stage: str, step: int, total: int) -> None:
        try:
            glide.tokenize("\ud800")
        except ValueError as e:
            mine.append(e)
            raise

    with pytest.raises(ValueError) as info:
        pipe.generate("a kite", progress=tokenize_badly, **STEPS)
    assert info.value is mine[0]

    # A result that is no answer (an array) is a TypeError; it stops there.
    calls: List[int] = []

    def array_result(stage: str, step: int, total: int) -> np.ndarray:
        calls.append(step)
        return np.ones(3)

    with pytest.raises(TypeError, match=r"the progress callable returned ndarray \(array"):
        pipe.generate("a kite", progress=array_result, **STEPS)
    assert calls == [1]


def test_a_call_from_the_callable_on_the_same_pipeline_is_refused(pipe: glide.Pipeline) -> None:
    errors: List[BaseException] = []

    def call_back_in(stage: str, step: int, total: int) -> None:
        for nested in (lambda: pipe.generate("a kite", **FAST),
                       pipe.release_cached_networks):
            try:
                nested()
            except glide.GlideError as e:
                errors.append(e)

    images = pipe.generate("a kite", **{**FAST, "progress": call_back_in})
    assert images.shape == (1, 32, 32, 3)
    assert len(errors) == 2 * (int(FAST["base_respacing"]) + int(FAST["upsampler_respacing"]))
    assert all(e.status == "unsupported" for e in errors)  # type: ignore[attr-defined]
    assert "one call at a time" in str(errors[0])
    # Not waiting for itself (it used to hang here), and usable afterwards.
    assert np.array_equal(pipe.generate("a kite", **FAST), images)


def test_preview_passes_each_steps_prediction(pipe: glide.Pipeline) -> None:
    shapes = []
    pipe.generate("a kite", batch_size=2, preview=True,
                  progress=lambda stage, step, total, x0: shapes.append((stage, x0.shape,
                                                                         x0.dtype)),
                  **STEPS)
    assert shapes[0] == ("base", (2, 16, 16, 3), np.uint8)
    assert shapes[-1] == ("upsampler", (2, 32, 32, 3), np.uint8)
    assert len(shapes) == 10


def test_preview_tensors_pass_timestep_x_t_and_x0(pipe: glide.Pipeline) -> None:
    seen: List[Tuple[str, glide.StepPreview]] = []
    images, base = pipe.generate("a kite", batch_size=2, preview="tensors", return_base=True,
                                 progress=lambda stage, step, total, p: seen.append((stage, p)),
                                 **STEPS)
    assert len(seen) == 10
    # The reference's spacing of 1000 steps: "6" keeps round(k * 999 / 5), "4" round(k * 333).
    assert [p.timestep for _, p in seen] == [999, 799, 599, 400, 200, 0, 999, 666, 333, 0]
    for stage, p in seen:
        size = 16 if stage == "base" else 32
        assert p.x_t.shape == p.x0.shape == (2, 3, size, size)
        assert p.x_t.dtype == p.x0.dtype == np.float32
        assert np.abs(p.x0).max() <= 1.0  # thresholding "clip"
        # The image is the x_0 in 8 bits, as preview=True passes it.
        levels = np.round((p.x0.transpose(0, 2, 3, 1) + 1) * 127.5).clip(0, 255)
        assert np.abs(levels - p.image).max() <= 1
    assert np.abs(seen[0][1].x_t).std() > 0.5  # the first x_t is noise
    # DDPM's last step (t = 0) returns its predicted x_0, and each stage's output is that.
    last_base = np.round((seen[5][1].x0.transpose(0, 2, 3, 1) + 1) * 127.5).clip(0, 255)
    assert np.abs(last_base - base).max() <= 1


def test_preview_refuses_other_values(pipe: glide.Pipeline) -> None:
    with pytest.raises(ValueError, match="preview is 'Tensors'; expected False, True or "
                                         "\"tensors\""):
        pipe.generate("a kite", preview="Tensors", progress=lambda *a: None, **STEPS)
    with pytest.raises(TypeError, match="preview must be False, True or \"tensors\", not int"):
        pipe.generate("a kite", preview=2, progress=lambda *a: None, **STEPS)


def test_ctrl_c_interrupts_sampling(pipe: glide.Pipeline) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")
    started = threading.Event()
    steps: List[int] = []

    def record(stage: str, step: int, total: int) -> None:
        steps.append(step)
        if step == 2:
            started.set()
            time.sleep(0.5)  # the signal arrives during this step (with the GIL released after)

    def press_ctrl_c() -> None:
        started.wait(30)
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            pipe.generate("a kite", progress=record, base_respacing="200",
                          upsampler_respacing="4")
    finally:
        presser.join()
    assert not isinstance(info.value, glide.Cancelled)
    assert len(steps) < 200


def test_ctrl_c_without_a_callable_still_interrupts(pipe: glide.Pipeline) -> None:
    """progress=False still polls for signals after each step."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")
    one_step = _seconds_per_base_step(pipe)
    timer = threading.Timer(10 * one_step, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            pipe.generate("a kite", progress=False, base_respacing="1000", upsample=False)
    finally:
        timer.cancel()
    # 1000 steps would take ~1000 step times; stopping soon after the signal takes ~10.
    assert time.monotonic() - start < 500 * one_step


def _seconds_per_base_step(pipe: glide.Pipeline) -> float:
    start = time.monotonic()
    pipe.generate("a kite", progress=False, base_respacing="20", upsample=False)
    return (time.monotonic() - start) / 20


def test_gil_is_released_while_sampling(pipe: glide.Pipeline) -> None:
    stamps: List[float] = []
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            time.sleep(0.001)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        time.sleep(0.05)
        t0 = time.perf_counter()
        pipe.generate("a kite", progress=False, base_respacing="40", upsample=False)
        t1 = time.perf_counter()
    finally:
        stop.set()
        worker.join()
    assert t1 - t0 > 0.05, "the call was too short to tell"
    # Holding the GIL would freeze the worker for the whole call; released, it keeps stamping.
    middle = [s for s in stamps if t0 + 0.25 * (t1 - t0) < s < t0 + 0.75 * (t1 - t0)]
    assert len(middle) >= 5, f"{len(middle)} worker iterations in the middle half of the call"


def test_text_bar_on_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    bar = glide.TextBar(out, live=True)
    for step in range(1, 5):
        bar("base", step, 4)
    text = out.getvalue()
    assert text.startswith("\rbase")
    assert "[" + "#" * 30 + "] 4/4" in text and text.endswith("s\n")


def test_text_bar_off_a_terminal_prints_a_summary_per_stage() -> None:
    out = io.StringIO()
    bar = glide.TextBar(out, live=False)
    for step in range(1, 4):
        bar("upsampler", step, 3)
    assert out.getvalue().startswith("glide: upsampler: 3 steps in ")
    assert out.getvalue().count("\n") == 1


def test_progress_true_writes_to_stderr(pipe: glide.Pipeline, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    pipe.generate("a kite", progress=True, **STEPS)
    err = capsys.readouterr().err
    assert "glide: base: 6 steps" in err and "glide: upsampler: 4 steps" in err


def test_a_stderr_that_cannot_be_written_costs_the_bar_not_the_images(
    pipe: glide.Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = pipe.generate("a kite", **FAST)
    closed = io.StringIO()
    closed.close()

    class BrokenPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    for stream in (None, closed, BrokenPipe()):
        monkeypatch.setattr(sys, "stderr", stream)
        made = pipe.generate("a kite", **{**FAST, "progress": True})
        np.testing.assert_array_equal(made, expected)


def test_pipeline_is_usable_from_several_threads(pipe: glide.Pipeline) -> None:
    results = {}

    def run(seed: int) -> None:
        results[seed] = pipe.generate("a kite", seed=seed, **FAST)

    threads = [threading.Thread(target=run, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(results[1], pipe.generate("a kite", seed=1, **FAST))
    np.testing.assert_array_equal(results[2], pipe.generate("a kite", seed=2, **FAST))


def test_tqdm_bar_opens_one_bar_per_stage_and_closes_it() -> None:
    from glide._progress import TqdmBar

    bars: List["FakeTqdm"] = []

    class FakeTqdm:
        def __init__(self, total: int, desc: str, leave: bool) -> None:
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            bars.append(self)

        def update(self, k: int) -> None:
            self.n += k

        def close(self) -> None:
            self.closed = True

    bar = TqdmBar(FakeTqdm)
    for step in range(1, 4):
        bar("base", step, 3)
    bar("upsampler", 1, 2)
    bar.close()  # as after a cancelled call
    assert [(b.desc, b.total, b.n, b.closed) for b in bars] == [
        ("base", 3, 3, True), ("upsampler", 2, 1, True)]
