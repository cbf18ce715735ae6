"""Pipeline.generate / upsample / inpaint on the golden tiny models: shapes, seeds, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import glide
from conftest import BASE_ONLY, FAST


def test_generate_shapes_and_dtype(pipe: glide.Pipeline) -> None:
    images, base = pipe.generate("a red circle", batch_size=2, return_base=True, **FAST)
    assert images.dtype == np.uint8 and images.shape == (2, 32, 32, 3)
    assert base.dtype == np.uint8 and base.shape == (2, 16, 16, 3)
    only_base = pipe.generate("a red circle", batch_size=2, upsample=False, **BASE_ONLY)
    assert only_base.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(only_base, base)  # same seed: the same base stage


def test_same_seed_same_images_other_seed_other_images(pipe: glide.Pipeline) -> None:
    a = pipe.generate("a blue square", seed=7, **FAST)
    b = pipe.generate("a blue square", seed=7, **FAST)
    c = pipe.generate("a blue square", seed=8, **FAST)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).max() > 10


def test_calls_see_their_own_prompts_and_releasing_the_networks_changes_nothing(
        pipe: glide.Pipeline) -> None:
    first = pipe.generate("a blue square", seed=7, **FAST)
    other = pipe.generate("a yellow star", seed=7, **FAST)
    assert np.abs(first.astype(int) - other.astype(int)).max() > 10
    pipe.release_cached_networks()
    np.testing.assert_array_equal(pipe.generate("a blue square", seed=7, **FAST), first)


def test_batch_image_k_equals_single_run_with_seed_plus_k(pipe: glide.Pipeline) -> None:
    batch = pipe.generate("a green triangle", batch_size=2, seed=40, **FAST)
    first = pipe.generate("a green triangle", seed=40, **FAST)
    second = pipe.generate("a green triangle", seed=41, **FAST)
    # Batched kernels may reassociate float sums: allow one 8-bit step.
    assert np.abs(batch[0].astype(int) - first[0].astype(int)).max() <= 1
    assert np.abs(batch[1].astype(int) - second[0].astype(int)).max() <= 1
    assert np.abs(batch[0].astype(int) - batch[1].astype(int)).max() > 10


def test_prompt_list_one_per_image(pipe: glide.Pipeline) -> None:
    images = pipe.generate(["a cat", "a dog"], batch_size=2, **FAST)
    assert images.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match=r"^prompt has 3 entries but batch_size is 2; give "
                       r"batch_size = 3 \(one image per prompt\)"):
        pipe.generate(["a", "b", "c"], batch_size=2, **FAST)
    # Without batch_size, a list makes one image per prompt, up to a batch's most.
    np.testing.assert_array_equal(pipe.generate(["a cat", "a dog"], **FAST), images)
    with pytest.raises(ValueError, match="^prompt has 257 entries; a call makes at most 256"):
        pipe.generate(["a"] * 257, **FAST)
    with pytest.raises(ValueError, match="prompt is an empty list"):
        pipe.generate([], **FAST)
    with pytest.raises(TypeError, match=r"prompt\[1\] must be a str"):
        pipe.generate(["a", 3], batch_size=2, **FAST)


@pytest.mark.parametrize(
    "keyword, value",
    [
        ("base_guidance_scale", -1.0),
        ("base_guidance_rescale", 2.0),
        ("base_sampler", "nope"),
        ("base_respacing", "abc"),
        ("base_thresholding", "sometimes"),
        ("base_dynamic_percentile", 0.0),
        ("base_eta", float("nan")),
        ("upsampler_temperature", 0.0),
        ("upsampler_respacing", "2000"),
        ("batch_size", 0),
        ("batch_size", 257),
    ],
)
def test_invalid_hyperparameter_raises_value_error_naming_it(
    pipe: glide.Pipeline, keyword: str, value: object
) -> None:
    with pytest.raises(ValueError, match=rf"\b{keyword}\b") as info:
        pipe.generate("x", **{**FAST, keyword: value})
    assert getattr(info.value, "status", None) == "invalid_argument"


def test_invalid_device_dtype_and_seed(pipe: glide.Pipeline) -> None:
    with pytest.raises(ValueError, match="dtype is \"int8\""):
        pipe.generate("x", dtype="int8", **FAST)
    with pytest.raises(ValueError, match="device is \"tpu\""):
        pipe.generate("x", device="tpu", **FAST)
    with pytest.raises(ValueError, match="dtype is float16 and device is cpu"):
        pipe.generate("x", dtype="float16", **FAST)
    # A pipeline that could never run is refused before its models load.
    with pytest.raises(ValueError, match="dtype is float16 and device is cpu"):
        glide.Pipeline("no-such-base.pt", dtype="float16")
    with pytest.raises(ValueError, match=r"seed is -1"):
        pipe.generate("x", seed=-1, **FAST)
    with pytest.raises(TypeError, match="base_guided must be a bool"):
        pipe.generate("x", base_guided="yes", **FAST)
    with pytest.raises(TypeError, match="base_guidance_scale must be a number"):
        pipe.generate("x", base_guidance_scale="3", **FAST)
    # What pybind11 would take silently (True as 1.0) or reject without a name (2**70).
    with pytest.raises(TypeError, match="base_guidance_scale must be a number, not bool"):
        pipe.generate("x", base_guidance_scale=True, **FAST)
    with pytest.raises(ValueError, match=r"batch_size is 1180591620717411303424; it must lie in "
                       r"\[1, 256\]"):
        pipe.generate("x", batch_size=2**70, **FAST)
    with pytest.raises(TypeError, match="batch_size must be an int, not bool"):
        pipe.generate("x", batch_size=True, **FAST)
    # Long values are cut when quoted; ints beyond a float are named so; 1 is no bool, b"" no str.
    with pytest.raises(ValueError, match=r"base_guidance_scale is 1{40}\.\.\. \(601 characters\), "
                       "beyond the range of a float"):
        pipe.generate("x", base_guidance_scale=int("1" * 601), **FAST)
    with pytest.raises(TypeError, match=r"upsample must be a bool, not int \(1\)"):
        pipe.generate("x", upsample=1, **FAST)
    with pytest.raises(TypeError, match="negative_prompt must be a str, not bytes"):
        pipe.generate("x", negative_prompt=b"dark", **FAST)
    with pytest.raises(TypeError, match="device must be a str, not bytes"):
        pipe.generate("x", device=b"cpu", **FAST)
    # The arguments around the parameters are checked the same way, by name.
    with pytest.raises(TypeError, match=r"return_base must be a bool, not str \('no'\)"):
        pipe.generate("x", return_base="no", **FAST)
    for keyword, value, message in (("threads", True, "threads must be an int, not bool"),
                                    ("threads", 1.5, "threads must be an int, not float"),
                                    ("device", None, "device must be a str, not NoneType"),
                                    ("base", 3, "base must be")):
        with pytest.raises(TypeError, match=message):
            glide.Pipeline(**{"base": "no-such-base.pt", keyword: value})
    with pytest.raises(TypeError, match="overwrite must be a bool, not int"):
        glide.save_png("x.png", np.zeros((1, 1, 3), np.uint8), overwrite=1)
    with pytest.raises(ValueError, match=r"base_config: 'dropout' is nan; it must be a finite"):
        glide.Pipeline("no-such-base.pt", base_config={"image_size": 64, "dropout": math.nan})
    # Without the upsampler, return_base's two arrays are still two.
    images, base = pipe.generate("x", upsample=False, return_base=True, **BASE_ONLY)
    assert images is not base and np.array_equal(images, base)
    with pytest.raises(ValueError, match='device is "cpu:1"'):
        pipe.generate("x", device="cpu:1", **FAST)
    images = pipe.generate("x", upsample=np.bool_(False), **BASE_ONLY)  # numpy's bool is a bool
    assert images.shape[1] == 16
    with pytest.raises(ValueError, match=r"prompt\[1\] is not valid Unicode"):
        pipe.generate(["x", "\udc80"], **FAST)
    with pytest.raises(ValueError, match="negative_prompt is not valid Unicode"):
        pipe.generate("x", negative_prompt="\ud800", **FAST)
    with pytest.raises(TypeError, match="progress must be"):
        pipe.generate("x", progress="loud", base_respacing="6", upsampler_respacing="3")


def test_integer_respacing_and_numpy_seed(pipe: glide.Pipeline) -> None:
    a = pipe.generate("a star", seed=np.uint64(5), **{**FAST, "base_respacing": 4})
    b = pipe.generate("a star", seed=5, **FAST)
    np.testing.assert_array_equal(a, b)
    # A loop over numpy.arange hands numpy integers; a bool is no step count.
    c = pipe.generate("a star", seed=5, **{**FAST, "base_respacing": np.int64(4)})
    np.testing.assert_array_equal(a, c)
    with pytest.raises(TypeError, match="base_respacing must be a str or int, not bool"):
        pipe.generate("a star", **{**FAST, "base_respacing": True})
    with pytest.raises(TypeError, match="base_respacing must be a str or int, not ndarray"):
        pipe.generate("a star", **{**FAST, "base_respacing": np.array([2])})


def test_upsample_images(pipe: glide.Pipeline) -> None:
    base = pipe.generate("a moon", batch_size=2, upsample=False, **BASE_ONLY)
    up = pipe.upsample(base, "a moon", upsampler_respacing="3", progress=False)
    assert up.dtype == np.uint8 and up.shape == (2, 32, 32, 3)
    again = pipe.upsample(base, "a moon", upsampler_respacing="3", progress=False)
    np.testing.assert_array_equal(up, again)
    single = pipe.upsample(base[1], "a moon", seed=1, upsampler_respacing="3", progress=False)
    assert single.shape == (1, 32, 32, 3)
    # Image k uses seed + k, so the second image alone with seed 1 is the batch's second.
    assert np.abs(single[0].astype(int) - up[1].astype(int)).max() <= 1
    # The batch is the images': a prompt count that fits neither is named in their terms.
    with pytest.raises(ValueError, match="upsample: 3 prompts for 2 images; give one prompt for every image, or one for all"):
        pipe.upsample(base, ["a", "b", "c"], upsampler_respacing="3", progress=False)
    many = np.zeros((glide.GenerationParams.MAX_BATCH_SIZE + 1, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match=r"^upsample: 257 images at once; at most 256"):
        pipe.upsample(many, "x", upsampler_respacing="3", progress=False)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((16, 16, 3), np.float32), r"dtype float32 \(convert \[0, 1\] floats"),
        # A nested list of ints is int64: its values only change type.
        ([[[0, 0, 0]] * 4] * 4, r"dtype int64 \(convert 0..255 integers with .*astype"),
        (np.zeros((16, 16, 4), np.uint8), r"shape \(16, 16, 4\)"),
        (np.zeros((16, 16), np.uint8), r"shape \(16, 16\)"),
        (np.zeros((1, 1, 16, 16, 3), np.uint8), r"shape \(1, 1, 16, 16, 3\)"),
        (np.zeros((0, 16, 16, 3), np.uint8), "empty"),
        ("not an image", "dtype <U12, which holds no pixel values"),
        (None, "got None$"),
        (np.zeros((16, 16, 3), bool), r"dtype bool \(convert a bool image with x\.astype"),
    ],
)
def test_upsample_rejects_bad_arrays(pipe: glide.Pipeline, images: object, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^images must be uint8 RGB .*{message}"):
        pipe.upsample(images, "x", progress=False)


def test_noncontiguous_input_is_read_correctly(pipe: glide.Pipeline) -> None:
    base = pipe.generate("a tree", upsample=False, **BASE_ONLY)
    flipped = base[:, ::-1, :, :]  # a negative-stride view
    a = pipe.upsample(flipped, "a tree", upsampler_respacing="3", progress=False)
    b = pipe.upsample(np.ascontiguousarray(flipped), "a tree", upsampler_respacing="3",
                      progress=False)
    np.testing.assert_array_equal(a, b)


def _half_mask() -> np.ndarray:
    mask = np.zeros((16, 16), np.uint8)
    mask[:, :8] = 1  # keep the left half
    return mask


def test_inpaint_keeps_the_known_region(inpaint_pipe: glide.Pipeline) -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    images, base = inpaint_pipe.inpaint(image, _half_mask(), "a hat", return_base=True, **FAST)
    assert images.shape == (1, 32, 32, 3) and base.shape == (1, 16, 16, 3)
    known = np.abs(base[0, :, :8].astype(int) - image[:, :8].astype(int)).max()
    filled = np.abs(base[0, :, 8:].astype(int) - image[:, 8:].astype(int)).mean()
    assert known <= 1, "the kept half must come back unchanged"
    assert filled > 20, "the masked-out half is generated, not copied"
    as_bool = inpaint_pipe.inpaint(image, _half_mask().astype(bool), "a hat", upsample=False,
                                   **BASE_ONLY)
    np.testing.assert_array_equal(as_bool, base)
    # A mask that keeps everything fills in nothing: a warning at the caller's line says so.
    with pytest.warns(UserWarning, match="mask keeps every pixel") as caught:
        inpaint_pipe.inpaint(image, np.ones((16, 16), bool), "a hat", upsample=False, **BASE_ONLY)
    assert caught[0].filename == __file__


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.ones((16, 16), np.float32), "dtype float32"),
        (np.ones((1, 16, 16, 1), np.uint8), r"shape \(1, 16, 16, 1\)"),
        (np.ones((16,), np.uint8), r"shape \(16,\)"),
        (np.ones((16, 16, 3), np.uint8), r"shape \(16, 16, 3\), an \(H, W, channels\) image"),
    ],
)
def test_inpaint_rejects_bad_masks(inpaint_pipe: glide.Pipeline, mask: np.ndarray,
                                   message: str) -> None:
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match=rf"^mask must be a bool or uint8 keep-mask.*{message}"):
        inpaint_pipe.inpaint(image, mask, "x", **FAST)


def test_inpaint_mask_batch_must_fit(inpaint_pipe: glide.Pipeline) -> None:
    image = np.zeros((16, 16, 3), np.uint8)
    # Described as numpy would: the user passed a numpy array.
    with pytest.raises(ValueError, match=r"^mask .*; got dtype uint8 of shape \(3, 16, 16\)"):
        inpaint_pipe.inpaint(image, np.ones((3, 16, 16), np.uint8), "x", batch_size=2, **FAST)


def test_inpaint_needs_inpainting_models(pipe: glide.Pipeline) -> None:
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="inpaint"):
        pipe.inpaint(image, _half_mask(), "x", **FAST)


def test_the_interpreters_denormals_survive_glide(pipe: glide.Pipeline) -> None:
    # glide flushes denormals to zero in the threads it computes on, not in Python's afterwards.
    pipe.generate("x", **FAST)
    glide.set_num_threads(glide.num_threads())
    assert float("5e-324") > 0.0
    assert 2.2250738585072014e-308 / 2 > 0.0


def test_errors_raised_in_python_carry_a_status_too(pipe: glide.Pipeline) -> None:
    # python.md: every glide error has .status, whether C++ or the Python checks raised it.
    with pytest.raises(TypeError) as wrong_type:
        pipe.generate("x", base_guided="yes", **FAST)
    with pytest.raises(ValueError) as empty:
        pipe.generate([], **FAST)
    with pytest.raises(ValueError) as too_big:
        pipe.generate("x", batch_size=10**6, **FAST)
    for info in (wrong_type, empty, too_big):
        assert getattr(info.value, "status", None) == "invalid_argument", info.value


def test_unknown_keywords_name_the_ones_meant(pipe: glide.Pipeline) -> None:
    with pytest.raises(TypeError, match=r"^generate\(\) got an unexpected keyword argument "
                                        r"'guidance_scale'; did you mean base_guidance_scale or "
                                        r"upsampler_guidance_scale\?$"):
        pipe.generate("a red circle", guidance_scale=5.0, **FAST)
    with pytest.raises(TypeError, match="'steps'; did you mean base_respacing or "
                                        "upsampler_respacing"):
        pipe.generate("a red circle", steps=10, **FAST)
    with pytest.raises(TypeError, match="'base_guidnce_scale'; did you mean base_guidance_scale"):
        pipe.generate("a red circle", base_guidnce_scale=5.0, **FAST)
    # upsample() has no base stage, so only the upsampler's is meant.
    with pytest.raises(TypeError, match=r"'guidance_scale'; did you mean "
                                        r"upsampler_guidance_scale\?$"):
        pipe.upsample(np.zeros((8, 8, 3), np.uint8), "x", guidance_scale=5.0, progress=False)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'colour'$"):
        pipe.generate("a red circle", colour="red", **FAST)


def test_settings_other_keywords_make_pointless_warn(pipe: glide.Pipeline) -> None:
    # GLIDE's upsampler is unguided: its guidance scale alone changes nothing.
    with pytest.warns(UserWarning, match=r"upsampler_guidance_scale has no effect: the upsampler "
                                         r"stage is unguided \(pass upsampler_guided=True\)"
                      ) as caught:
        pipe.generate("a red circle", upsampler_guidance_scale=5.0, **FAST)
    assert caught[0].filename == __file__  # the caller's line, not glide's
    with pytest.warns(UserWarning, match="upsampler_respacing has no effect with upsample=False"):
        pipe.generate("a red circle", upsample=False, **FAST)  # FAST sets upsampler_respacing
    with pytest.warns(UserWarning, match="base_dynamic_percentile has no effect: "
                                         "base_thresholding is 'clip'"):
        pipe.generate("a red circle", base_dynamic_percentile=0.9, **FAST)
    with pytest.warns(UserWarning, match="negative_prompt has no effect: no stage is guided"):
        pipe.generate("a red circle", negative_prompt="blue", base_guided=False, **FAST)
    # Settings that act warn about nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.generate("a red circle", negative_prompt="blue", base_guidance_scale=5.0,
                      upsampler_guided=True, upsampler_guidance_scale=2.0,
                      base_thresholding="dynamic", base_dynamic_percentile=0.9, **FAST)
        pipe.upsample(np.zeros((8, 8, 3), np.uint8), "a red circle", upsampler_respacing="3",
                      progress=False)
