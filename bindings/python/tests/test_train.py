"""glide.train: `glide train` from Python, on a tiny model and the 8×8 shapes dataset."""

from __future__ import annotations

import inspect
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import numpy as np
import pytest

import glide

# The C++ trainer tests' tiny model (tests/test_training_trainer.cpp), without dropout.
TINY: Dict[str, Any] = {
    "image_size": 8,
    "num_channels": 32,
    "num_res_blocks": 1,
    "channel_mult": "1",
    "attention_resolutions": "8",
    "num_head_channels": 32,
    "dropout": 0.0,
    "text_ctx": 12,
    "xf_width": 32,
    "xf_layers": 1,
    "xf_heads": 1,
}
# A fast recipe; the constant schedule keeps `steps` out of the recipe, so a run can be extended.
# One thread: the tiny model's steps are too small to share, and on a busy machine two LibTorch
# threads mostly wait for each other (measured: 10x slower).
FAST: Dict[str, Any] = {
    "batch_size": 8,
    "learning_rate": 1e-3,
    "warmup_steps": 2,
    "lr_schedule": "constant",
    "seed": 5,
    "threads": 1,
    "progress": False,
}


@pytest.fixture(scope="module", autouse=True)
def restore_threads() -> Iterator[None]:
    """threads= is process-wide: give the tests after this module the count they had."""
    before = glide.num_threads()
    yield
    glide.set_num_threads(before)


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> glide.TrainResult:
    """6 uninterrupted steps, exported as float32 with a loss curve."""
    d = tmp_path_factory.mktemp("whole")
    return glide.train(TINY, d / "run.ckpt.safetensors", steps=6, export=d / "model.safetensors",
                       loss_curve=d / "loss.png", **FAST)


def test_training_lowers_the_loss(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    result = glide.train(TINY, checkpoint, steps=60, **FAST)
    assert checkpoint.is_file()
    assert (result.steps, result.resumed) == (60, False)
    assert result.checkpoint == str(checkpoint) and result.export is None
    losses = result.loss_history
    assert len(losses) == 60 and all(math.isfinite(x) for x in losses)
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert last < 0.6 * first, f"mean loss of the first 10 steps {first}, of the last 10 {last}"


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path: Path,
                                                   whole_run: glide.TrainResult) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    first = glide.train(TINY, checkpoint, steps=3, **FAST)
    assert (first.steps, first.resumed, len(first.loss_history)) == (3, False, 3)
    seen: List[int] = []
    second = glide.train(TINY, checkpoint, steps=6, export=tmp_path / "model.safetensors",
                         **{**FAST, "progress": lambda p: seen.append(p.step)})
    assert (second.steps, second.resumed) == (6, True)
    assert seen == [4, 5, 6]
    assert second.loss_history == whole_run.loss_history
    assert whole_run.export is not None
    assert (tmp_path / "model.safetensors").read_bytes() == Path(whole_run.export).read_bytes()


def test_the_export_loads_as_a_model(tmp_path: Path, whole_run: glide.TrainResult) -> None:
    assert whole_run.export is not None and whole_run.loss_curve is not None
    pipe = glide.Pipeline(base=whole_run.export)  # the config comes from the file's metadata
    assert pipe.base_config is not None
    for key, value in TINY.items():
        assert pipe.base_config[key] == value, key
    assert pipe.base_config["noise_schedule"] == "squaredcos_cap_v2"
    images = pipe.generate("a red circle on a blue background", upsample=False,
                           base_respacing="4", progress=False)
    assert images.shape == (1, 8, 8, 3) and images.dtype == np.uint8
    pixels, _ = glide.load_png(whole_run.loss_curve)
    assert pixels.shape == (360, 640, 3)

    # A finished run only writes its outputs: here in float16, from a copy of the checkpoint.
    checkpoint = tmp_path / "run.ckpt.safetensors"
    shutil.copyfile(whole_run.checkpoint, checkpoint)
    half = tmp_path / "half.safetensors"
    calls: List[int] = []
    result = glide.train(TINY, checkpoint, steps=6, export=half, export_dtype="float16",
                         **{**FAST, "progress": lambda p: calls.append(p.step)})
    assert result.resumed and calls == [] and result.loss_history == whole_run.loss_history
    assert 0 < half.stat().st_size < 0.75 * Path(whole_run.export).stat().st_size
    assert glide.Pipeline(base=half).base_config["image_size"] == 8  # type: ignore[index]

    # The export is its own recipe: fine-tuned with model_config naming the file itself.
    tuned = glide.train(whole_run.export, tmp_path / "tune.ckpt.safetensors", steps=1,
                        init_from=whole_run.export, **FAST)
    assert tuned.steps == 1 and not tuned.resumed


def test_outputs_are_not_overwritten_unless_asked(tmp_path: Path,
                                                  whole_run: glide.TrainResult) -> None:
    assert whole_run.export is not None
    checkpoint = tmp_path / "run.ckpt.safetensors"
    shutil.copyfile(whole_run.checkpoint, checkpoint)
    export = tmp_path / "model.safetensors"
    export.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="already exists"):
        glide.train(TINY, checkpoint, steps=6, export=export, **FAST)
    assert export.read_bytes() == b"keep me"
    glide.train(TINY, checkpoint, steps=6, export=export, overwrite=True, **FAST)
    assert export.read_bytes() == Path(whole_run.export).read_bytes()


def test_the_config_may_be_json_text_or_a_file(tmp_path: Path,
                                               whole_run: glide.TrainResult) -> None:
    import json

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))
    for form in (config, str(config), json.dumps(TINY)):
        checkpoint = tmp_path / "run.ckpt.safetensors"
        checkpoint.unlink(missing_ok=True)
        result = glide.train(form, checkpoint, steps=2, **FAST)  # type: ignore[arg-type]
        assert result.loss_history == whole_run.loss_history[:2], form


def test_a_config_may_name_its_diffusion(tmp_path: Path) -> None:
    import json

    shifted = dict(TINY, noise_schedule="shifted_cosine_4", diffusion_steps=200)
    config = tmp_path / "shifted.json"
    config.write_text(json.dumps(shifted))
    for n, form in enumerate((shifted, config)):
        model = tmp_path / f"model{n}.safetensors"
        glide.train(form, tmp_path / f"run{n}.ckpt.safetensors", steps=1,  # type: ignore[arg-type]
                    export=model, **FAST)
        loaded = glide.Pipeline(base=model).base_config
        assert loaded is not None
        assert loaded["noise_schedule"] == "shifted_cosine_4", form
        assert loaded["diffusion_steps"] == 200, form
    v_model = tmp_path / "v.safetensors"
    glide.train(dict(TINY, prediction="v"), tmp_path / "v.ckpt.safetensors", steps=1,
                export=v_model, **FAST)
    v_config = glide.Pipeline(base=v_model).base_config
    assert v_config is not None and v_config["prediction"] == "v"
    with pytest.raises(ValueError, match="prediction"):
        glide.train(dict(TINY, prediction="x0"), tmp_path / "bad.safetensors", steps=1, **FAST)
    with pytest.raises(ValueError, match="shifted_cosine_x"):
        glide.train(dict(TINY, noise_schedule="shifted_cosine_x"), tmp_path / "bad.safetensors",
                    steps=1, **FAST)


def test_bfloat16_mixed_precision_trains_and_is_part_of_the_recipe(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    result = glide.train(TINY, checkpoint, steps=3, precision="bfloat16", **FAST)
    assert result.steps == 3 and all(math.isfinite(x) for x in result.loss_history)
    with pytest.raises(ValueError, match="precision"):
        glide.train(TINY, checkpoint, steps=3, **FAST)


def test_train_from_its_own_progress_callable_is_refused(tmp_path: Path) -> None:
    def train_again(progress: glide.TrainProgress) -> None:
        glide.train(TINY, tmp_path / "inner.ckpt.safetensors", steps=1, **FAST)

    with pytest.raises(glide.GlideError, match="one training runs at a time") as info:
        glide.train(TINY, tmp_path / "outer.ckpt.safetensors", steps=2,
                    **{**FAST, "progress": train_again})
    assert info.value.status == "unsupported"  # type: ignore[attr-defined]
    assert not (tmp_path / "inner.ckpt.safetensors").exists()


def test_bad_options_raise_value_error_naming_them(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    cases = [
        ({"steps": 0}, "steps=0"),
        ({"batch_size": -1}, "batch_size=-1"),
        ({"lr_schedule": "step"}, "lr_schedule=\"step\""),
        ({"learning_rate": -1.0}, "learning_rate=-1"),
        ({"caption_dropout": 1.5}, "caption_dropout=1.5"),
        ({"ema_decay": 1.0}, "ema_decay=1"),
        ({"crop_size": 4}, "crop_size=4"),
        # Recorded for base models too; the command line, which refuses it there, must resume.
        ({"upsample_factor": 2}, "upsample_factor=2 applies to super-resolution models only"),
        ({"checkpoint_every": 0}, "checkpoint_every=0"),
        ({"precision": "float16"}, "precision=\"float16\""),
        ({"export_dtype": "int8"}, "export_dtype is \"int8\""),
        ({"threads": -1}, "threads is -1"),
        ({"dataset": "mnist"}, "dataset \"mnist\""),
        ({"dataset_seed": -1}, "dataset_seed is -1"),
        ({"seed": -3}, "seed is -3"),
    ]
    for change, message in cases:
        options = {**FAST, "steps": 2, **change}
        with pytest.raises(ValueError, match=message) as info:
            glide.train(TINY, checkpoint, **options)
        assert getattr(info.value, "status", "invalid_argument") == "invalid_argument", change
    # The checkpoint is named by glide.train's argument, not the C++ field's name.
    with pytest.raises(ValueError, match=r"^checkpoint='.*run\.pt': checkpoints are written as "
                                         "safetensors files"):
        glide.train(TINY, tmp_path / "run.pt", steps=2, **FAST)
    with pytest.raises(ValueError, match="model_config: .*no_such_option"):
        glide.train({**TINY, "no_such_option": 1}, checkpoint, steps=2, **FAST)
    with pytest.raises(ValueError, match="image_size"):
        glide.train({**TINY, "image_size": 0}, checkpoint, steps=2, **FAST)
    with pytest.raises(TypeError, match="steps must be an int, not str"):
        glide.train(TINY, checkpoint, steps="2", **FAST)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        glide.train(TINY, checkpoint, **{**FAST, "learning_rate": "fast"})
    with pytest.raises(TypeError, match="progress must be"):
        glide.train(TINY, checkpoint, steps=2, **{**FAST, "progress": 3})
    with pytest.raises(TypeError, match="model_config must be"):
        glide.train(42, checkpoint)  # type: ignore[arg-type]
    assert not checkpoint.exists(), "nothing is written before the options are checked"


def test_missing_files_are_file_not_found(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    with pytest.raises(FileNotFoundError, match="nothing.json") as info:
        glide.train(tmp_path / "nothing.json", checkpoint, steps=2, **FAST)
    assert info.value.status == "not_found"  # type: ignore[attr-defined]
    with pytest.raises(FileNotFoundError, match="init_from model '.*no-model.safetensors'"):
        glide.train(TINY, checkpoint, steps=2, init_from=tmp_path / "no-model.safetensors",
                    **FAST)
    with pytest.raises(FileNotFoundError, match="no-images"):
        glide.train(TINY, checkpoint, steps=2, images=tmp_path / "no-images", **FAST)
    # The shapes dataset's settings with a folder of images would be ignored: refused instead.
    for given in ({"dataset_seed": 0}, {"dataset": "shapes"}):  # even their default values
        with pytest.raises(ValueError, match=f"{next(iter(given))} is for the synthetic shapes"):
            glide.train(TINY, checkpoint, steps=2, images=tmp_path, **given, **FAST)
    assert not checkpoint.exists()


def test_a_foreign_or_damaged_checkpoint_is_refused_and_kept(
        tmp_path: Path, whole_run: glide.TrainResult) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    shutil.copyfile(whole_run.checkpoint, checkpoint)
    original = checkpoint.read_bytes()
    with pytest.raises(ValueError, match="learning_rate"):
        glide.train(TINY, checkpoint, steps=6, **{**FAST, "learning_rate": 2e-3})
    with pytest.raises(ValueError, match="num_channels"):
        glide.train({**TINY, "num_channels": 64}, checkpoint, steps=6, **FAST)
    assert checkpoint.read_bytes() == original

    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(original[: len(original) // 2])
    with pytest.raises(glide.GlideError, match="damaged.safetensors") as info:
        glide.train(TINY, damaged, steps=6, **FAST)
    assert info.value.status == "invalid_format"
    assert damaged.read_bytes() == original[: len(original) // 2]

    assert whole_run.export is not None
    model = tmp_path / "model.safetensors"
    shutil.copyfile(whole_run.export, model)
    with pytest.raises(Exception, match="not a glide training checkpoint"):
        glide.train(TINY, model, steps=6, **FAST)
    assert model.read_bytes() == Path(whole_run.export).read_bytes()


def test_the_progress_callable_sees_every_step(tmp_path: Path) -> None:
    seen: List[glide.TrainProgress] = []
    glide.train(TINY, tmp_path / "run.ckpt.safetensors", steps=4, checkpoint_every=3,
                **{**FAST, "progress": seen.append})
    assert [p.step for p in seen] == [1, 2, 3, 4]
    assert all(isinstance(p, glide.TrainProgress) and p.total == 4 for p in seen)
    assert [p.checkpoint_saved for p in seen] == [False, False, True, True]
    assert [p.learning_rate for p in seen] == pytest.approx([5e-4, 1e-3, 1e-3, 1e-3])
    for p in seen:
        assert math.isfinite(p.loss) and p.loss == pytest.approx(p.mse + p.vb)
        assert p.images_per_s > 0


def _resume_point(checkpoint: Path) -> int:
    """The step a checkpoint holds: the first step a resumed run reports, minus 1."""
    seen: List[int] = []

    def stop(p: glide.TrainProgress) -> bool:
        seen.append(p.step)
        return False

    with pytest.raises(glide.Cancelled):
        glide.train(TINY, checkpoint, steps=10**6, **{**FAST, "progress": stop})
    return seen[0] - 1


def test_keyboard_interrupt_in_the_callable_saves_and_propagates(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    seen: List[int] = []

    def ctrl_c_at_2(p: glide.TrainProgress) -> None:
        seen.append(p.step)
        if p.step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        glide.train(TINY, checkpoint, steps=5, **{**FAST, "progress": ctrl_c_at_2})
    assert not isinstance(info.value, glide.Cancelled)
    assert seen == [1, 2]
    assert _resume_point(checkpoint) == 2


def test_an_exception_in_the_callable_saves_and_propagates(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    def fail_at_3(p: glide.TrainProgress) -> None:
        if p.step == 3:
            raise Boom("from the callable")

    checkpoint = tmp_path / "run.ckpt.safetensors"
    with pytest.raises(Boom, match="from the callable"):
        glide.train(TINY, checkpoint, steps=5, **{**FAST, "progress": fail_at_3})
    assert _resume_point(checkpoint) == 3


def test_returning_false_stops_with_cancelled(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt.safetensors"
    with pytest.raises(glide.Cancelled, match="after step 1") as info:
        glide.train(TINY, checkpoint, steps=5, **{**FAST, "progress": lambda p: False})
    assert isinstance(info.value, KeyboardInterrupt)
    assert info.value.status == "cancelled"
    assert _resume_point(checkpoint) == 1


def test_a_result_that_is_no_answer_stops_with_type_error(tmp_path: Path) -> None:
    # A step count returned by accident would otherwise have read as "stop" at 0 or "go on".
    checkpoint = tmp_path / "run.ckpt.safetensors"
    with pytest.raises(TypeError, match=r"the progress callable returned int \(1\)"):
        glide.train(TINY, checkpoint, steps=5, **{**FAST, "progress": lambda p: p.step})
    assert _resume_point(checkpoint) == 1


def test_ctrl_c_saves_the_checkpoint_and_raises(tmp_path: Path) -> None:
    """A real SIGINT, with no progress callable: the binding polls for signals each step."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")
    checkpoint = tmp_path / "run.ckpt.safetensors"
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            glide.train(TINY, checkpoint, steps=100_000, **FAST)
    finally:
        timer.cancel()
    assert not isinstance(info.value, glide.Cancelled)
    assert time.monotonic() - start < 30
    assert 1 <= _resume_point(checkpoint) < 100_000


@pytest.mark.skipif("GLIDE_TEST_NO_LOCKS" not in os.environ,
                    reason="GLIDE_TEST_NO_LOCKS (the build's libglide_test_no_locks.so) not set")
def test_a_file_system_without_locks_is_warned_of(tmp_path: Path) -> None:
    """flock answers ENOLCK in the preloaded library, as on some network and FUSE file systems:
    training goes on, with a RuntimeWarning at the caller's line; under -W error it stops first."""
    checkpoint = tmp_path / "run.ckpt.safetensors"
    train = ("import json, sys, glide\n"
             "options = json.loads(sys.argv[1])\n"
             "train = lambda: glide.train(options.pop('config'), sys.argv[2], steps=1, **options)\n")
    record = ("import warnings\n"
              "with warnings.catch_warnings(record=True) as caught:\n"
              "    warnings.simplefilter('always')\n"
              "    train()\n"
              "print(json.dumps([[w.category.__name__, str(w.message), w.filename]\n"
              "                  for w in caught]))\n")
    env = dict(os.environ, LD_PRELOAD=os.environ["GLIDE_TEST_NO_LOCKS"])
    options = json.dumps(dict(FAST, config=TINY))
    done = subprocess.run([sys.executable, "-c", train + record, options, str(checkpoint)],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    caught = json.loads(done.stdout)
    assert [c[0] for c in caught] == ["RuntimeWarning"]
    assert f"the file system of {str(checkpoint)!r} keeps no locks" in caught[0][1]
    assert caught[0][2] == "<string>"  # the caller's line, not glide's
    assert _resume_point(checkpoint) == 1

    again = tmp_path / "again.ckpt.safetensors"
    failed = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", train + "train()",
                             options, str(again)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert failed.returncode == 1, failed.stderr
    assert "RuntimeWarning: the file system of" in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt.safetensors"]


def test_the_gil_is_released_while_training(tmp_path: Path) -> None:
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
        glide.train(TINY, tmp_path / "run.ckpt.safetensors", steps=10, **FAST)
        t1 = time.perf_counter()
    finally:
        stop.set()
        worker.join()
    middle = [s for s in stamps if t0 + 0.25 * (t1 - t0) < s < t0 + 0.75 * (t1 - t0)]
    assert len(middle) >= 5, f"{len(middle)} worker iterations in the middle half of the call"


def test_the_bar_reports_loss_and_speed(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    glide.train(TINY, tmp_path / "run.ckpt.safetensors", steps=3,
                **{**FAST, "progress": True})
    err = capsys.readouterr().err
    assert "glide: train: 3 steps in" in err and "loss " in err and "img/s" in err


def test_keyword_defaults_are_the_cpp_defaults() -> None:
    cpp = glide._glide._TrainOptions()
    sig = inspect.signature(glide.train).parameters
    names = [n for n in dir(cpp) if not n.startswith("_")]
    assert len(names) == 18
    for name in names:
        assert sig[name].default == getattr(cpp, name), name
    # dataset and dataset_seed default to None (the shapes dataset, seed 0), so that giving one
    # with images= can be told apart and refused.
    assert (sig["dataset"].default, sig["export_dtype"].default, sig["threads"].default) == (
        None, "float32", 0)
    assert "Args:" in (inspect.getdoc(glide.train) or "")
