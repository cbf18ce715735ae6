"""Module-level API: tokenizer, version, errors, default models, checkpoints, PNG, stubs."""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any, Dict, Iterator

import numpy as np
import pytest

import glide
from conftest import BASE_ONLY, FAST, goldens_dir

PACKAGE = Path(glide.__file__).parent


def test_tokenize_matches_the_reference_tokenizer(goldens: Path) -> None:
    cases = json.loads((goldens / "tokenizer.json").read_text())["cases"]
    assert cases, "tokenizer.json holds no cases"
    for case in cases:
        assert glide.tokenize(case["prompt"]) == case["tokens"], case["prompt"]
        assert glide.detokenize(case["tokens"]) == case["decoded"]


def test_tokenize_rejects_bad_input() -> None:
    with pytest.raises(TypeError):
        glide.tokenize(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="byte offset 2"):
        glide.tokenize(b"ab\xff")
    assert glide.tokenize("Caf\u00e9".encode()) == glide.tokenize("Caf\u00e9")  # UTF-8 bytes
    with pytest.raises(ValueError, match="50257|vocab|outside"):
        glide.detokenize([10**6])
    with pytest.raises(ValueError, match=r"text is not valid Unicode.*surrogate.*index 1"):
        glide.tokenize("a\ud800b")
    with pytest.raises(ValueError, match=r"ids\[1\] is 1180591620717411303424"):
        glide.detokenize([1, 2**70])
    with pytest.raises(TypeError, match=r"ids\[0\] must be an int, not bool"):
        glide.detokenize([True])


def test_set_num_threads_checks_its_argument() -> None:
    before = glide.num_threads()
    with pytest.raises(ValueError, match="threads is -1; expected 0 for one per core, or 1 to"):
        glide.set_num_threads(-1)
    with pytest.raises(ValueError, match=r"threads is 1180591620717411303424"):
        glide.set_num_threads(2**70)
    with pytest.raises(TypeError, match="threads must be an int, not float"):
        glide.set_num_threads(2.0)  # type: ignore[arg-type]
    assert glide.num_threads() == before


def test_num_threads_before_any_work_is_what_work_will_use() -> None:
    # LibTorch starts with one thread; glide's default is chosen on first use. Asked first, the
    # count is the one that use will set (a fresh interpreter: this one has already chosen).
    code = "import glide; print(glide.num_threads())"
    env = {**os.environ, "GLIDE_NUM_THREADS": "3"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "3"


def test_parameter_structs_print_compare_and_copy() -> None:
    import copy
    import pickle

    g = glide.GenerationParams()
    g.prompts = ["a red circle"]
    g.base.guidance_scale = 5.0
    assert repr(g.base).startswith("glide.StageParams(sampler='ddpm', respacing='100', eta=None,")
    assert "guidance_scale=5.0" in repr(g) and "prompts=['a red circle']" in repr(g)
    again = pickle.loads(pickle.dumps(g))
    assert again == g and again is not g
    deep = copy.deepcopy(g)
    deep.base.guidance_scale = 1.0  # a deep copy's stages are its own
    assert deep != g and g.base.guidance_scale == 5.0
    assert g.to_dict()["seed"] == 0 and g.base.to_dict()["sampler"] == "ddpm"
    assert glide.StageParams() != "ddpm"


def test_parameter_fields_refuse_wrong_types_by_name() -> None:
    stage, params = glide.StageParams(), glide.GenerationParams()
    # pybind11 took None for a bool (as False) and dumped its overload signatures for the rest.
    with pytest.raises(TypeError, match=r"^StageParams\.guided must be a bool, not NoneType"):
        stage.guided = None
    assert stage.guided is True
    with pytest.raises(TypeError, match=r"^StageParams\.guidance_scale must be a number, not str"):
        stage.guidance_scale = "x"
    with pytest.raises(TypeError, match=r"^StageParams\.guidance_scale must be a number, not bool"):
        stage.guidance_scale = True
    with pytest.raises(TypeError, match=r"one prompt goes in a list: \['a kite'\]"):
        params.prompts = "a kite"
    with pytest.raises(TypeError, match=r"^GenerationParams\.prompts\[1\] must be a str"):
        params.prompts = ["a kite", 3]
    with pytest.raises(ValueError, match=r"^GenerationParams\.seed is -1"):
        params.seed = -1
    with pytest.raises(TypeError, match=r"^GenerationParams\.base must be a glide\.StageParams"):
        params.base = {"guidance_scale": 3.0}
    with pytest.raises(AttributeError, match="guidance"):
        stage.guidance = 3.0  # a misspelt field is no new attribute
    # What the fields take still goes in: numpy scalars, an int for a float, a tuple of prompts.
    stage.temperature, stage.guided, stage.eta = np.float32(0.5), np.bool_(False), None
    params.batch_size = np.int64(2)
    params.prompts = ("a", "b")
    stage.guidance_scale = 5
    assert (stage.temperature, stage.guided, stage.guidance_scale) == (0.5, False, 5.0)
    assert (params.batch_size, params.prompts) == (2, ["a", "b"])
    # validate's step count: 0 checks the respacing's form alone; a negative count is refused.
    stage.respacing = "ddim1001"
    stage.validate("base", 0)
    with pytest.raises(ValueError, match="ddim1001"):
        stage.validate("base", 1000)
    with pytest.raises(ValueError, match="diffusion_steps is -1"):
        stage.validate("base", -1)


def test_an_object_whose_init_never_ran_raises_instead_of_crashing() -> None:
    # pybind11 would read unconstructed memory (a segfault on a string field), so each read runs
    # in a child: a crash fails the test without taking pytest down.
    script = """
import glide, glide._glide as g
for cls, field in ((g.StageParams, "sampler"), (g.GenerationParams, "prompts"),
                   (g._Pipeline, "device"), (g._TrainOptions, "checkpoint_every")):
    made = cls.__new__(cls)
    try:
        getattr(made, field)
    except TypeError as e:
        assert "__init__ never completed" in str(e), e
    else:
        raise AssertionError(cls.__name__ + " read a field of an unconstructed object")
    if cls is not g._Pipeline:  # the others take no arguments: __init__ still makes them whole
        made.__init__()
        getattr(made, field)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_image_stats_follow_their_documented_formulas() -> None:
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (2, 9, 11, 3), dtype=np.uint8)
    images[1, :2] = 0  # black pixels: saturation 0 there
    x = images[1].astype(np.float64) / 255
    luma = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    top, bottom = x.max(-1), x.min(-1)
    saturation = np.where(top > 0, (top - bottom) / np.where(top > 0, top, 1), 0)
    laplacian = (luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:]
                 - 4 * luma[1:-1, 1:-1])
    expected = {"mean_r": x[..., 0].mean(), "mean_g": x[..., 1].mean(), "mean_b": x[..., 2].mean(),
                "mean_luminance": luma.mean(), "contrast": luma.std(),
                "saturation": saturation.mean(), "sharpness": laplacian.var()}
    per_image = glide.image_stats(images)
    assert isinstance(per_image, list) and len(per_image) == 2
    for stats in (per_image[1], glide.image_stats(images[1])):
        assert stats.keys() == expected.keys()
        for key, value in expected.items():
            assert stats[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    with pytest.raises(ValueError, match="images must be uint8 RGB"):
        glide.image_stats(np.zeros((4, 4, 3), np.float32))


def test_version_is_the_projects() -> None:
    source = Path(os.environ.get("GLIDE_SOURCE_DIR", PACKAGE.parents[3]))
    cmake = source / "CMakeLists.txt"
    if not cmake.is_file():
        pytest.skip(f"{cmake} not found to read the project version from")
    declared = re.search(r"project\(glide VERSION (\S+)", cmake.read_text())
    assert declared is not None
    assert glide.__version__ == declared.group(1)


def test_sampler_names_include_glides_own() -> None:
    assert {"ddpm", "ddim"} <= set(glide.sampler_names())


def test_missing_checkpoint_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.pt") as info:
        glide.Pipeline(base=tmp_path / "nothing.pt", base_config="base")
    assert info.value.status == "not_found"  # type: ignore[attr-defined]


def test_garbage_checkpoint_is_glide_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a checkpoint at all" * 4)
    with pytest.raises(glide.GlideError, match="bad.pt") as info:
        glide.Pipeline(base=bad, base_config="base")
    assert isinstance(info.value, RuntimeError)
    assert info.value.status == "invalid_format"


def test_bad_pipeline_arguments(goldens: Path, golden_options: Dict[str, Any]) -> None:
    model = goldens / "model_text2im.pt"
    with pytest.raises(ValueError, match=r"^base_config is 'huge', neither a preset \(base, "):
        glide.Pipeline(base=model, base_config="huge")
    with pytest.raises(ValueError, match="base_config: .*no_such_option"):
        glide.Pipeline(base=model, base_config={"no_such_option": 1})
    # JSON text naming a key twice: Python's json would keep the last silently.
    with pytest.raises(ValueError, match='gives the key "image_size" twice'):
        glide.Pipeline(base=model, base_config='{"image_size": 16, "image_size": 32}')
    # Text from a file with a byte order mark is still JSON, not a preset named "\ufeff{...".
    with pytest.raises(ValueError, match='gives the key "image_size" twice'):
        glide.Pipeline(base=model, base_config='\ufeff{"image_size": 16, "image_size": 32}')
    deep = "[" * 100000 + "]" * 100000
    with pytest.raises(ValueError, match="base_config nests too deeply"):
        glide.Pipeline(base=model, base_config='{"image_size": ' + deep + "}")
    with pytest.raises(ValueError, match="num_channels has the wrong type \\(null\\)"):
        glide.Pipeline(base=model, base_config={"num_channels": None})
    with pytest.raises(ValueError, match="threads is 0"):
        glide.Pipeline(base=model, base_config=golden_options["text2im"], threads=0)
    with pytest.raises(ValueError, match="device is \"gpu\""):
        glide.Pipeline(base=model, base_config=golden_options["text2im"], device="gpu")
    # A config that does not fit the checkpoint's shapes names the file.
    with pytest.raises(Exception, match="model_text2im.pt"):
        glide.Pipeline(base=model, base_config={**golden_options["text2im"], "num_channels": 64})


def test_pipeline_reports_its_models(pipe: glide.Pipeline) -> None:
    assert pipe.base_config is not None and pipe.upsampler_config is not None
    assert pipe.base_config["image_size"] == 16 and not pipe.base_config["super_res"]
    assert pipe.upsampler_config["super_res"] and pipe.upsampler_config["noise_schedule"] == "linear"
    assert pipe.base_config["noise_schedule"] == "squaredcos_cap_v2"
    assert (pipe.device, pipe.dtype) == ("cpu", "float32")
    assert "model_text2im.pt" in repr(pipe)


def test_generate_without_an_upsampler_model(goldens: Path, golden_options: Dict[str, Any]
                                             ) -> None:
    only_base = glide.Pipeline(base=goldens / "model_text2im.pt",
                               base_config=golden_options["text2im"])
    assert only_base.upsampler_config is None
    assert only_base.generate("x", upsample=False, **BASE_ONLY).shape == (1, 16, 16, 3)
    with pytest.raises(ValueError, match="upsampler"):
        only_base.generate("x", **FAST)


@pytest.fixture
def fresh_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached default pipeline before or after the test."""
    monkeypatch.setattr(glide, "_default", None)
    yield
    glide._default = None


def test_generate_without_default_models_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_default: None
) -> None:
    # A $GLIDE_MODEL_DIR without the pair is the one place searched, even with the pair
    # installed elsewhere: a mistyped directory must not quietly load other models.
    monkeypatch.setenv("GLIDE_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="the one place searched while it is set"):
        glide.default_model_paths()
    with pytest.raises(FileNotFoundError) as info:
        glide.generate("a red circle", **FAST)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "shapes-base.safetensors" in message and "GLIDE_MODEL_DIR" in message
    assert "glide.Pipeline(base=" in message
    assert glide._default is None, "a failed load must not be cached"


@pytest.fixture(scope="module")
def default_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden models as a default model pair: .safetensors that name their configs."""
    goldens = goldens_dir()
    if goldens is None:
        pytest.skip("golden models not found (set GLIDE_GOLDENS to the goldens folder)")
    options = {k: v["options"] for k, v in json.loads((goldens / "models.json").read_text()).items()}
    d = tmp_path_factory.mktemp("models")
    glide.convert_checkpoint(goldens / "model_text2im.pt", d / "shapes-base.safetensors",
                             options["text2im"])
    glide.convert_checkpoint(goldens / "model_superres.pt", d / "shapes-upsampler.safetensors",
                             options["superres"])
    return d


def test_module_generate_uses_the_default_models(
    default_model_dir: Path, pipe: glide.Pipeline, monkeypatch: pytest.MonkeyPatch,
    fresh_default: None
) -> None:
    monkeypatch.setenv("GLIDE_MODEL_DIR", str(default_model_dir))
    images = glide.generate("a red circle", seed=3, **FAST)
    assert glide.default_pipeline() is glide.default_pipeline()  # created once
    np.testing.assert_array_equal(images, pipe.generate("a red circle", seed=3, **FAST))
    assert glide.Pipeline().base_path == str(default_model_dir / "shapes-base.safetensors")


def test_read_parameters_remakes_a_command_line_image(default_model_dir: Path,
                                                      tmp_path: Path) -> None:
    cli = os.environ.get("GLIDE_CLI")
    if not cli:
        pytest.skip("GLIDE_CLI (the glide command's path) is not set")
    base = default_model_dir / "shapes-base.safetensors"
    upsampler = default_model_dir / "shapes-upsampler.safetensors"
    out = tmp_path / "made.png"
    subprocess.run([cli, "generate", "-p", "a green star", "--seed", "4", "--base-steps", "4",
                    "--upsampler-steps", "3", "--base-sampler", "dpm++2m", "--guidance-scale",
                    "5", "--negative-prompt", "blurry", "--model", str(base),
                    "--upsampler-model", str(upsampler), "-q", "-o", str(out)],
                   check=True, timeout=300, capture_output=True)
    keywords = glide.read_parameters(out)
    assert keywords.pop("command") == "generate"
    assert keywords["prompt"] == "a green star" and keywords["seed"] == 4
    assert keywords["base_sampler"] == "dpm++2m" and keywords["base_guidance_scale"] == 5
    pipe = glide.Pipeline(base, upsampler)
    pixels, _ = glide.load_png(out)
    np.testing.assert_array_equal(pipe.generate(**keywords, progress=False)[0], pixels)

    plain = tmp_path / "plain.png"
    glide.save_png(plain, pixels)
    with pytest.raises(ValueError, match=r"^'[^']*plain.png' holds no glide_parameters text "
                                         "chunk"):
        glide.read_parameters(plain)
    damaged = tmp_path / "damaged.png"
    glide.save_png(damaged, pixels, {"glide_parameters": "{not json"})
    with pytest.raises(ValueError, match="the glide_parameters chunk is damaged: not JSON"):
        glide.read_parameters(damaged)
    record = glide.load_png(out)[1]["glide_parameters"]
    glide.save_png(damaged, pixels, {"glide_parameters": record.replace('"seed":4',
                                                                         '"seed":4,"seed":7')},
                   overwrite=True)
    with pytest.raises(ValueError, match='gives the key "seed" twice'):
        glide.read_parameters(damaged)
    # A second record appended to the file: which one made the image cannot be told.
    data = out.read_bytes()
    body = b"glide_parameters\0" + record.replace('"seed":4', '"seed":9').encode()
    chunk = (struct.pack(">I", len(body)) + b"tEXt" + body
             + struct.pack(">I", zlib.crc32(b"tEXt" + body)))
    twice = tmp_path / "twice.png"
    twice.write_bytes(data[:-12] + chunk + data[-12:])  # before the 12-byte IEND chunk
    with pytest.raises(ValueError, match="holds more than one glide_parameters text chunk"):
        glide.read_parameters(twice)

    # Without upsampling, the upsampler's settings (recorded when given) are left out.
    small = tmp_path / "small.png"
    subprocess.run([cli, "generate", "-p", "a green star", "--base-steps", "4", "--no-upsample",
                    "--upsampler-steps", "3", "--model", str(base), "-q", "-o", str(small)],
                   check=True, timeout=300, capture_output=True)
    keywords = glide.read_parameters(small)
    assert keywords["upsample"] is False
    assert not [k for k in keywords if k.startswith("upsampler_")]


def test_saved_images_carry_the_record_that_remakes_them(default_model_dir: Path,
                                                         tmp_path: Path) -> None:
    base = default_model_dir / "shapes-base.safetensors"
    upsampler = default_model_dir / "shapes-upsampler.safetensors"
    pipe = glide.Pipeline(base, upsampler)
    settings = {**FAST, "base_sampler": "dpm++2m", "base_guidance_scale": 5.0}
    images = pipe.generate(["a red circle", "a blue square"], seed=3, save=tmp_path / "s.png",
                           **settings)
    for k in range(2):
        pixels, text = glide.load_png(tmp_path / f"s-{k}.png")
        np.testing.assert_array_equal(pixels, images[k])
        assert text["model"] == os.path.abspath(base) and len(text["model_sha256"]) == 64
        assert text["upsampler_model"] == os.path.abspath(upsampler)
    keywords = glide.read_parameters(tmp_path / "s-1.png")
    assert keywords.pop("command") == "generate"
    assert (keywords["prompt"], keywords["seed"], keywords["batch_size"]) == ("a blue square", 4, 1)
    assert keywords["base_sampler"] == "dpm++2m" and keywords["base_guidance_scale"] == 5
    alone = pipe.generate(**keywords, progress=False)[0]
    # One image of a batch, made alone: within one 8-bit level (batched kernels sum otherwise).
    assert np.abs(alone.astype(int) - images[1]).max() <= 1

    cli = os.environ.get("GLIDE_CLI")
    if cli:  # the command line remakes what Python wrote
        out = tmp_path / "cli.png"
        subprocess.run([cli, "generate", "--from", str(tmp_path / "s-0.png"), "-q", "-o",
                        str(out)], check=True, timeout=300, capture_output=True)
        assert np.abs(glide.load_png(out)[0].astype(int) - images[0]).max() <= 1

    # An existing file is refused before any work; overwrite=True replaces it.
    before = (tmp_path / "s-0.png").read_bytes()
    steps = []
    with pytest.raises(ValueError, match=r"s-0.png' already exists; refusing to overwrite it "
                                         r"\(pass overwrite=True to replace it\)"):
        pipe.generate("a kite", batch_size=2, save=tmp_path / "s.png", base_respacing="4",
                      upsampler_respacing="3", progress=lambda *step: steps.append(step))
    assert not steps and (tmp_path / "s-0.png").read_bytes() == before
    one = pipe.generate("a kite", save=tmp_path / "s-0.png", overwrite=True, **FAST)
    np.testing.assert_array_equal(glide.load_png(tmp_path / "s-0.png")[0], one[0])
    # A record too large for PNG text is refused before any work, not after it.
    steps.clear()
    with pytest.raises(ValueError, match=r"PNG text 'glide_parameters' is \d+ bytes; glide "
                                         r"writes at most 8 MiB"):
        pipe.generate("\x01" * 1_500_000, save=tmp_path / "huge.png",
                      base_respacing="4", upsampler_respacing="3",
                      progress=lambda *step: steps.append(step))
    assert not steps and not (tmp_path / "huge.png").exists()

    # Two names that are one file (a link) would be written the second over the first.
    (tmp_path / "l-0.png").symlink_to("l-1.png")
    with pytest.raises(ValueError, match=r"l-0.png' and '[^']*l-1.png' name the same file"):
        pipe.generate("a kite", batch_size=2, save=tmp_path / "l.png", overwrite=True, **FAST)
    with pytest.raises(ValueError, match=r"save is '[^']*kite.jpg': glide writes PNG images"):
        pipe.generate("a kite", save=tmp_path / "kite.jpg", **FAST)
    with pytest.raises(TypeError, match="overwrite must be a bool"):
        pipe.generate("a kite", save=tmp_path / "k.png", overwrite="yes", **FAST)

    # Without upsampling, the base images and the base model alone are recorded; return_base
    # changes what is returned, not what is written.
    final, small = pipe.generate("a red circle", batch_size=2, save=tmp_path / "b.png",
                                 upsample=False, return_base=True, **BASE_ONLY)
    pixels, text = glide.load_png(tmp_path / "b-1.png")
    np.testing.assert_array_equal(pixels, final[1])
    assert pixels.shape == (16, 16, 3) and "model" in text and "upsampler_model" not in text

    # upsample() records its own command; the batch is its images'.
    pipe.upsample(small, "a red circle", seed=7, upsampler_respacing="3", progress=False,
                  save=tmp_path / "u.png")
    keywords = glide.read_parameters(tmp_path / "u-1.png")
    assert (keywords["command"], keywords["seed"]) == ("upsample", 8)
    assert "model" not in glide.load_png(tmp_path / "u-1.png")[1]  # the base model took no part

    # A failed write keeps the images: the exception carries them.
    def take_the_name(*step: Any) -> None:
        (tmp_path / "taken.png").write_bytes(b"")

    with pytest.raises(ValueError, match="taken.png' already exists") as raised:
        pipe.generate("a kite", save=tmp_path / "taken.png", base_respacing="4",
                      upsampler_respacing="3", progress=take_the_name)
    made = raised.value.images  # type: ignore[attr-defined]
    assert made.shape == (1, 32, 32, 3) and made.dtype == np.uint8


def test_save_records_only_the_models_a_call_runs_and_refuses_a_replaced_one(
        default_model_dir: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.safetensors"
    base.write_bytes((default_model_dir / "shapes-base.safetensors").read_bytes())
    upsampler = default_model_dir / "shapes-upsampler.safetensors"
    pipe = glide.Pipeline(base, upsampler)
    small = pipe.generate("a red circle", upsample=False, **BASE_ONLY)
    base.unlink()  # upsample() does not run it: neither read nor recorded
    pipe.upsample(small, "a red circle", upsampler_respacing="3", progress=False,
                  save=tmp_path / "u.png")
    assert "model" not in glide.load_png(tmp_path / "u.png")[1]
    # The base model's file is gone (or could have been replaced): the weights in use cannot be
    # named, which is said before any work.
    steps = []
    with pytest.raises(ValueError, match=r"save cannot record the model file '[^']*base"
                                         r".safetensors': it was replaced, changed or removed"):
        pipe.generate("a red circle", upsample=False, save=tmp_path / "b.png",
                      base_respacing="4", progress=lambda *step: steps.append(step))
    assert not steps and not (tmp_path / "b.png").exists()


def test_a_config_given_in_python_is_recorded_for_the_command_line(pipe: glide.Pipeline,
                                                                   tmp_path: Path) -> None:
    # The golden .pt files carry no config: without the recorded one they cannot be loaded.
    images = pipe.generate("a kite", save=tmp_path / "k.png", **FAST)
    record = json.loads(glide.load_png(tmp_path / "k.png")[1]["glide_parameters"])
    assert record["model_configs"] == {"model": pipe.base_config,
                                       "upsampler_model": pipe.upsampler_config}
    cli = os.environ.get("GLIDE_CLI")
    if not cli:
        pytest.skip("GLIDE_CLI (the glide command's path) is not set")
    again = tmp_path / "again.png"
    subprocess.run([cli, "generate", "--from", str(tmp_path / "k.png"), "-q", "-o", str(again)],
                   check=True, timeout=300, capture_output=True)
    np.testing.assert_array_equal(glide.load_png(again)[0], images[0])
    # ... and the command line records them again, for the next --from.
    assert json.loads(glide.load_png(again)[1]["glide_parameters"])["model_configs"] == \
        record["model_configs"]

    # A recorded config that does not fit its checkpoint: the error names the record.
    record["model_configs"]["model"]["num_channels"] = 64
    edited = tmp_path / "edited.png"
    glide.save_png(edited, images[0], {"glide_parameters": json.dumps(record)})
    done = subprocess.run([cli, "generate", "--from", str(edited), "-q", "-o",
                           str(tmp_path / "never.png")], timeout=300, capture_output=True,
                          text=True)
    assert done.returncode == 1 and f"--from {edited}: " in done.stderr, done.stderr
    assert "do not fit model config 'model_configs.model': " in done.stderr, done.stderr
    assert "[64, 3, 3, 3]" in done.stderr, done.stderr


def test_pipeline_from_record_loads_the_models_an_image_was_made_with(
        pipe: glide.Pipeline, default_model_dir: Path, tmp_path: Path) -> None:
    # Configs given as values (the golden .pt files need them) come back from model_configs.
    images = pipe.generate(["a kite", "a boat"], seed=5, save=tmp_path / "k.png", **FAST)
    again = glide.Pipeline.from_record(tmp_path / "k-1.png")
    assert (again.base_path, again.upsampler_path) == (pipe.base_path, pipe.upsampler_path)
    assert (again.base_config, again.upsampler_config) == (pipe.base_config, pipe.upsampler_config)
    kw = glide.read_parameters(tmp_path / "k-1.png")
    assert kw.pop("command") == "generate"
    alone = again.generate(**kw, progress=False)[0]
    assert np.abs(alone.astype(int) - images[1]).max() <= 1
    assert np.abs(alone.astype(int) - images[0]).max() > 8  # the comparison can fail

    # The models a call ran, and no other: upsample() ran the upsampler alone.
    small = pipe.generate("a kite", upsample=False, **BASE_ONLY)
    pipe.upsample(small, "a kite", upsampler_respacing="3", progress=False,
                  save=tmp_path / "u.png")
    only = glide.Pipeline.from_record(tmp_path / "u.png", dtype="bfloat16")
    assert (only.base_path, only.upsampler_config) == (None, pipe.upsampler_config)
    assert only.dtype == "bfloat16"

    # A model file that changed since is loaded with a warning; one that is gone, refused.
    base = tmp_path / "base.safetensors"
    base.write_bytes((default_model_dir / "shapes-base.safetensors").read_bytes())
    glide.Pipeline(base).generate("a kite", upsample=False, save=tmp_path / "b.png", **BASE_ONLY)
    with base.open("ab") as f:
        f.write(b" ")
    with pytest.warns(UserWarning, match=r"model '[^']*base.safetensors' is not the file "
                                         r"'[^']*b.png' was made with \(SHA-256 [0-9a-f]{64}, "
                                         r"now [0-9a-f]{64}\)"):
        glide.Pipeline.from_record(tmp_path / "b.png")
    base.unlink()
    with pytest.raises(FileNotFoundError, match=r"was made with the model file '[^']*base"
                                                r".safetensors', which no longer exists"):
        glide.Pipeline.from_record(tmp_path / "b.png")

    # Records that name no model, or name it wrongly, are damaged.
    record = json.loads(glide.load_png(tmp_path / "k-0.png")[1]["glide_parameters"])
    for files, why in (({}, "names no model file"),
                       ({"model": "x.pt"}, 'files.model is not an object with "path"')):
        edited = tmp_path / "edited.png"
        glide.save_png(edited, images[0], {"glide_parameters": json.dumps({**record,
                                                                          "files": files})},
                       overwrite=True)
        with pytest.raises(ValueError, match=why):
            glide.Pipeline.from_record(edited)


def test_an_image_inpainted_from_arrays_asks_the_command_line_for_both_files(
        inpaint_pipe: glide.Pipeline, tmp_path: Path) -> None:
    mask = np.zeros((16, 16), np.uint8)
    mask[:, :8] = 1
    image = np.full((16, 16, 3), 200, np.uint8)
    inpaint_pipe.inpaint(image, mask, "a door", save=tmp_path / "i.png", upsample=False,
                         **BASE_ONLY)
    assert glide.read_parameters(tmp_path / "i.png")["command"] == "inpaint"
    cli = os.environ.get("GLIDE_CLI")
    if not cli:
        pytest.skip("GLIDE_CLI (the glide command's path) is not set")
    done = subprocess.run([cli, "inpaint", "--from", str(tmp_path / "i.png"), "-q"],
                          timeout=300, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "its record names no input or mask file" in done.stderr
    assert "give --input and --mask" in done.stderr


def test_converted_checkpoint_loads_without_a_config(default_model_dir: Path) -> None:
    converted = glide.Pipeline(base=default_model_dir / "shapes-base.safetensors",
                               upsampler=default_model_dir / "shapes-upsampler.safetensors")
    assert converted.base_config is not None and converted.base_config["image_size"] == 16
    assert converted.upsampler_config is not None
    assert converted.upsampler_config["noise_schedule"] == "linear"


def test_a_config_naming_part_of_the_diffusion_keeps_the_rest_of_the_checkpoints(
    tmp_path: Path, goldens: Path, golden_options: Dict[str, Any]
) -> None:
    options = {**golden_options["superres"], "diffusion_steps": 200}
    converted = tmp_path / "upsampler-200.safetensors"
    glide.convert_checkpoint(goldens / "model_superres.pt", converted, options)
    model_only = {k: v for k, v in options.items()
                  if k not in ("diffusion_steps", "noise_schedule", "timestep_respacing")}
    pipe = glide.Pipeline(upsampler=converted, upsampler_config={**model_only, "prediction": "v"})
    assert pipe.upsampler_config is not None
    # prediction from the config; steps (metadata) and schedule (the upsampler's) kept
    assert (pipe.upsampler_config["prediction"], pipe.upsampler_config["diffusion_steps"],
            pipe.upsampler_config["noise_schedule"]) == ("v", 200, "linear")
    with pytest.raises(ValueError, match="upsampler_config.*prediction"):
        glide.Pipeline(upsampler=converted, upsampler_config={**model_only, "prediction": "x"})


def test_convert_checkpoint_lays_the_configs_diffusion_over_the_checkpoints(
    tmp_path: Path, goldens: Path, golden_options: Dict[str, Any]
) -> None:
    # A config without noise_schedule keeps the upsampler's linear schedule, as Pipeline reads
    # the same config; it used to be written as the base models' cosine one.
    options = {k: v for k, v in golden_options["superres"].items() if k != "noise_schedule"}
    first = tmp_path / "first.safetensors"
    glide.convert_checkpoint(goldens / "model_superres.pt", first, options)
    config = glide.Pipeline(upsampler=first).upsampler_config
    assert config is not None and config["noise_schedule"] == "linear"
    # Converting again with one diffusion key keeps what the source's metadata records.
    second = tmp_path / "second.safetensors"
    glide.convert_checkpoint(first, second, {"prediction": "v", "diffusion_steps": 500})
    config = glide.Pipeline(upsampler=second).upsampler_config
    assert config is not None
    assert (config["prediction"], config["diffusion_steps"], config["noise_schedule"]) == (
        "v", 500, "linear")
    # A bad diffusion value names the argument before any loading, as a ValueError.
    with pytest.raises(ValueError, match="config: .*noise_schedule"):
        glide.convert_checkpoint(first, tmp_path / "bad.safetensors", {"noise_schedule": "nope"})
    assert not (tmp_path / "bad.safetensors").exists()
    # Damaged diffusion metadata in the source is named with its file and key.
    raw = first.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    header["__metadata__"]["glide.diffusion_config"] = '{"noise_schedule": "cubic"}'
    text = json.dumps(header).encode()
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + size:])
    with pytest.raises(glide.GlideError,
                       match=r"damaged\.safetensors: metadata glide\.diffusion_config: .*cubic"):
        glide.convert_checkpoint(damaged, tmp_path / "from_damaged.safetensors", options)


def test_convert_checkpoint_refuses_to_overwrite(default_model_dir: Path, goldens: Path,
                                                 golden_options: Dict[str, Any]) -> None:
    target = default_model_dir / "shapes-base.safetensors"
    before = target.read_bytes()
    with pytest.raises(ValueError, match="already exists"):
        glide.convert_checkpoint(goldens / "model_superres.pt", target, golden_options["superres"])
    assert target.read_bytes() == before
    with pytest.raises(ValueError, match="must end in .safetensors"):
        glide.convert_checkpoint(goldens / "model_text2im.pt", default_model_dir / "x.pt",
                                 golden_options["text2im"])


def test_png_round_trip(tmp_path: Path) -> None:
    image = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / "x.png"
    glide.save_png(path, image, {"prompt": "a red circle"})
    pixels, text = glide.load_png(path)
    np.testing.assert_array_equal(pixels, image)
    assert text == {"prompt": "a red circle"}
    assert glide.encode_png(image[None]).startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match="already exists"):
        glide.save_png(path, image)
    with pytest.raises(ValueError, match="holds 2 images"):
        glide.encode_png(np.zeros((2, 4, 4, 3), np.uint8))
    with pytest.raises(TypeError, match=r"text\['a'\] must be a str, not int"):
        glide.save_png(tmp_path / "y.png", image, {"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="text must be a dict"):
        glide.encode_png(image, ["a"])  # type: ignore[arg-type]
    assert not (tmp_path / "y.png").exists()
    with pytest.raises(ValueError, match="glide writes PNG images; give a name that ends in .png"):
        glide.save_png(tmp_path / "y.jpg", image)
    assert not (tmp_path / "y.jpg").exists()
    with pytest.raises(ValueError, match="only an extension, which would make a hidden file"):
        glide.save_png(tmp_path / ".png", image)
    assert not (tmp_path / ".png").exists()
    glide.save_png(tmp_path / "upper.PNG", image)  # the case of the extension does not matter


def test_paths_are_the_bytes_the_system_names(tmp_path: Path) -> None:
    image = np.zeros((4, 4, 3), np.uint8)
    # A name that is not UTF-8, as os.listdir hands it back (a lone surrogate), and as bytes.
    undecodable = os.fsdecode(b"\xff-image.png")
    glide.save_png(tmp_path / undecodable, image)
    assert os.listdir(os.fsencode(tmp_path)) == [b"\xff-image.png"]
    np.testing.assert_array_equal(glide.load_png(tmp_path / undecodable)[0], image)
    np.testing.assert_array_equal(glide.load_png(os.fsencode(tmp_path) + b"/\xff-image.png")[0],
                                  image)
    # Errors quote such a name with its stray byte shown, as Python shows it.
    with pytest.raises(FileNotFoundError, match=r"\\xff-missing\.png"):
        glide.load_png(os.fsencode(tmp_path) + b"/\xff-missing.png")
    with pytest.raises(FileNotFoundError, match="no-folder' does not exist"):
        glide.save_png(tmp_path / "no-folder" / "x.png", image)
    with pytest.raises(ValueError, match="path .* holds a NUL character"):
        glide.save_png(str(tmp_path / "a\0b.png"), image)
    with pytest.raises(ValueError, match="holds a lone surrogate"):
        glide.load_png("\ud800.png")
    with pytest.raises(ValueError, match=r"holds a lone surrogate \('\\ud800'\)"):
        glide.load_png(Path("\ud800.png"))
    with pytest.raises(TypeError, match=r"path must be a path \(str, bytes or os.PathLike\), "
                                        "not int"):
        glide.load_png(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="destination .* holds a NUL character"):
        glide.convert_checkpoint(tmp_path / "a.pt", "b\0.safetensors")
    assert os.listdir(os.fsencode(tmp_path)) == [b"\xff-image.png"]


def _signature_defaults(function: Any, prefix: str) -> Dict[str, Any]:
    return {name[len(prefix):]: p.default
            for name, p in inspect.signature(function).parameters.items()
            if name.startswith(prefix)}


def _stage_fields(stage: Any) -> Dict[str, Any]:
    names = ("sampler", "respacing", "eta", "guided", "guidance_scale", "guidance_rescale",
             "thresholding", "dynamic_percentile", "temperature")
    return {name: getattr(stage, name) for name in names}


def test_keyword_defaults_are_the_cpp_defaults() -> None:
    S = glide.StageParams
    P = glide.Pipeline
    assert _signature_defaults(P.generate, "base_") == _stage_fields(S.base_defaults())
    assert _signature_defaults(P.generate, "upsampler_") == _stage_fields(S.upsampler_defaults())
    assert _signature_defaults(P.inpaint, "base_") == _stage_fields(S.base_defaults())
    assert (_signature_defaults(P.inpaint, "upsampler_")
            == _stage_fields(S.upsampler_inpaint_defaults()))
    assert _signature_defaults(P.upsample, "upsampler_") == _stage_fields(S.upsampler_defaults())
    g = glide.GenerationParams()
    sig = inspect.signature(P.generate).parameters
    for name in ("negative_prompt", "seed", "upsample", "preview"):
        assert sig[name].default == getattr(g, name), name
    # None: one image per prompt, which for one prompt is the C++ default.
    assert sig["batch_size"].default is None and g.batch_size == 1


def _stub_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_extension_stubs_match_the_module() -> None:
    stubs = _stub_names(PACKAGE / "_glide.pyi")
    runtime = {n for n in dir(glide._glide) if not n.startswith("__")} | {"__version__"}
    assert stubs - {"_Progress", "_Path"} == runtime  # type aliases of the stubs alone
    assert (PACKAGE / "py.typed").is_file()


def test_dir_lists_the_public_names_alone() -> None:
    assert dir(glide) == sorted(glide.__all__)
    assert all(hasattr(glide, name) for name in glide.__all__)


def test_public_names_have_docstrings() -> None:
    for name in glide.__all__:
        obj = getattr(glide, name)
        if inspect.isroutine(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), name
    for method in ("generate", "upsample", "inpaint"):
        assert "Args:" in inspect.getdoc(getattr(glide.Pipeline, method))


def test_a_config_naming_only_diffusion_options_keeps_the_checkpoints_model(
    default_model_dir: Path
) -> None:
    base = default_model_dir / "shapes-base.safetensors"

    def image(config: Any) -> np.ndarray:
        pipe = glide.Pipeline(base=base, base_config=config)
        return pipe.generate("a kite", upsample=False, base_respacing=3, progress=False)

    own = image(None)
    # The golden model is no full-size preset: a whole config would not fit its weights.
    assert np.array_equal(image({"use_fp16": False}), own)
    assert not np.array_equal(image({"noise_schedule": "linear"}), own)
    with pytest.raises(ValueError, match=r"shapes-base.safetensors: the weights do not fit "
                                         r"base_config: "):
        image({"noise_schedule": "linear", "num_channels": 192})


def test_a_diffusion_only_config_needs_a_checkpoint_that_names_its_model() -> None:
    goldens = goldens_dir()
    if goldens is None:
        pytest.skip("golden models not found (set GLIDE_GOLDENS to the goldens folder)")
    model = goldens / "model_text2im.pt"  # no metadata, no preset's shapes
    with pytest.raises(glide.GlideError, match="base_config names only diffusion options; add "
                                               "the model's own"):
        glide.Pipeline(base=model, base_config={"prediction": "epsilon"})
    # A respacing is no diffusion option to lay over the checkpoint's: refused, not dropped.
    with pytest.raises(ValueError, match="timestep_respacing=\"250\" is not read"):
        glide.Pipeline(base=model, base_config={"timestep_respacing": "250"})
