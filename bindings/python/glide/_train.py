"""glide.train: `glide train` from Python (glide::training::Trainer under the GIL-free binding)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _checks, _glide, _progress

PathLike = Union[str, "os.PathLike[str]"]
#: A model to train: a preset name ("base", "upsampler", "base-inpaint", "upsampler-inpaint"), a
#: dict of the reference's option names (as models/recipes/*.json), its JSON text, or the path of
#: such a JSON file.
TrainConfig = Union[str, Dict[str, Any], "os.PathLike[str]"]

_PRESETS = ("base", "upsampler", "upsample", "base-inpaint", "upsampler-inpaint",
            "upsample-inpaint")

# glide::training::TrainOptions' defaults, read from the C++ struct.
_DEFAULTS = _glide._TrainOptions()
_OPTION_TYPES = {
    "steps": "an int",
    "batch_size": "an int",
    "warmup_steps": "an int",
    "upsample_factor": "an int",
    "crop_size": "an int",
    "checkpoint_every": "an int",
    "lr_schedule": "a str",
    "precision": "a str",
    "freeze_text_encoder": "a bool",
}


@dataclasses.dataclass(frozen=True)
class TrainProgress:
    """One finished training step, as glide.train's progress callable receives it."""

    step: int  #: steps done, 1..total (a resumed run starts after the checkpoint's step)
    total: int  #: the run's ``steps``
    loss: float  #: the step's batch mean loss (mse + vb)
    mse: float  #: its noise-prediction term
    vb: float  #: its variational-bound term
    learning_rate: float  #: the learning rate the step used
    images_per_s: float  #: training images per second in this step
    checkpoint_saved: bool  #: a checkpoint was written after this step


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What glide.train returns once the run is complete."""

    steps: int  #: steps done in total, across resumes (the run's ``steps``)
    resumed: bool  #: the run started from an existing checkpoint
    #: the mean loss of every step, 1..steps (kept in checkpoints)
    loss_history: List[float] = dataclasses.field(repr=False)
    checkpoint: str  #: the training checkpoint's path
    export: Optional[str]  #: the exported model's path, if any
    loss_curve: Optional[str]  #: the loss curve PNG's path, if any


#: What train's ``progress=`` accepts: True (a bar with the loss and images/s), False/None
#: (silence), or ``callable(TrainProgress) -> bool | None``; returning False stops the run, and
#: a result other than None, True or False is a TypeError (which stops it too).
TrainProgressArg = Union[bool, None, Callable[[TrainProgress], Optional[bool]]]


def _model_config(config: TrainConfig) -> Tuple[Optional[str], Optional[bytes]]:
    """(preset name or JSON text, JSON file path): exactly one is set."""
    if isinstance(config, dict):
        return json.dumps(config), None
    if isinstance(config, str):
        if config.lstrip().startswith("{") or config in _PRESETS:
            return config, None
        if not config:
            raise _checks.invalid("model_config is empty; give a preset name, a dict of model "
                                  "options, their JSON text or a JSON file's path")
        return None, _checks.os_path(config, "model_config")
    if isinstance(config, os.PathLike):
        return None, _checks.os_path(config, "model_config")
    raise _checks.wrong_type("model_config must be a preset name, a dict, JSON text or a path, "
                             f"not {type(config).__name__}")


def _options(values: Dict[str, Any]) -> Any:
    """A _glide._TrainOptions from glide.train's keywords."""
    options = _glide._TrainOptions()
    for name, value in values.items():
        expected = _OPTION_TYPES.get(name, "a number")
        value = _checks.seed(value, name) if name == "seed" else _checks.typed_value(
            value, name, expected)
        try:
            setattr(options, name, value)
        except TypeError:
            raise _checks.wrong_type(f"{name} must be {expected}, not {type(value).__name__} "
                                     f"({_checks.short_repr(value)})") from None
    return options


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02}"


class _Reporter:
    """The binding's per-step callable: turns its dict into a TrainProgress for the user's
    callable, or draws the bar (loss, images/s, time left)."""

    def __init__(self, progress: TrainProgressArg) -> None:
        self.bar: Any = None
        self.callable: Optional[Callable[[TrainProgress], Optional[bool]]] = None
        if progress is True:
            self.bar = _progress.default_bar(every=50)
        elif progress is False or progress is None:
            pass
        elif callable(progress):
            self.callable = progress
        else:
            raise _checks.wrong_type("progress must be True, False, None or a "
                                     "callable(glide.TrainProgress) -> bool | None; got "
                                     f"{type(progress).__name__}")
        self.last: Optional[TrainProgress] = None
        self._first: Optional[Tuple[int, float]] = None  # (first step seen, its end)

    def __call__(self, values: Dict[str, Any]) -> Optional[bool]:
        p = TrainProgress(**values)
        self.last = p
        if self.callable is not None:
            return self.callable(p)
        now = time.monotonic()
        if self._first is None:
            # The first step's time is not known; the estimate counts from its end.
            self._first = (p.step, now)
        first_step, started = self._first
        left = ""
        if first_step < p.step < p.total:
            per_step = (now - started) / (p.step - first_step)
            left = f"  left {_duration(per_step * (p.total - p.step))}"
        self.bar("train", p.step, p.total,
                 postfix=f"loss {p.loss:.4f}  {p.images_per_s:.1f} img/s{left}"
                         + ("  [checkpoint]" if p.checkpoint_saved else ""))
        return None

    @property
    def active(self) -> bool:
        return self.bar is not None or self.callable is not None

    def close(self, stopped_checkpoint: Optional[str]) -> None:
        """Ends the bar; after Ctrl-C also says where the run can be resumed from."""
        if self.bar is None:
            return
        self.bar.close()
        if stopped_checkpoint is not None and self.last is not None:
            sys.stderr.write(f"glide: training stopped: the checkpoint {stopped_checkpoint} holds "
                             f"step {self.last.step}; call glide.train again to resume\n")
            sys.stderr.flush()


def train(
    model_config: TrainConfig,
    checkpoint: PathLike,
    *,
    dataset: Optional[str] = None,
    images: Optional[PathLike] = None,
    dataset_seed: Optional[int] = None,
    steps: int = _DEFAULTS.steps,
    batch_size: int = _DEFAULTS.batch_size,
    learning_rate: float = _DEFAULTS.learning_rate,
    warmup_steps: int = _DEFAULTS.warmup_steps,
    lr_schedule: str = _DEFAULTS.lr_schedule,
    min_lr_ratio: float = _DEFAULTS.min_lr_ratio,
    weight_decay: float = _DEFAULTS.weight_decay,
    ema_decay: float = _DEFAULTS.ema_decay,
    grad_clip: float = _DEFAULTS.grad_clip,
    caption_dropout: float = _DEFAULTS.caption_dropout,
    x0_weight_cap: float = _DEFAULTS.x0_weight_cap,
    high_noise_fraction: float = _DEFAULTS.high_noise_fraction,
    precision: str = _DEFAULTS.precision,
    freeze_text_encoder: bool = _DEFAULTS.freeze_text_encoder,
    upsample_factor: int = _DEFAULTS.upsample_factor,
    crop_size: int = _DEFAULTS.crop_size,
    seed: int = _DEFAULTS.seed,
    checkpoint_every: int = _DEFAULTS.checkpoint_every,
    init_from: Optional[PathLike] = None,
    export: Optional[PathLike] = None,
    export_dtype: str = "float32",
    loss_curve: Optional[PathLike] = None,
    overwrite: bool = False,
    threads: int = 0,
    progress: TrainProgressArg = True,
) -> TrainResult:
    """Trains or fine-tunes a GLIDE model (base or upsampler) with GLIDE's objective, as
    ``glide train`` does (docs/training.md).

    The checkpoint is resumed when it exists, and a resumed run ends with the same weights as
    an uninterrupted one. Ctrl-C (or an exception raised by the progress callable) finishes the
    current step, saves the checkpoint and raises; call train() again with the same arguments
    to go on. Training runs without the GIL, one run at a time per process.

    Args:
        model_config: the model's options: a dict of the reference's names (as
            models/recipes/shapes-base.json), its JSON text, the path of such a JSON file or of
            a glide .safetensors model file (whose recorded model and diffusion configs are
            used), or a preset ("base", "upsampler", ...). Its ``diffusion_steps``,
            ``noise_schedule`` and ``prediction`` keys choose the diffusion, as the recipes'
            do; those it leaves out are the official ones for the model kind (1000 steps;
            cosine schedule for base models, linear for upsamplers; epsilon prediction).
        checkpoint: the training checkpoint (.safetensors): resumed from when it exists (its
            recipe must match: model, learning rate, batch size, seed, ...; ``steps`` only with
            the cosine schedule), written every ``checkpoint_every`` steps, at the end and when
            stopped. One that is damaged, of another recipe or not a training checkpoint raises
            and is left untouched.
        dataset: "shapes" (None: the default), the synthetic dataset of colored shapes (drawn
            with ``dataset_seed``); giving it or ``dataset_seed`` with ``images`` raises
            ValueError, as the command line refuses --dataset with --images.
        images: a folder of .png/.jpg/.jpeg images, each with its caption in a same-named .txt
            file, resized and center-cropped to the model's size.
        dataset_seed: seed of the shapes dataset (None: 0).
        steps: optimizer steps in the whole run (across resumes).
        batch_size: images per step.
        learning_rate: peak AdamW learning rate.
        warmup_steps: linear learning-rate warm-up from 0.
        lr_schedule: "cosine" (decay to ``min_lr_ratio`` times the peak by ``steps``) or
            "constant".
        min_lr_ratio: the cosine schedule's final learning rate / peak.
        weight_decay: AdamW's decoupled weight decay.
        ema_decay: decay of the weights' moving average (what is exported).
        grad_clip: max global gradient norm; 0 disables clipping.
        caption_dropout: chance a caption is replaced by the empty prompt (what classifier-free
            guidance needs).
        x0_weight_cap: weight the noise MSE by min(max(1, 1/SNR(t)), cap); 1 is GLIDE's loss.
        high_noise_fraction: share of each batch trained on the noisiest tenth of the steps;
            0 is GLIDE's uniform t.
        precision: "float32", or "bfloat16": mixed precision under the CPU's autocast
            (convolutions and matrix products in bfloat16, weights and loss in float32; fast on
            CPUs with avx512_bf16 or AMX).
        freeze_text_encoder: keep the text transformer and token embeddings fixed.
        upsample_factor: upsamplers: the low-resolution input is the image average-pooled by
            this factor.
        crop_size: upsamplers: train on random crops of this size (0: whole images).
        seed: seed of the initial weights and of every step's randomness.
        checkpoint_every: steps between checkpoints.
        init_from: fine-tune: start from this model file's weights (.pt or .safetensors, e.g.
            an official checkpoint; its shapes must match ``model_config``).
        export: when the run is complete, write the EMA weights here as a model
            (.safetensors naming its config, which glide.Pipeline loads without one).
        export_dtype: "float32", "float16" or "bfloat16", the exported weights' dtype.
        loss_curve: when the run is complete, plot the loss per step to this PNG.
        overwrite: replace existing ``export`` and ``loss_curve`` files (else ValueError,
            before training starts).
        threads: LibTorch's CPU threads (process-wide); 0: one per core, or
            $GLIDE_NUM_THREADS.
        progress: True: a bar on stderr with the loss, images/s and time left (a line every 50
            steps when stderr is not a terminal, tqdm in a notebook); False: silence; or
            callable(glide.TrainProgress) called after every step, which may return False to
            stop the run (the checkpoint is saved, then glide.Cancelled is raised).

    Returns:
        glide.TrainResult: steps done, whether the run resumed, the loss of every step and the
        files written.

    Raises:
        ValueError: an option is out of range (the message names it and its value), the
            checkpoint holds another recipe or model, an output file exists without
            ``overwrite``.
        TypeError: an option of the wrong type.
        FileNotFoundError: the config file, ``init_from`` or the image folder does not exist.
        glide.GlideError: a damaged checkpoint or model file, a diverged loss, an I/O error.
        KeyboardInterrupt: Ctrl-C, after the checkpoint was saved; glide.Cancelled (a
            KeyboardInterrupt) when the progress callable returned False. An exception raised
            by the callable propagates, also after the checkpoint was saved.
    """
    values = dict(locals())
    config, config_file = _model_config(model_config)
    checkpoint_bytes = _checks.os_path(checkpoint, "checkpoint")
    checkpoint_path = os.fspath(checkpoint)
    if not checkpoint_path:
        raise _checks.invalid("checkpoint is empty; training always writes a checkpoint")
    options = _options({name: values[name] for name in (
        "steps", "batch_size", "learning_rate", "warmup_steps", "lr_schedule", "min_lr_ratio",
        "weight_decay", "ema_decay", "grad_clip", "caption_dropout", "x0_weight_cap",
        "high_noise_fraction", "precision", "freeze_text_encoder", "upsample_factor", "crop_size",
        "seed", "checkpoint_every")})
    if images is not None and (dataset is not None or dataset_seed is not None):
        given = "dataset" if dataset is not None else "dataset_seed"
        raise _checks.invalid(f"{given} is for the synthetic shapes dataset, and images= trains on "
                              "its folder instead; give one of them (as the command line's "
                              "--dataset and --images)")
    dataset = "shapes" if dataset is None else dataset
    dataset_seed = _checks.seed(0 if dataset_seed is None else dataset_seed, "dataset_seed")

    def path(value: Optional[PathLike]) -> Optional[str]:
        return os.fspath(value) if value is not None else None

    def os_path(value: Optional[PathLike], argument: str) -> Optional[bytes]:
        return _checks.os_path(value, argument) if value is not None else None

    reporter = _Reporter(progress)
    stopped = False
    try:
        result = _glide._train(options, config, config_file, checkpoint_bytes, dataset,
                               os_path(images, "images"), dataset_seed,
                               os_path(init_from, "init_from"), os_path(export, "export"),
                               export_dtype, os_path(loss_curve, "loss_curve"), overwrite, threads,
                               reporter if reporter.active else None)
    except KeyboardInterrupt:
        stopped = True
        raise
    finally:
        reporter.close(checkpoint_path if stopped else None)
    return TrainResult(steps=result["step"], resumed=result["resumed"],
                       loss_history=list(result["loss_history"]), checkpoint=checkpoint_path,
                       export=path(export), loss_curve=path(loss_curve))
