"""glide.read_parameters: the keywords that remake an image glide wrote, from its PNG record."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Dict, Optional, Tuple

from . import _checks, _glide
from ._pipeline import _STAGE_FIELDS, Config, PathLike, Pipeline, _refuse_repeated_keys

# The text chunk every glide command writes (docs/cli.md, "PNG text chunks").
_CHUNK = "glide_parameters"
# Keywords of every method; a stage's fields become base_* / upsampler_*.
_COMMON = ("negative_prompt", "seed", "device", "dtype")
# Which record parts each command's method takes: generate(), inpaint() or upsample().
_TAKES = {
    "generate": ("batch_size", "upsample", "base", "upsampler"),
    "sweep": ("batch_size", "upsample", "base", "upsampler"),
    "inpaint": ("batch_size", "upsample", "base", "upsampler"),
    "upsample": ("upsampler",),
}


def _damaged(name: str, why: str) -> ValueError:
    return _checks.invalid(f"{name!r}: the {_CHUNK} chunk is damaged: {why}")


def _read_record(path: PathLike) -> Tuple[str, Dict[str, Any]]:
    """(the file's name, its record: a dict with a "parameters" object and a known "command")."""
    system_path = _checks.os_path(path, "path")
    name = os.fsdecode(system_path)
    text, repeated = _glide._png_text(system_path)
    if _CHUNK in repeated:  # as glide generate --from: which one made the image cannot be told
        raise _checks.invalid(f"{name!r} holds more than one {_CHUNK} text chunk; which one made "
                              "the image cannot be told")
    raw = text.get(_CHUNK)
    if raw is None:
        raise _checks.invalid(f"{name!r} holds no {_CHUNK} text chunk: it was not written by "
                              "glide, or its metadata was stripped")
    try:
        record = json.loads(raw, object_pairs_hook=_refuse_repeated_keys(_CHUNK))
    except (json.JSONDecodeError, RecursionError) as e:
        raise _damaged(name, f"not JSON ({e})") from None
    except ValueError as e:  # a key given twice
        raise _damaged(name, str(e)) from None
    if not isinstance(record, dict) or not isinstance(record.get("parameters"), dict):
        raise _damaged(name, 'expected an object with a "parameters" object')
    command = record.get("command")
    if command not in _TAKES:
        raise _damaged(name, f"unknown command {command!r}; expected one of {sorted(_TAKES)}")
    return name, record


def read_parameters(path: PathLike) -> Dict[str, Any]:
    """The keyword arguments that remake an image written by glide (``glide generate``,
    ``sweep``, ``inpaint``, ``upsample``, or a Pipeline method's ``save=``; each command's
    ``--from`` reads the same record).

    The result holds ``prompt`` (a str, or a list with one per image), the seed, device and
    dtype, and each stage's settings as ``base_*`` / ``upsampler_*``, with ``"command"`` naming
    the method they are for ("generate" and "sweep": ``Pipeline.generate``; "inpaint", and
    "sweep" when the sweep inpainted: ``Pipeline.inpaint``; "upsample": ``Pipeline.upsample``;
    the input image and mask those take are files the record names, with the models, under
    ``"files"``). So
    ``kw = glide.read_parameters("a.png"); kw.pop("command"); pipe.generate(**kw)`` makes the image again with the same models (their paths and SHA-256
    are under ``"files"`` in the chunk's JSON); one file of a batch again within one 8-bit
    level (batched kernels sum in another order). A sweep's sheet records its first valid cell,
    so the keywords remake that cell, not the sheet. The upsampler's settings are left out when
    the record did not upsample.

    Raises:
        FileNotFoundError: no such file.
        glide.GlideError: not a readable PNG.
        ValueError: no record (not written by glide, or its metadata stripped), or a damaged
            one.
    """
    name, record = _read_record(path)
    command = record["command"]
    params = record["parameters"]
    prompts = params.get("prompts")
    if not isinstance(prompts, list) or not prompts:
        raise _damaged(name, '"prompts" is not a non-empty list')
    result: Dict[str, Any] = {"command": command,
                              "prompt": prompts[0] if len(prompts) == 1 else prompts}
    for key in _COMMON + tuple(k for k in _TAKES[command] if k in ("batch_size", "upsample")):
        if key in params:
            result[key] = params[key]
    for stage in ("base", "upsampler"):
        if stage not in _TAKES[command] or stage not in params:
            continue
        if stage == "upsampler" and params.get("upsample") is False and command != "upsample":
            continue  # not run: generate() would only warn that they have no effect
        fields = params[stage]
        if not isinstance(fields, dict):
            raise _damaged(name, f'"{stage}" is not an object')
        for field in _STAGE_FIELDS:
            if field in fields:
                result[f"{stage}_{field}"] = fields[field]
    return result


def _recorded_file(name: str, files: Dict[str, Any], role: str) -> Optional[Tuple[str, str]]:
    """(path, SHA-256) of a file the record names in ``role``; None when it names none."""
    entry = files.get(role)
    if entry is None:
        return None
    if (not isinstance(entry, dict) or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("sha256"), str)):
        raise _damaged(name, f'files.{role} is not an object with "path" and "sha256" strings')
    return entry["path"], entry["sha256"]


def _recorded_config(name: str, record: Dict[str, Any], files: Dict[str, Any],
                     role: str) -> Config:
    """The config a recorded model was loaded with: its config file's text, or the config
    Python or C recorded as a value (model_configs); None when it was loaded with its own."""
    config_file = _recorded_file(name, files, role + "_config")
    if config_file is not None:
        try:
            with open(config_file[0], encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"{name!r} was made with the {role} config file "
                                    f"{config_file[0]!r}, which no longer exists") from None
    configs = record.get("model_configs", {})
    if not isinstance(configs, dict) or not isinstance(configs.get(role, {}), dict):
        raise _damaged(name, '"model_configs" is not an object of config objects')
    return configs.get(role)  # type: ignore[no-any-return]


def _pipeline_from_record(path: PathLike, device: Optional[str], dtype: Optional[str],
                          threads: Optional[int]) -> Pipeline:
    """Pipeline.from_record."""
    name, record = _read_record(path)
    files = record.get("files", {})
    if not isinstance(files, dict):
        raise _damaged(name, '"files" is not an object')
    params = record["parameters"]
    roles = (("upsampler_model",) if record["command"] == "upsample" else
             ("model", "upsampler_model") if params.get("upsample") is not False else ("model",))
    models: Dict[str, Tuple[str, str]] = {}
    for role in roles:
        recorded = _recorded_file(name, files, role)
        if recorded is not None:
            models[role] = recorded
    if not models:
        raise _damaged(name, f"it names no model file ({' or '.join(roles)})")
    for role, (model_path, _) in models.items():
        if not os.path.exists(model_path):
            raise FileNotFoundError(f"{name!r} was made with the {role} file {model_path!r}, "
                                    "which no longer exists; create glide.Pipeline with the "
                                    "models to use")
    device = device if device is not None else str(params.get("device", "cpu"))
    dtype = dtype if dtype is not None else str(params.get("dtype", "float32"))
    base = models.get("model")
    upsampler = models.get("upsampler_model")
    pipe = Pipeline(
        base=base[0] if base else None,
        upsampler=upsampler[0] if upsampler else None,
        base_config=_recorded_config(name, record, files, "model") if base else None,
        upsampler_config=(_recorded_config(name, record, files, "upsampler_model")
                          if upsampler else None),
        device=device, dtype=dtype, threads=threads)
    for role, (model_path, sha256) in models.items():
        now = pipe._model_record(role)[2]  # kept: a save= later reads no model again
        if now != sha256:
            warnings.warn(f"{role} {model_path!r} is not the file {name!r} was made with "
                          f"(SHA-256 {sha256}, now {now}); images made with it will differ",
                          UserWarning, stacklevel=3)
    return pipe
