"""Typed field assignment for glide.StageParams and glide.GenerationParams.

pybind11's setters take None for a bool (as False) and answer a wrong type with their overload
signatures; these name the field, the type given and the one expected, with the rules glide's
keywords follow (_checks.typed_value)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from . import _checks, _glide

_STAGE = "a glide.StageParams"
_PROMPTS = "a list of str"
_SEED = "an int in [0, 2**64)"

_FIELD_TYPES: Dict[type, Dict[str, str]] = {
    _glide.StageParams: {
        "sampler": "a str",
        "respacing": "a str",
        "eta": "a float or None",
        "guided": "a bool",
        "guidance_scale": "a number",
        "guidance_rescale": "a number",
        "thresholding": "a str",
        "dynamic_percentile": "a number",
        "temperature": "a number",
    },
    _glide.GenerationParams: {
        "prompts": _PROMPTS,
        "negative_prompt": "a str",
        "batch_size": "an int",
        "seed": _SEED,
        "device": "a str",
        "dtype": "a str",
        "upsample": "a bool",
        "preview": "a bool",
        "base": _STAGE,
        "upsampler": _STAGE,
    },
}


def _prompt_list(value: Any, argument: str) -> List[str]:
    if isinstance(value, str):
        raise _checks.wrong_type(f"{argument} must be {_PROMPTS}, not str (one prompt goes in a "
                                 f"list: [{_checks.short_repr(value)}])")
    if not isinstance(value, (list, tuple)):
        raise _checks.wrong_type(f"{argument} must be {_PROMPTS}, not {type(value).__name__}")
    for i, prompt in enumerate(value):
        _checks.utf8_text(prompt, f"{argument}[{i}]")
    return list(value)


def _checked(value: Any, argument: str, expected: str) -> Any:
    if expected == _PROMPTS:
        return _prompt_list(value, argument)
    if expected == _STAGE:
        if not isinstance(value, _glide.StageParams):
            raise _checks.wrong_type(f"{argument} must be {_STAGE}, not {type(value).__name__}")
        return value
    if expected == _SEED:
        return _checks.seed(value, argument)
    return _checks.typed_value(value, argument, expected)


def _typed_setattr(cls: type, types: Dict[str, str]) -> Callable[[Any, str, Any], None]:
    bound_setattr = cls.__setattr__

    def __setattr__(self: Any, name: str, value: Any) -> None:
        expected = types.get(name)
        if expected is None:  # not a field: pybind11 says there is no such attribute
            bound_setattr(self, name, value)
            return
        argument = f"{cls.__name__}.{name}"
        value = _checked(value, argument, expected)
        try:
            bound_setattr(self, name, value)
        except TypeError:  # a type typed_value lets through, such as a str for a number
            raise _checks.wrong_type(f"{argument} must be {expected}, not "
                                     f"{type(value).__name__} ({_checks.short_repr(value)})"
                                     ) from None

    return __setattr__


def install() -> None:
    """Puts the typed setters on the two classes (once, at import)."""
    for cls, types in _FIELD_TYPES.items():
        setattr(cls, "__setattr__", _typed_setattr(cls, types))
