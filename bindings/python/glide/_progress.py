"""Progress reporting for glide's long calls: a text bar on stderr, tqdm in notebooks, or a
user callable."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, NamedTuple, Optional, Union

from . import _checks

#: What ``progress=`` accepts: True (a bar), False/None (silence), or
#: ``callable(stage, step, total) -> bool | None`` (``preview=True`` adds a 4th argument, the
#: step's predicted image as uint8 (B, H, W, 3); ``preview="tensors"`` a StepPreview instead).
#: Returning False cancels the call; a result other than None, True or False is a TypeError.
ProgressArg = Union[bool, None, Callable[..., Optional[bool]]]

class StepPreview(NamedTuple):
    """What a progress callable gets as its 4th argument with ``preview="tensors"``: one step's
    first network evaluation (a heun step evaluates twice), one row per image."""

    image: Any  #: the predicted x_0 as uint8 (B, H, W, 3), what ``preview=True`` passes
    timestep: int  #: in the stage's full schedule (999 down to 0 for GLIDE), not the step index
    x_t: Any  #: the noisy sample the network saw, float32 (B, 3, H, W)
    x0: Any  #: its predicted x_0 after thresholding, float32 (B, 3, H, W)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), where stderr is not a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython without get_ipython, or one being torn down
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class TextBar:
    """A one-line bar per stage on a stream: redrawn in place (at most 10 times a second) on a
    terminal or in a notebook, else a single summary line when each stage ends (and, with
    ``every``, a line every that many steps). ``postfix`` adds text after the bar, such as a
    training step's loss."""

    width = 30

    def __init__(self, stream: Any = None, live: Optional[bool] = None, every: int = 0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            try:
                live = bool(isatty and isatty()) or in_notebook()
            except (OSError, ValueError):  # a closed stream; _write then drops the bar
                live = False
        self.live = live
        self.every = every
        self._stage: Optional[str] = None
        self._start = 0.0
        self._drawn = 0.0
        self._length = 0  # of the line drawn last, which a shorter one must cover

    def __call__(self, stage: str, step: int, total: int, preview: Any = None, *,
                 postfix: str = "") -> None:
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._start, self._drawn, self._length = stage, now, 0.0, 0
        done = step >= total
        extra = f"  {postfix}" if postfix else ""
        if self.live and (done or now - self._drawn >= 0.1):
            filled = self.width * step // max(total, 1)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{stage:<17} [{bar}] {step}/{total} {now - self._start:6.1f}s{extra}"
            self._length, line = len(line), line.ljust(self._length)
            self._write(f"\r{line}" + ("\n" if done else ""))
            self._drawn = now
        elif done and not self.live:
            self._write(f"glide: {stage}: {total} steps in {now - self._start:.1f}s{extra}\n")
        elif not self.live and self.every > 0 and step % self.every == 0:
            self._write(f"glide: {stage}: step {step}/{total} {now - self._start:.1f}s{extra}\n")
        if done:
            self._stage = None  # the line is finished; close() has nothing to end

    def close(self) -> None:
        """Ends a bar left open by a cancelled or failed call."""
        if self.live and self._stage is not None:
            self._write("\n")
        self._stage = None

    def _write(self, text: str) -> None:
        # A stream that cannot take the line (None under pythonw, closed, a broken pipe) ends the
        # bar, not the call: the images being made matter more than their progress.
        if self.stream is None:
            return
        try:
            self.stream.write(text)
            flush = getattr(self.stream, "flush", None)  # a writer without flush() is fine
            if flush is not None:
                flush()
        except (OSError, ValueError, AttributeError):
            self.stream = None


class TqdmBar:
    """One tqdm.auto bar per stage (a widget in notebooks)."""

    def __init__(self, tqdm: Callable[..., Any]) -> None:
        self._tqdm = tqdm
        self._bar: Any = None
        self._stage: Optional[str] = None

    def __call__(self, stage: str, step: int, total: int, preview: Any = None, *,
                 postfix: str = "") -> None:
        if stage != self._stage:
            self.close()
            self._bar = self._tqdm(total=total, desc=stage, leave=True)
            self._stage = stage
        if postfix:
            self._bar.set_postfix_str(postfix, refresh=False)
        self._bar.update(step - self._bar.n)
        if step >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._stage = None, None


def default_bar(every: int = 0) -> Union[TextBar, TqdmBar]:
    """The bar ``progress=True`` shows: tqdm.auto in a notebook when installed, else text
    (``every``: see TextBar)."""
    if in_notebook():
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return TqdmBar(tqdm)
    return TextBar(every=every)


def resolve(progress: ProgressArg) -> Optional[Callable[..., Optional[bool]]]:
    """The callable a ``progress=`` argument stands for, or None for no reporting."""
    if progress is True:
        return default_bar()
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise _checks.wrong_type(
        "progress must be True, False, None or a callable(stage, step, total) -> bool | None; "
        f"got {type(progress).__name__}"
    )


def with_preview(reporter: Optional[Callable[..., Optional[bool]]],
                 preview: Any) -> Optional[Callable[..., Optional[bool]]]:
    """The callable the C++ side calls: it passes (stage, step, total) without a preview and
    (stage, step, total, image, timestep, x_t, x0) with one; ``reporter`` gets what ``preview``
    asked for."""
    if reporter is None or preview is False:
        return reporter

    def forward(stage: str, step: int, total: int, image: Any = None, timestep: int = -1,
                x_t: Any = None, x0: Any = None) -> Optional[bool]:
        if image is None:
            return reporter(stage, step, total)
        if preview == "tensors":
            return reporter(stage, step, total, StepPreview(image, timestep, x_t, x0))
        return reporter(stage, step, total, image)

    return forward


def close(reporter: Any) -> None:
    """Closes a bar that a call left open (no-op for user callables without close())."""
    if isinstance(reporter, (TextBar, TqdmBar)):
        reporter.close()
