"""Runs examples/glide.ipynb headless (nbclient) and checks that it shows its images.

The notebook uses the default models. When glide's own are not installed, the golden tiny
models stand in for them (converted into a temporary $GLIDE_MODEL_DIR); without either, or
without nbclient, the test is skipped with the reason."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, List

import pytest

import glide
from conftest import goldens_dir

NOTEBOOK = Path(os.environ.get("GLIDE_SOURCE_DIR", Path(__file__).resolve().parents[3]),
                "examples", "glide.ipynb")


def _model_dir(tmp_path: Path) -> Path:
    """$GLIDE_MODEL_DIR for the run: where the default models are, else golden stand-ins."""
    try:
        return Path(glide.default_model_paths()["directory"])
    except FileNotFoundError:
        pass
    goldens = goldens_dir()
    if goldens is None:
        pytest.skip("neither the default models nor the golden models are present")
    options = {k: v["options"] for k, v in json.loads((goldens / "models.json").read_text()).items()}
    glide.convert_checkpoint(goldens / "model_text2im.pt", tmp_path / "shapes-base.safetensors",
                             options["text2im"])
    glide.convert_checkpoint(goldens / "model_superres.pt",
                             tmp_path / "shapes-upsampler.safetensors", options["superres"])
    print(f"default models absent: running the notebook on golden stand-ins in {tmp_path}")
    return tmp_path


def _images(cell: Any) -> List[Any]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"
            and any(k.startswith("image/") for k in o.get("data", {}))]


def test_notebook_runs_and_shows_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat", reason="python3-nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="python3-nbclient is not installed")
    pytest.importorskip("ipykernel", reason="python3-ipykernel is not installed")
    if not NOTEBOOK.is_file():
        pytest.skip(f"{NOTEBOOK} not found")
    monkeypatch.setenv("GLIDE_MODEL_DIR", str(_model_dir(tmp_path)))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets ipykernel's debugger

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    code = [c for c in nb.cells if c.cell_type == "code"]
    text = "".join(o.get("text", "") for o in code[0].outputs)
    assert f"glide {glide.__version__}" in text
    generate_cell = next(c for c in code if "pipe.generate(prompt, seed=0" in c.source)
    sweep_cell = next(c for c in code if "scales = " in c.source)
    assert len(_images(generate_cell)) == 1
    assert len(_images(sweep_cell)) == 1, "the sweep is shown as one row"
    kept_cell = next(c for c in code if "save=" in c.source)
    kept = "".join(o.get("text", "") for o in kept_cell.outputs)
    assert "generate with guidance scale 5" in kept and "same pixels: True" in kept, kept
    assert (tmp_path / "scale-5.png").is_file()
