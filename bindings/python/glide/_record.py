"""glide.read_parameters: the keywords that remake an image glide wrote, from its PNG record."""

from __future__ import annotations

import json
import os
from typing import Any, Dict

from . import _checks, _glide
from ._pipeline import _STAGE_FIELDS, PathLike, _refuse_repeated_keys

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
