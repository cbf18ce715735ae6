"""Type stubs for the extension module glide._glide (bindings/python/src)."""

from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

# A path as the system takes it: glide's Python layer passes os.fsencode()'s bytes.
_Path = Union[str, bytes]

__version__: str

class GlideError(RuntimeError):
    status: str

class Cancelled(KeyboardInterrupt):
    status: str

def _drain_at_exit() -> None: ...
def tokenize(text: Union[str, bytes]) -> List[int]: ...
def detokenize(ids: List[int]) -> str: ...
def sampler_names() -> List[str]: ...
def _names_model_options(options_json: str) -> bool: ...
def set_num_threads(threads: int) -> None: ...
def num_threads() -> int: ...
def default_model_paths() -> Dict[str, str]: ...
def _convert_checkpoint(
    source: _Path,
    destination: _Path,
    config: Optional[str],
    diffusion: Optional[str],
    overwrite: bool,
) -> None: ...

class StageParams:
    sampler: str
    respacing: str
    eta: Optional[float]
    guided: bool
    guidance_scale: float
    guidance_rescale: float
    thresholding: str
    dynamic_percentile: float
    temperature: float
    def __init__(self) -> None: ...
    @staticmethod
    def base_defaults() -> StageParams: ...
    @staticmethod
    def upsampler_defaults() -> StageParams: ...
    @staticmethod
    def upsampler_inpaint_defaults() -> StageParams: ...
    def validate(self, stage: str, diffusion_steps: int = 1000) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...

class GenerationParams:
    MAX_BATCH_SIZE: ClassVar[int]
    prompts: List[str]
    batch_size: int
    negative_prompt: str
    base: StageParams
    upsampler: StageParams
    upsample: bool
    seed: int
    device: str
    dtype: str
    preview: bool
    def __init__(self) -> None: ...
    def validate(self) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...

_Progress = Optional[Callable[..., Optional[bool]]]

def ineffective_settings(
    params: GenerationParams, fields_set: List[str], base_runs: bool, upsampler_runs: bool
) -> List[Tuple[str, str]]: ...


class _Pipeline:
    def __init__(
        self,
        base: Optional[_Path],
        upsampler: Optional[_Path],
        base_config: Optional[str],
        base_diffusion: Optional[str],
        upsampler_config: Optional[str],
        upsampler_diffusion: Optional[str],
        device: str,
        dtype: str,
        threads: Optional[int],
    ) -> None: ...
    def generate(
        self, params: GenerationParams, progress: _Progress
    ) -> Tuple[np.ndarray, Optional[np.ndarray]]: ...
    def upsample(self, images: Any, params: GenerationParams, progress: _Progress) -> np.ndarray: ...
    def inpaint(
        self, image: Any, mask: Any, params: GenerationParams, progress: _Progress
    ) -> Tuple[np.ndarray, Optional[np.ndarray]]: ...
    def release_cached_networks(self) -> None: ...
    @property
    def base_config(self) -> Optional[Dict[str, Any]]: ...
    @property
    def upsampler_config(self) -> Optional[Dict[str, Any]]: ...
    @property
    def device(self) -> str: ...
    @property
    def dtype(self) -> str: ...

def encode_png(image: Any, text: Dict[str, str] = ...) -> bytes: ...
def save_png(path: _Path, image: Any, text: Dict[str, str] = ..., overwrite: bool = False) -> None: ...
def load_png(path: _Path) -> Tuple[np.ndarray, Dict[str, str]]: ...
def _png_text(path: _Path) -> Tuple[Dict[str, str], Set[str]]: ...
def _new_output_paths(path: _Path, batch: int, overwrite: bool) -> List[bytes]: ...
def _record_file(role: str, path: _Path) -> Tuple[str, bytes, str]: ...
def _check_records_fit(
    command: str,
    params: GenerationParams,
    base_stage: bool,
    upsampler_stage: bool,
    files: Sequence[Tuple[str, bytes, str]],
    extra_json: str,
    count: int,
) -> None: ...
def _write_images(
    images: Any,
    paths: Sequence[_Path],
    overwrite: bool,
    command: str,
    params: GenerationParams,
    base_stage: bool,
    upsampler_stage: bool,
    files: Sequence[Tuple[str, bytes, str]],
    extra_json: str,
) -> None: ...
def image_stats(images: Any) -> Union[Dict[str, float], List[Dict[str, float]]]: ...

class _TrainOptions:
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    lr_schedule: str
    min_lr_ratio: float
    weight_decay: float
    ema_decay: float
    grad_clip: float
    caption_dropout: float
    x0_weight_cap: float
    high_noise_fraction: float
    precision: str
    freeze_text_encoder: bool
    upsample_factor: int
    crop_size: int
    seed: int
    checkpoint_every: int
    def __init__(self) -> None: ...

def _train(
    options: _TrainOptions,
    config: Optional[str],
    config_file: Optional[_Path],
    checkpoint: _Path,
    dataset: str,
    images: Optional[_Path],
    dataset_seed: int,
    init_from: Optional[_Path],
    export: Optional[_Path],
    export_dtype: str,
    loss_curve: Optional[_Path],
    overwrite: bool,
    threads: int,
    progress: Optional[Callable[[Dict[str, Any]], Optional[bool]]],
) -> Dict[str, Any]: ...
