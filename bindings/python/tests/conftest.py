"""Shared fixtures: the golden tiny models (read in place from the goldens folder) loaded into
pipelines, and the few steps that keep each test fast."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

import glide

# Few steps: the goldens are tiny random-weight models; what is tested is the binding.
FAST: Dict[str, Any] = {"base_respacing": "4", "upsampler_respacing": "3", "progress": False}
# For upsample=False, where an upsampler setting would draw a "has no effect" warning.
BASE_ONLY: Dict[str, Any] = {"base_respacing": "4", "progress": False}


def goldens_dir() -> Path | None:
    """$GLIDE_GOLDENS, else the folder CTest names, else ../shared/goldens beside the checkout."""
    source = Path(os.environ.get("GLIDE_SOURCE_DIR", Path(__file__).resolve().parents[3]))
    for candidate in (os.environ.get("GLIDE_GOLDENS"), os.environ.get("GLIDE_DEFAULT_GOLDENS"),
                      source.parent / "shared" / "goldens"):
        if candidate and Path(candidate, "models.json").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def goldens() -> Path:
    d = goldens_dir()
    if d is None:
        pytest.skip("golden models not found (set GLIDE_GOLDENS to the goldens folder)")
    return d


@pytest.fixture(scope="session")
def golden_options(goldens: Path) -> Dict[str, Dict[str, Any]]:
    """models.json: each case's reference options (model and diffusion)."""
    cases = json.loads((goldens / "models.json").read_text())
    return {name: case["options"] for name, case in cases.items()}


def _pipeline(goldens: Path, options: Dict[str, Dict[str, Any]], base: str,
              upsampler: str) -> glide.Pipeline:
    return glide.Pipeline(
        base=goldens / f"model_{base}.pt",
        upsampler=goldens / f"model_{upsampler}.pt",
        base_config=options[base],
        upsampler_config=options[upsampler],
    )


@pytest.fixture(scope="session")
def pipe(goldens: Path, golden_options: Dict[str, Dict[str, Any]]) -> glide.Pipeline:
    """Text → 16×16 → 32×32 with the golden text2im and superres models."""
    return _pipeline(goldens, golden_options, "text2im", "superres")


@pytest.fixture(scope="session")
def inpaint_pipe(goldens: Path, golden_options: Dict[str, Dict[str, Any]]) -> glide.Pipeline:
    return _pipeline(goldens, golden_options, "inpaint", "superres_inpaint")
