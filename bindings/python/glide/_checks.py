"""Argument checks done in Python before a call crosses into C++, so that a bad argument is named
in this module's terms instead of as pybind11's "incompatible function arguments"."""

from __future__ import annotations

import os
from typing import Any, Dict, List

_INT64_MAX = 2**63 - 1


def invalid(message: str) -> ValueError:
    """A ValueError with the status glide's own carry (``invalid_argument``)."""
    error = ValueError(message)
    error.status = "invalid_argument"  # type: ignore[attr-defined]
    return error


def wrong_type(message: str) -> TypeError:
    """A TypeError with the status glide's own errors carry (``invalid_argument``)."""
    error = TypeError(message)
    error.status = "invalid_argument"  # type: ignore[attr-defined]
    return error


def short_repr(value: Any) -> str:
    """repr(value), cut when long (an int of 600 digits is not worth quoting whole)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def os_path(value: Any, argument: str) -> bytes:
    """``value`` (str, bytes or os.PathLike) as the bytes the operating system is given. A name
    listed from a folder whose bytes are not UTF-8 reaches Python as a str with lone surrogates
    (os.fsdecode); os.fsencode turns it back into those bytes."""
    try:
        name = os.fspath(value)
    except TypeError:
        raise wrong_type(f"{argument} must be a path (str, bytes or os.PathLike), "
                         f"not {type(value).__name__}") from None
    try:
        path = os.fsencode(name)
    except UnicodeEncodeError as e:
        raise invalid(f"{argument} {value!r} holds a lone surrogate ({name[e.start]!r}) that no "
                      "file name's bytes can give") from None
    if b"\0" in path:
        raise invalid(f"{argument} {value!r} holds a NUL character, which no file name can hold")
    return path


def png_path(value: Any, argument: str) -> bytes:
    """os_path(value) of a name ending in .png (any case), as the command line's -o wants: a PNG
    named .jpg would mislead every program that trusts the name."""
    path = os_path(value, argument)
    if not path.lower().endswith(b".png"):
        raise invalid(f"{argument} is {os.fsdecode(path)!r}: glide writes PNG images; give a name "
                      "that ends in .png")
    if len(os.path.basename(path)) == len(b".png"):
        raise invalid(f"{argument} is {os.fsdecode(path)!r}, only an extension, which would make a "
                      "hidden file; give a name before it, such as out.png")
    return path


def utf8_text(text: Any, argument: str) -> str:
    """``text`` when it is a str that UTF-8 can encode (no lone surrogates)."""
    if not isinstance(text, str):
        raise wrong_type(f"{argument} must be a str, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise invalid(f"{argument} is not valid Unicode: it holds a lone surrogate "
                      f"({text[e.start]!r}) at index {e.start}") from None
    return text


def text_chunks(text: Any, argument: str = "text") -> Dict[str, str]:
    """A PNG's text chunks: a dict of str keys to str values (None: none)."""
    if text is None:
        return {}
    if not isinstance(text, dict):
        raise wrong_type(f"{argument} must be a dict of str to str, not {type(text).__name__}")
    for key, value in text.items():
        utf8_text(key, f"{argument} key {key!r}")
        utf8_text(value, f"{argument}[{key!r}]")
    return text


def integer(value: Any, argument: str, low: int, high: int = _INT64_MAX) -> int:
    """``value`` as an int in [low, high]; a bool is not taken for an int."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise wrong_type(f"{argument} must be an int, not {type(value).__name__}")
    number = int(value.__index__())
    if not low <= number <= high:
        raise invalid(f"{argument} is {short_repr(number)}; it must lie in [{low}, {high}]")
    return number


def token_ids(ids: Any) -> List[int]:
    """A list of token ids that fit a 64-bit integer (the vocabulary is checked in C++)."""
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise wrong_type(f"ids must be a list of int, not {type(ids).__name__}")
    return [integer(i, f"ids[{k}]", -_INT64_MAX - 1) for k, i in enumerate(ids)]


def is_bool(value: Any) -> bool:
    # numpy.bool_ is no subclass of bool, but is one for pybind11 (and for the user).
    return isinstance(value, bool) or type(value).__name__ in ("bool_", "bool")


def typed_value(value: Any, argument: str, expected: str) -> Any:
    """Checks what pybind11 would let through or reject without naming the argument: a bool for
    a number ("an int", "a number", ...) and 1 for a bool, bytes for a str, a str UTF-8 cannot
    encode, an int beyond 64 bits or beyond a float's range."""
    if expected == "a bool":
        if not is_bool(value):
            raise wrong_type(f"{argument} must be a bool, not {type(value).__name__} "
                             f"({short_repr(value)})")
        return value
    if isinstance(value, bool):
        raise wrong_type(f"{argument} must be {expected}, not bool ({value!r})")
    if expected == "a str" and not isinstance(value, str):
        raise wrong_type(f"{argument} must be a str, not {type(value).__name__} "
                         f"({short_repr(value)})")
    if isinstance(value, str):
        utf8_text(value, argument)
    if expected == "an int":
        return integer(value, argument, -_INT64_MAX - 1)  # the C++ side checks the range
    if expected in ("a number", "a float or None") and isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise invalid(f"{argument} is {short_repr(value)}, beyond the range of a float"
                          ) from None
    return value


def seed(value: Any, argument: str = "seed") -> int:
    """A seed: an int in [0, 2**64)."""
    return integer(value, argument, 0, 2**64 - 1)
