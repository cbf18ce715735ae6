"""glide.Pipeline: GLIDE's text → image → upsampled image pipeline, upsampling and inpainting."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import math
import os
import re
import threading
import warnings
from typing import (Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, TypeVar,
                    Union)

import numpy as np

from . import _checks, _glide, _progress
from ._progress import ProgressArg

PathLike = Union[str, "os.PathLike[str]"]
#: A model config: a preset name ("base", "upsampler", "base-inpaint", "upsampler-inpaint"), a
#: dict of the reference's option names (as in model_and_diffusion_defaults()), or its JSON text.
#: diffusion_steps / noise_schedule / prediction in it set the model's diffusion; those it leaves
#: out keep the checkpoint's. One naming only those ({"prediction": "v"}) keeps the checkpoint's
#: model config; otherwise the dict is the whole model config, the full-size preset's values
#: filling what it leaves out, as the reference's option dicts do. The sampling steps are chosen
#: per call (base_respacing, ...): a timestep_respacing other than "" is refused.
Config = Union[str, Dict[str, Any], None]
Prompt = Union[str, Sequence[str]]

_DIFFUSION_KEYS = ("diffusion_steps", "noise_schedule", "timestep_respacing", "prediction")
_STAGE_FIELDS = (
    "sampler",
    "respacing",
    "eta",
    "guided",
    "guidance_scale",
    "guidance_rescale",
    "thresholding",
    "dynamic_percentile",
    "temperature",
)
_TYPES = {
    "sampler": "a str",
    "respacing": "a str or int",
    "eta": "a float or None",
    "guided": "a bool",
    "thresholding": "a str",
    "batch_size": "an int",
    "negative_prompt": "a str",
    "upsample": "a bool",
    "device": "a str",
    "dtype": "a str",
}


def _refuse_repeated_keys(argument: str):
    """A json.loads hook: a key given twice is refused, as the C++ reader does (Python keeps
    the last silently; other readers keep the first)."""
    def pairs_to_dict(pairs):
        result = {}
        for key, value in pairs:
            if key in result:
                raise _checks.invalid(
                    f'{argument} gives the key "{key}" twice in one object; keep one')
            result[key] = value
        return result
    return pairs_to_dict


def split_config(config: Config, argument: str) -> Tuple[Optional[str], Optional[str]]:
    """(model config, diffusion config) as the C++ side takes them: a preset name or JSON text,
    and JSON text of the diffusion options when the config names any."""
    if config is None:
        return None, None
    if isinstance(config, str):
        # Text read from a file may start with a byte order mark, which json refuses.
        text = config.lstrip("\ufeff")
        if not text.lstrip().startswith("{"):
            return config, None  # a preset name; the C++ side checks it
        try:
            config = json.loads(text, object_pairs_hook=_refuse_repeated_keys(argument))
        except json.JSONDecodeError as e:
            raise _checks.invalid(f"{argument} is not valid JSON: {e}") from None
        except RecursionError:
            raise _checks.invalid(
                f"{argument} nests too deeply; a config is one flat object") from None
    if not isinstance(config, dict):
        raise _checks.wrong_type(f"{argument} must be a preset name, a dict or JSON text, "
                                 f"not {type(config).__name__}")
    diffusion = {k: config[k] for k in _DIFFUSION_KEYS if k in config}
    for key, value in config.items():  # json.dumps would write NaN, which JSON does not have
        if isinstance(value, float) and not math.isfinite(value):
            raise _checks.invalid(f"{argument}: {key!r} is {value!r}; it must be a finite number")
    try:
        diffusion_json = json.dumps(diffusion) if diffusion else None
        model_json = json.dumps(config, allow_nan=False)
        if not _glide._names_model_options(model_json):
            return None, diffusion_json  # no model option: the checkpoint's config applies
        return model_json, diffusion_json
    except RecursionError:
        raise _checks.invalid(
            f"{argument} nests too deeply; a config is one flat object") from None
    except ValueError as e:
        if hasattr(e, "status"):  # glide's own, from the C++ side
            raise
        raise _checks.invalid(f"{argument} holds a NaN or infinite number (in a list?); every "
                              "number must be finite") from None


def _prompts(prompt: Prompt, argument: str = "prompt") -> List[str]:
    if isinstance(prompt, str):
        return [_checks.utf8_text(prompt, argument)]
    if isinstance(prompt, (bytes, bytearray)) or not isinstance(prompt, Sequence):
        raise _checks.wrong_type(
            f"{argument} must be a str or a list of str, not {type(prompt).__name__}")
    prompts = list(prompt)
    if not prompts:
        raise _checks.invalid(f"{argument} is an empty list; give at least one prompt")
    for i, p in enumerate(prompts):
        _checks.utf8_text(p, f"{argument}[{i}]")
    return prompts


def _python_names(message: str) -> str:
    """The C++ field names in a validation message as this module's keywords:
    base.guidance_scale → base_guidance_scale, prompts[1] → prompt[1]."""
    message = re.sub(r"\b(base|upsampler)\.(\w+)", r"\1_\2", message)
    return re.sub(r"^prompts\b", "prompt", message)


def _set(target: Any, field: str, keyword: str, value: Any) -> None:
    if field == "respacing" and isinstance(value, (int, np.integer)) and not _checks.is_bool(value):
        value = str(int(value))  # respacing=50 (or numpy.int64(50)) means "50"
    expected = _TYPES.get(field, "a number")
    value = _checks.typed_value(value, keyword, expected)
    try:
        setattr(target, field, value)
    except TypeError:
        raise _checks.wrong_type(f"{keyword} must be {expected}, not {type(value).__name__} "
                                 f"({_checks.short_repr(value)})") from None


def _preview_mode(value: Any) -> Union[bool, str]:
    """preview= as False, True or "tensors" (numpy.bool_ read as the bool it is)."""
    if isinstance(value, str) and value == "tensors":
        return value
    if _checks.is_bool(value):
        return bool(value)
    if isinstance(value, str):
        raise _checks.invalid(f"preview is {value!r}; expected False, True or \"tensors\"")
    raise _checks.wrong_type(f"preview must be False, True or \"tensors\", not "
                             f"{type(value).__name__} ({_checks.short_repr(value)})")


def _params(prompts: List[str], options: Dict[str, Any], device: str, dtype: str) -> Any:
    """A _glide.GenerationParams from keyword arguments named like generate()'s."""
    p = _glide.GenerationParams()
    p.prompts = prompts
    for keyword, value in options.items():
        stage, _, field = keyword.partition("_")
        if stage in ("base", "upsampler") and field in _STAGE_FIELDS:
            _set(getattr(p, stage), field, keyword, value)
        elif keyword == "seed":
            p.seed = _checks.seed(value)
        elif keyword == "batch_size":
            # None: one image per prompt of a list (one for a str).
            most = _glide.GenerationParams.MAX_BATCH_SIZE
            if value is None and len(prompts) > most:
                raise _checks.invalid(f"prompt has {len(prompts)} entries; a call makes at most "
                                      f"{most} images (split the list)")
            p.batch_size = len(prompts) if value is None else _checks.integer(
                value, keyword, 1, most)
        elif keyword == "preview":
            p.preview = _preview_mode(value) is not False
        elif keyword in ("device", "dtype"):
            _set(p, keyword, keyword, value if value is not None else
                 (device if keyword == "device" else dtype))
        else:
            _set(p, keyword, keyword, value)
    return p


_Method = TypeVar("_Method", bound=Callable[..., Any])
# Names a researcher reaches for that are spelled otherwise here (the command line's --steps).
_ALIASES = {"steps": "respacing", "scale": "guidance_scale", "cfg_scale": "guidance_scale",
            "guidance": "guidance_scale", "num_steps": "respacing", "n": "batch_size",
            "negative": "negative_prompt", "threshold": "thresholding"}


def _suggests_keywords(method: _Method) -> _Method:
    """``method`` refusing an unknown keyword with the ones meant: guidance_scale=5 names
    base_guidance_scale (the command line's --guidance-scale), typos their close matches.
    Python's own message names only the keyword."""
    names = [n for n in inspect.signature(method).parameters if n != "self"]

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for keyword in kwargs:
            if keyword in names:
                continue
            field = _ALIASES.get(keyword, keyword)
            meant = [n for n in (field, f"base_{field}", f"upsampler_{field}") if n in names]
            if not meant:  # a typo: the names closest in spelling
                meant = difflib.get_close_matches(keyword, names, n=3, cutoff=0.75)
            hint = f"; did you mean {' or '.join(meant)}?" if meant else ""
            raise _checks.wrong_type(f"{method.__name__}() got an unexpected keyword argument "
                                     f"{keyword!r}{hint}")
        return method(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _warn_pointless(options: Dict[str, Any], method: Any, params: Any,
                    progress: ProgressArg) -> None:
    """Warns about keywords set (away from their defaults) where the other keywords make them
    pointless, which the library ignores rather than refuses: a guidance setting of an unguided
    stage (GLIDE's upsampler is unguided unless upsampler_guided=True), a dynamic percentile
    without dynamic thresholding, an upsampler setting with upsample=False, a negative prompt no
    guided stage reads, a preview without a progress callable to receive it. The command line
    notes the same. The warnings point at the caller's line (stacklevel 4: past this function,
    the method and _suggests_keywords' wrapper)."""
    if _preview_mode(options.get("preview", False)) is not False and not callable(progress):
        warnings.warn(f"preview={options['preview']!r} has no effect: only a progress callable "
                      f"receives the previews (progress is {progress!r})", UserWarning,
                      stacklevel=4)
    try:
        params.validate()
    except ValueError:
        return  # the call itself refuses it, naming the keyword: no warning first
    defaults = {name: p.default for name, p in inspect.signature(method).parameters.items()}
    changed = [k for k, v in options.items() if k in defaults and v != defaults[k]]
    # The library's field names: "base.guidance_scale" for the keyword base_guidance_scale.
    fields = [k.replace("_", ".", 1) if k.startswith(("base_", "upsampler_")) else k
              for k in changed]
    base_runs = "base_guided" in options
    upsampler_runs = "upsampler_guided" in options and options.get("upsample", True)
    notes = []
    for field, reason in _glide.ineffective_settings(params, fields, base_runs, upsampler_runs):
        stage = field.split(".")[0]
        keyword = field.replace(".", "_", 1)
        if reason == "stage_not_run":
            notes.append(f"{keyword} has no effect with upsample=False")
        elif reason == "stage_unguided":
            notes.append(f"{keyword} has no effect: the {stage} stage is unguided (pass "
                         f"{stage}_guided=True)")
        elif reason == "thresholding_not_dynamic":
            notes.append(f"{keyword} has no effect: {stage}_thresholding is "
                         f"{options[f'{stage}_thresholding']!r}, not 'dynamic'")
        else:
            notes.append(f"{keyword} has no effect: no stage is guided, and only guidance reads "
                         "it")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=4)


def _results(base: Any, upsampled: Any, return_base: bool) -> Any:
    """What generate() and inpaint() return: the final images, and with return_base the base
    stage's too (a copy when the base stage was the last, so that the two are not one array)."""
    images = upsampled if upsampled is not None else base
    if not return_base:
        return images
    return images, (base.copy() if base is images else base)


def _warn_if_all_kept(mask: Any) -> None:
    """Warns when a keep-mask keeps every pixel: the call would return the input unchanged.
    Masks of other kinds are left to the C++ side, which names what it expected."""
    try:
        keep = np.asarray(mask)
    except Exception:  # refused, with its reason, by the call itself
        return
    if keep.size and keep.dtype.kind in "bui" and bool(np.all(keep != 0)):
        warnings.warn("mask keeps every pixel (it has no False / 0), so nothing is filled in; "
                      "mark what should change with False / 0", UserWarning, stacklevel=4)


class _Saving(NamedTuple):
    """What one call's save= writes, settled before the call's work."""
    paths: List[bytes]
    roles: Tuple[str, ...]  # the models the call runs: "model", "upsampler_model"
    files: List[Tuple[str, bytes, str]]  # their (role, path, SHA-256)
    command: str  # "generate", "upsample" or "inpaint"
    extra: str  # more keys of the record, as JSON text; "" for none


def _roles(upsample: bool) -> Tuple[str, ...]:
    """The models generate() and inpaint() run."""
    return ("model", "upsampler_model") if upsample else ("model",)


def _file_identity(path: bytes) -> Optional[Tuple[int, int, int, int, int]]:
    """What tells a file apart from one put in its place or rewritten since (the status change
    time moves with any write, even one that restores the modification time); None when gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _image_count(images: Any) -> int:
    """How many images an upsample() call's input holds: (B, H, W, 3) holds B. Input the call
    will refuse counts as one."""
    try:
        shape = np.shape(images)
    except Exception:
        return 1
    return int(shape[0]) if len(shape) == 4 and shape[0] > 0 else 1


class Pipeline:
    """GLIDE's models and the calls that sample them.

    Loads a base model (text → small image) and an upsampler (small image → ×4) from
    checkpoints (.pt as torch.save writes them, or .safetensors). With neither named, it loads
    glide's default model pair (glide.default_model_paths(): $GLIDE_MODEL_DIR when set, else the
    installed data directory or the source tree's models/).

    Args:
        base: the base (or inpainting base) model's checkpoint; None for none.
        upsampler: the upsampler (or inpainting upsampler) checkpoint; None for none.
        base_config, upsampler_config: each model's shape: a preset ("base", "upsampler",
            "base-inpaint", "upsampler-inpaint"), a dict of the reference's option names, or its
            JSON text. None: the checkpoint's metadata, else the official preset its keys fit.
        device: "cpu", "cuda" or "cuda:N", where the models run.
        dtype: "float32", "bfloat16", or "float16" (CUDA only).
        threads: CPU threads for LibTorch (process-wide); None: one per core, or
            $GLIDE_NUM_THREADS.

    Raises:
        FileNotFoundError: a checkpoint, or the default models, do not exist.
        ValueError: a config, device, dtype or thread count is invalid, or a config does not
            fit its checkpoint.
        glide.GlideError: a checkpoint is not a readable model.

    A Pipeline may be shared between threads: calls run one at a time, without the GIL.
    """

    def __init__(
        self,
        base: Optional[PathLike] = None,
        upsampler: Optional[PathLike] = None,
        base_config: Config = None,
        upsampler_config: Config = None,
        device: str = "cpu",
        dtype: str = "float32",
        threads: Optional[int] = None,
    ) -> None:
        if base is None and upsampler is None:
            try:
                paths = _glide.default_model_paths()
            except FileNotFoundError as e:
                err = FileNotFoundError(
                    f"{e} (glide.Pipeline() and glide.generate() use the default models; to use "
                    "other checkpoints, create glide.Pipeline(base=..., upsampler=...))")
                err.status = "not_found"  # type: ignore[attr-defined]
                raise err from None
            base, upsampler = paths["base"], paths["upsampler"]
        _checks.typed_value(device, "device", "a str")
        _checks.typed_value(dtype, "dtype", "a str")
        if threads is not None:
            _checks.typed_value(threads, "threads", "an int")
        base_file = None if base is None else _checks.os_path(base, "base")
        upsampler_file = None if upsampler is None else _checks.os_path(upsampler, "upsampler")
        self.base_path = os.fspath(base) if base is not None else None
        self.upsampler_path = os.fspath(upsampler) if upsampler is not None else None
        base_model, base_diffusion = split_config(base_config, "base_config")
        up_model, up_diffusion = split_config(upsampler_config, "upsampler_config")
        self._impl = _glide._Pipeline(base_file, upsampler_file, base_model, base_diffusion,
                                      up_model, up_diffusion, device, dtype, threads)
        # Absolute now: a save after a chdir must still name these files. Their SHA-256 is read
        # at the first save that records them (reading gigabytes for every Pipeline would slow
        # those that never save), so what was loaded is told by the file's identity.
        self._model_files = {role: os.path.abspath(path) for role, path in
                             (("model", base_file), ("upsampler_model", upsampler_file))
                             if path is not None}
        self._model_identity = {role: _file_identity(path)
                                for role, path in self._model_files.items()}
        self._recorded: Dict[str, Tuple[str, bytes, str]] = {}  # role -> _glide._record_file's
        self._recording = threading.Lock()
        self._given_configs = (None if base_config is None else self.base_config,
                               None if upsampler_config is None else self.upsampler_config)

    @classmethod
    def from_record(cls, path: PathLike, device: Optional[str] = None,
                    dtype: Optional[str] = None, threads: Optional[int] = None) -> "Pipeline":
        """The Pipeline that made an image glide wrote: the model files its record names (those
        its command ran), each with the config it was loaded with then, on the recorded device
        and dtype unless ``device`` / ``dtype`` say otherwise. With
        ``glide.read_parameters`` it makes the image again, as ``glide generate --from`` does::

            pipe = glide.Pipeline.from_record("a.png")
            kw = glide.read_parameters("a.png"); kw.pop("command")
            again = pipe.generate(**kw)

        Each model's SHA-256 is read (once: a later ``save=`` reads it no more) and compared
        with the recorded one; a UserWarning says when a file is no longer the one the image was
        made with, as its images will then differ.

        Raises:
            FileNotFoundError: the image, or a model or config file it names, does not exist.
            ValueError: no record, a damaged one, or one naming no model file.
        """
        from ._record import _pipeline_from_record  # _record imports this module

        return _pipeline_from_record(path, device, dtype, threads)

    @property
    def device(self) -> str:
        """Where the models run: "cpu", "cuda:0", ..."""
        return str(self._impl.device)

    @property
    def dtype(self) -> str:
        """The models' compute dtype: "float32", "bfloat16" or "float16"."""
        return str(self._impl.dtype)

    @property
    def base_config(self) -> Optional[Dict[str, Any]]:
        """The base model's options (and diffusion_steps, noise_schedule, prediction); None without
        one."""
        return self._impl.base_config  # type: ignore[no-any-return]

    @property
    def upsampler_config(self) -> Optional[Dict[str, Any]]:
        """The upsampler's options (and diffusion_steps, noise_schedule, prediction); None without
        one."""
        return self._impl.upsampler_config  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return (f"glide.Pipeline(base={self.base_path!r}, upsampler={self.upsampler_path!r}, "
                f"device={self.device!r}, dtype={self.dtype!r})")

    def _run(self, method: str, progress: ProgressArg, preview: Any, *args: Any) -> Any:
        reporter = _progress.resolve(progress)
        callback = _progress.with_preview(reporter, _preview_mode(preview))
        raised: List[BaseException] = []  # by the progress callable: it propagates as it is

        def reporting(*step: Any) -> Any:
            try:
                return callback(*step)  # type: ignore[misc]
            except BaseException as e:
                raised.append(e)
                raise

        try:
            return getattr(self._impl, method)(*args, None if callback is None else reporting)
        except ValueError as e:
            if type(e) is not ValueError or not hasattr(e, "status") or any(
                    e is r for r in raised):
                raise  # a progress callable's own (a glide call's inside it too), as it raised it
            err = ValueError(_python_names(str(e)))
            err.status = getattr(e, "status", "invalid_argument")  # type: ignore[attr-defined]
            raise err from None
        finally:
            _progress.close(reporter)

    @_suggests_keywords
    def generate(
        self,
        prompt: Prompt,
        *,
        batch_size: Optional[int] = None,
        negative_prompt: str = "",
        seed: int = 0,
        upsample: bool = True,
        base_sampler: str = "ddpm",
        base_respacing: Union[str, int] = "100",
        base_eta: Optional[float] = None,
        base_guided: bool = True,
        base_guidance_scale: float = 3.0,
        base_guidance_rescale: float = 0.0,
        base_thresholding: str = "clip",
        base_dynamic_percentile: float = 0.995,
        base_temperature: float = 1.0,
        upsampler_sampler: str = "ddim",
        upsampler_respacing: Union[str, int] = "fast27",
        upsampler_eta: Optional[float] = None,
        upsampler_guided: bool = False,
        upsampler_guidance_scale: float = 3.0,
        upsampler_guidance_rescale: float = 0.0,
        upsampler_thresholding: str = "clip",
        upsampler_dynamic_percentile: float = 0.995,
        upsampler_temperature: float = 0.997,
        device: Optional[str] = None,
        dtype: Optional[str] = None,
        preview: Union[bool, str] = False,
        progress: ProgressArg = True,
        return_base: bool = False,
        save: Optional[PathLike] = None,
        overwrite: bool = False,
    ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Generates images from text: the base stage, then (``upsample``) the upsampler.

        Args:
            prompt: a str for every image, or a list of one str per image.
            batch_size: images to make (1..256); None: one per prompt of a list, else 1. A list
                prompt must have 1 or batch_size items.
            negative_prompt: the guidance's unconditional prompt ("" = none).
            seed: image k of the batch uses seed + k, so it equals that image generated alone
                with seed + k (up to floating-point rounding in batched kernels).
            upsample: run the upsampler after the base stage.
            base_*, upsampler_*: each stage's sampling (glide.StageParams): sampler (see
                glide.sampler_names()), respacing ("100", 50, "ddim25", "fast27", "10,20,30"),
                eta (None: the sampler's default), guided (classifier-free guidance),
                guidance_scale (1: conditional alone, 0: unconditional alone),
                guidance_rescale in [0, 1], thresholding ("clip", "dynamic", "none"),
                dynamic_percentile in (0, 1], temperature (> 0). The defaults are GLIDE's.
            device, dtype: where this call runs; None: the pipeline's.
            preview: True passes each step's predicted image, uint8 (B, H, W, 3), to a
                progress callable as its 4th argument; "tensors" passes a glide.StepPreview
                (the image, the timestep, x_t and the predicted x_0 as float32 arrays).
            progress: True (a bar on stderr, or tqdm in a notebook), False, or
                callable(stage, step, total) returning False to cancel.
            return_base: also return the base stage's images.
            save: a PNG file name: the images are written there too (NAME-0.png, NAME-1.png,
                ... for a batch), each with the record that makes it alone again
                (glide.read_parameters, ``glide generate --from``), as the command line writes
                them. Checked before any work; ValueError when a file exists, unless
                ``overwrite``. Should writing fail, the exception's ``.images`` holds the result.
            overwrite: let save replace existing files.

        Returns:
            uint8 array (batch_size, H, W, 3): the upsampled images, or the base images when
            ``upsample=False``. With ``return_base=True``: (images, base_images).

        Raises:
            ValueError: a parameter is out of range; the message names its keyword.
            KeyboardInterrupt: Ctrl-C; glide.Cancelled (a KeyboardInterrupt) when the progress
                callable returned False. An exception raised by the callable propagates.
        """
        options = dict(locals())
        for name in ("self", "prompt", "progress", "return_base", "save", "overwrite"):
            del options[name]
        params = _params(_prompts(prompt), options, self.device, self.dtype)
        _warn_pointless(options, Pipeline.generate, params, progress)
        _checks.typed_value(return_base, "return_base", "a bool")
        saving = self._saving(save, overwrite, params.batch_size, _roles(params.upsample),
                              "generate", params)
        base, upsampled = self._run("generate", progress, preview, params)
        images = _results(base, upsampled, return_base)
        self._save(saving, overwrite, images, params)
        return images

    @_suggests_keywords
    def upsample(
        self,
        images: Any,
        prompt: Prompt,
        *,
        negative_prompt: str = "",
        seed: int = 0,
        upsampler_sampler: str = "ddim",
        upsampler_respacing: Union[str, int] = "fast27",
        upsampler_eta: Optional[float] = None,
        upsampler_guided: bool = False,
        upsampler_guidance_scale: float = 3.0,
        upsampler_guidance_rescale: float = 0.0,
        upsampler_thresholding: str = "clip",
        upsampler_dynamic_percentile: float = 0.995,
        upsampler_temperature: float = 0.997,
        device: Optional[str] = None,
        dtype: Optional[str] = None,
        preview: Union[bool, str] = False,
        progress: ProgressArg = True,
        save: Optional[PathLike] = None,
        overwrite: bool = False,
    ) -> np.ndarray:
        """Upsamples images with the upsampler model, conditioned on the prompt.

        Args:
            images: uint8 RGB (H, W, 3) or (B, H, W, 3), e.g. a generate(upsample=False)
                result or numpy.asarray(a PIL image); resized to the upsampler's input size.
            prompt: a str for every image, or one per image.
            Other arguments: as for generate(); image k uses seed + k. The upsampler's noise
                continues the stream the base stage drew from in generate(), so upsampling
                generate(upsample=False)'s images with the same seed does not remake
                generate()'s upsampled images (use return_base=True to keep both). save's
                records do not name the input images (arrays, not files): ``glide upsample
                --from`` then asks for --input.

        Returns:
            uint8 array (B, H', W', 3).

        Raises:
            ValueError: images are not uint8 (H, W, 3) / (B, H, W, 3), or a parameter is out
                of range.
        """
        options = dict(locals())
        for name in ("self", "images", "prompt", "progress", "save", "overwrite"):
            del options[name]
        params = _params(_prompts(prompt), options, self.device, self.dtype)
        _warn_pointless(options, Pipeline.upsample, params, progress)
        # The batch is the images' (the call refuses a count other than 1 or batch_size).
        saving = self._saving(save, overwrite, _image_count(images) if save is not None else 1,
                              ("upsampler_model",), "upsample", params)
        upsampled = self._run("upsample", progress, preview, images, params)
        self._save(saving, overwrite, upsampled, params)
        return upsampled  # type: ignore[no-any-return]

    @_suggests_keywords
    def inpaint(
        self,
        image: Any,
        mask: Any,
        prompt: Prompt,
        *,
        batch_size: Optional[int] = None,
        negative_prompt: str = "",
        seed: int = 0,
        upsample: bool = True,
        base_sampler: str = "ddpm",
        base_respacing: Union[str, int] = "100",
        base_eta: Optional[float] = None,
        base_guided: bool = True,
        base_guidance_scale: float = 3.0,
        base_guidance_rescale: float = 0.0,
        base_thresholding: str = "clip",
        base_dynamic_percentile: float = 0.995,
        base_temperature: float = 1.0,
        upsampler_sampler: str = "ddpm",
        upsampler_respacing: Union[str, int] = "fast27",
        upsampler_eta: Optional[float] = None,
        upsampler_guided: bool = False,
        upsampler_guidance_scale: float = 3.0,
        upsampler_guidance_rescale: float = 0.0,
        upsampler_thresholding: str = "clip",
        upsampler_dynamic_percentile: float = 0.995,
        upsampler_temperature: float = 0.997,
        device: Optional[str] = None,
        dtype: Optional[str] = None,
        preview: Union[bool, str] = False,
        progress: ProgressArg = True,
        return_base: bool = False,
        save: Optional[PathLike] = None,
        overwrite: bool = False,
    ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Fills in the masked-out part of an image (needs inpainting models).

        Args:
            image: uint8 RGB (H, W, 3) or (B, H, W, 3), B = 1 or batch_size, any size (resized
                to each stage's).
            mask: bool or uint8 (H, W) or (B, H, W) of the image's aspect ratio (any scale):
                nonzero/True = keep, 0 = fill in.
            prompt: what the filled-in image shows.
            Other arguments: as for generate(). The upsampler samples with DDPM by default, as
            GLIDE's inpainting notebook does. save's records do not name the image and mask
            (arrays, not files): ``glide inpaint --from`` then asks for --input and --mask.

        Returns:
            As generate(): uint8 (batch_size, H, W, 3), or (images, base_images).
        """
        options = dict(locals())
        for name in ("self", "image", "mask", "prompt", "progress", "return_base", "save",
                     "overwrite"):
            del options[name]
        params = _params(_prompts(prompt), options, self.device, self.dtype)
        _warn_pointless(options, Pipeline.inpaint, params, progress)
        _checks.typed_value(return_base, "return_base", "a bool")
        saving = self._saving(save, overwrite, params.batch_size, _roles(params.upsample),
                              "inpaint", params)
        base, upsampled = self._run("inpaint", progress, preview, image, mask, params)
        _warn_if_all_kept(mask)  # after the call, which refuses masks of the wrong shape
        images = _results(base, upsampled, return_base)
        self._save(saving, overwrite, images, params)
        return images

    def _saving(self, save: Optional[PathLike], overwrite: bool, count: int,
                roles: Tuple[str, ...], command: str, params: Any) -> Optional[_Saving]:
        """What save= will write for ``count`` images made with the models of ``roles``: the
        files (save itself, or NAME-k.png for each k) and their record, settled before any work
        so that minutes of sampling never end in a refusal; None without save."""
        _checks.typed_value(overwrite, "overwrite", "a bool")
        if save is None:
            return None
        paths = _glide._new_output_paths(_checks.png_path(save, "save"), count, overwrite)
        files = [self._model_record(role) for role in roles if role in self._model_files]
        configs = {role: config for role, config in (("model", self._given_configs[0]),
                                                     ("upsampler_model", self._given_configs[1]))
                   if config is not None and role in roles}
        # No file holds these: the command line's --from reads them from the record.
        extra = json.dumps({"model_configs": configs}) if configs else ""
        _glide._check_records_fit(command, params, "model" in roles, "upsampler_model" in roles,
                                  files, extra, count)
        return _Saving(paths, roles, files, command, extra)

    def _model_record(self, role: str) -> Tuple[str, bytes, str]:
        """(role, path, SHA-256) of a model this pipeline loaded, read once; ValueError when the
        file is no longer the one loaded, whose weights the record could then not name."""
        model = self._model_files[role]
        try:
            model.decode("utf-8")  # PNG text holds UTF-8 alone
        except UnicodeDecodeError:
            raise _checks.invalid(f"save cannot record the {role} file {model!r} in the images' "
                                  "metadata: its name is not UTF-8, which PNG text must be; "
                                  "rename it (or link to it under a UTF-8 name)") from None
        def refuse_if_changed() -> None:
            if _file_identity(model) != self._model_identity[role]:
                raise _checks.invalid(
                    f"save cannot record the {role} file {os.fsdecode(model)!r}: it was "
                    "replaced, changed or removed since this Pipeline loaded it, so its SHA-256 "
                    "would not be that of the weights in use; create the Pipeline again")

        with self._recording:  # one reading of each model, however many threads save
            refuse_if_changed()  # at every save: the file may change after the first
            if role not in self._recorded:
                recorded = _glide._record_file(role, model)
                refuse_if_changed()  # while it was being read
                self._recorded[role] = recorded
            return self._recorded[role]

    def _save(self, saving: Optional[_Saving], overwrite: bool, result: Any,
              params: Any) -> None:
        """Writes save='s files: each image of ``result`` (what the method returns) with the
        record that makes it alone. When writing fails the exception carries the images made
        (``.images``), which minutes of sampling should not be lost with."""
        if saving is None:
            return
        images = result[0] if isinstance(result, tuple) else result
        params.batch_size = len(images)  # upsample()'s batch is its images'
        try:
            _glide._write_images(images, saving.paths, overwrite, saving.command, params,
                                 "model" in saving.roles, "upsampler_model" in saving.roles,
                                 saving.files, saving.extra)
        except Exception as e:
            e.images = result  # type: ignore[attr-defined]
            if hasattr(e, "add_note"):  # Python 3.11
                e.add_note("the images were made: this exception's .images holds what the call "
                           "would have returned")
            raise

    def release_cached_networks(self) -> None:
        """Frees the networks the last call left bound.

        Each stage's network stays bound from one call to the next, so that on CUDA a call with
        the previous call's batch size, dtype and device replays the CUDA graphs that call
        captured. This frees those graphs and the GPU memory they hold; the next call captures
        afresh. Images are the same either way.
        """
        self._impl.release_cached_networks()
