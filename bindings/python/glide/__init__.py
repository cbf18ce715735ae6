"""glide: OpenAI's GLIDE text-guided diffusion models, run by a C++/LibTorch library.

Quick start::

    import glide
    images = glide.generate("a red circle on a blue background", seed=1)  # uint8 (1, H, W, 3)

    pipe = glide.Pipeline("base.pt", "upsample.pt")   # your own checkpoints
    images, small = pipe.generate(["a corgi", "a cat"], batch_size=2, return_base=True)

    glide.train("models/recipes/shapes-base.json", "run.ckpt.safetensors", steps=1800,
                export="base.safetensors")                # training, as `glide train`

Images are numpy uint8 arrays (B, H, W, 3). Errors: ValueError (a bad argument, naming it),
FileNotFoundError (a missing file or model), glide.GlideError (anything else glide reports),
KeyboardInterrupt (Ctrl-C during sampling or training) and glide.Cancelled (a progress callable
returned False). See docs/python.md and docs/training.md.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _checks, _fields, _glide
from ._glide import (
    Cancelled,
    GenerationParams,
    GlideError,
    StageParams,
    default_model_paths,
    image_stats,
    num_threads,
    sampler_names,
)
from ._pipeline import Config, PathLike, Pipeline, Prompt, split_config
from ._progress import ProgressArg, StepPreview, TextBar
from ._record import read_parameters
from ._train import TrainConfig, TrainProgress, TrainProgressArg, TrainResult, train

# Before the interpreter finalizes, calls still running in daemon threads return or wait for the
# process to end: taking the GIL back later would abort it (bindings/python/src/gil.hpp).
atexit.register(_glide._drain_at_exit)
_fields.install()

__version__: str = _glide.__version__

__all__ = [
    "Cancelled",
    "Config",
    "GenerationParams",
    "GlideError",
    "Pipeline",
    "ProgressArg",
    "StageParams",
    "StepPreview",
    "TextBar",
    "TrainConfig",
    "TrainProgress",
    "TrainProgressArg",
    "TrainResult",
    "convert_checkpoint",
    "default_model_paths",
    "default_pipeline",
    "detokenize",
    "encode_png",
    "generate",
    "image_stats",
    "load_png",
    "num_threads",
    "read_parameters",
    "sampler_names",
    "save_png",
    "set_num_threads",
    "tokenize",
    "train",
    "__version__",
]


def __dir__() -> List[str]:
    """The public names alone (PEP 562): what completion in a notebook offers, without the
    modules and typing helpers this file imports."""
    return sorted(__all__)


_default: Optional[Pipeline] = None
_default_lock = threading.Lock()


def tokenize(text: Union[str, bytes]) -> List[int]:
    """GLIDE's GPT-2 token ids of ``text`` (lower-cased first, as GLIDE does): a str, or bytes
    holding UTF-8 (ValueError naming the first byte that is not).

    >>> glide.tokenize("an oil painting of a corgi")
    [272, 3056, 12036, 286, 257, 1162, 12397]
    """
    if not isinstance(text, bytes):  # bytes go through: C++ names the first bad UTF-8 byte
        _checks.utf8_text(text, "text")
    return _glide.tokenize(text)  # type: ignore[no-any-return]


def set_num_threads(threads: int) -> None:
    """LibTorch's CPU threads for this process: 1 to 1024, or 0 for one per core (or
    $GLIDE_NUM_THREADS)."""
    _glide.set_num_threads(_checks.integer(threads, "threads", -2**31, 2**31 - 1))


def detokenize(ids: List[int]) -> str:
    """The text of GPT-2 token ids (ValueError for an id outside the vocabulary)."""
    return _glide.detokenize(_checks.token_ids(ids))  # type: ignore[no-any-return]


def default_pipeline() -> Pipeline:
    """The Pipeline of the default models, created on first use and then reused (a later change
    of $GLIDE_MODEL_DIR is not seen). FileNotFoundError when the default models are absent."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Pipeline()
        return _default


def generate(prompt: Prompt, **kwargs: Any) -> Any:
    """Pipeline.generate() on the default models (see default_pipeline()).

    >>> images = glide.generate("a red square", seed=3, base_respacing=50)
    """
    return default_pipeline().generate(prompt, **kwargs)


def convert_checkpoint(
    source: PathLike,
    destination: PathLike,
    config: Config = None,
    *,
    overwrite: bool = False,
) -> None:
    """Writes a checkpoint (.pt or .safetensors) as .safetensors that records its model config
    and diffusion in metadata, so Pipeline() loads it without ``*_config`` (and so it can serve
    as a default model, named shapes-base.safetensors / shapes-upsampler.safetensors in
    $GLIDE_MODEL_DIR).

    Args:
        source: the checkpoint to read.
        destination: a path ending in .safetensors.
        config: the model's config (see Pipeline); None: the source's metadata, else the
            official preset its keys fit. The model is built and loaded first, so a config that
            does not fit fails before anything is written.
        overwrite: replace an existing destination (else ValueError).
    """
    _checks.typed_value(overwrite, "overwrite", "a bool")
    model, diffusion = split_config(config, "config")
    _glide._convert_checkpoint(_checks.os_path(source, "source"),
                               _checks.os_path(destination, "destination"), model, diffusion,
                               overwrite)


def encode_png(image: Any, text: Optional[Dict[str, str]] = None) -> bytes:
    """The PNG file's bytes of a uint8 (H, W, 3) image (or a batch of one), with optional text
    chunks; for example IPython.display.Image(data=glide.encode_png(images[0]))."""
    return _glide.encode_png(image, _checks.text_chunks(text))  # type: ignore[no-any-return]


def save_png(path: PathLike, image: Any, text: Optional[Dict[str, str]] = None, *,
             overwrite: bool = False) -> None:
    """Writes a uint8 (H, W, 3) image as an RGB PNG to a name ending in .png (any case), as the
    command line does: a PNG named .jpg would mislead every program that trusts the name. An
    existing file is kept (ValueError) unless ``overwrite``."""
    _checks.typed_value(overwrite, "overwrite", "a bool")
    name = _checks.png_path(path, "path")
    _glide.save_png(name, image, _checks.text_chunks(text), overwrite)


def load_png(path: PathLike) -> Tuple[Any, Dict[str, str]]:
    """(pixels, text): a PNG's pixels as uint8 (H, W, 3) RGB and its text chunks."""
    return _glide.load_png(_checks.os_path(path, "path"))  # type: ignore[no-any-return]
