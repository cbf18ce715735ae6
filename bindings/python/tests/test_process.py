"""glide in a process's life: a script that ends while a daemon thread samples, and fork()."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import glide
from conftest import FAST

DAEMON_AT_EXIT = """
import json, sys, threading, glide
goldens = sys.argv[1]
options = json.load(open(goldens + "/models.json"))["text2im"]["options"]
pipe = glide.Pipeline(goldens + "/model_text2im.pt", base_config=options)
sampling = threading.Event()
threading.Thread(daemon=True, target=lambda: pipe.generate(
    "a kite", base_respacing="1000", upsample=False,
    progress=lambda *step: sampling.set())).start()
sampling.wait(60)
print("exiting while the daemon thread samples", flush=True)
"""


def test_a_script_ending_while_a_daemon_thread_samples_exits_cleanly(goldens: Path) -> None:
    # CPython ended such a thread with pthread_exit when it took the GIL back after a step; the
    # unwinding through glide's C++ frames aborted the process (SIGABRT, "terminate called").
    done = subprocess.run([sys.executable, "-c", DAEMON_AT_EXIT, str(goldens)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "exiting while the daemon thread samples" in done.stdout


FINALIZER_AT_EXIT = """
import glide
class Tokenizes:
    def __del__(self, tokenize=glide.tokenize):
        print("tokens at exit", tokenize("x"), flush=True)
alive_at_exit = Tokenizes()
"""


def test_glide_calls_from_finalizers_at_exit_still_run() -> None:
    # The thread that finalizes takes the GIL back as any other: it must not wait for the end.
    done = subprocess.run([sys.executable, "-c", FINALIZER_AT_EXIT], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tokens at exit [87]" in done.stdout


def wait_for(pid: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child still ran after {seconds} s (hung)")
        time.sleep(0.1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_samples_on_one_thread(pipe: glide.Pipeline) -> None:
    # GNU OpenMP's workers do not survive fork(): a child of a process that sampled on two
    # threads waited forever at its first parallel region (multiprocessing's default on Linux).
    threads = glide.num_threads()
    glide.set_num_threads(2)
    expected = pipe.generate("a kite", **FAST)
    glide.set_num_threads(1)  # OpenMP's pool of two stays: the child must not count on one
    try:
        pid = os.fork()
    except BaseException:
        glide.set_num_threads(threads)
        raise
    if pid == 0:  # the child: 0 when it samples (on one thread: the sums may differ in the last
        code = 3  # bits, so not compared) and refuses more threads, saying why
        try:
            made = pipe.generate("a kite", **FAST)
            code = 1 if made.shape != expected.shape else 2
            glide.set_num_threads(2)
        except glide.GlideError as e:
            code = 0 if code == 2 and "spawn" in str(e) and glide.num_threads() == 1 else 4
        finally:
            os._exit(code)
    try:
        assert wait_for(pid, 120) == 0
        assert glide.num_threads() == 1  # the parent's own count is its own
    finally:
        glide.set_num_threads(threads)


BAD_THREADS = """
import json, sys, glide
goldens = sys.argv[1]
options = json.load(open(goldens + "/models.json"))["text2im"]["options"]
for attempt in (1, 2):
    try:
        glide.Pipeline(goldens + "/model_text2im.pt", base_config=options)
        print(f"attempt {attempt} made a pipeline")
    except ValueError as e:
        print(f"attempt {attempt}: {e}")
"""


def test_a_bad_thread_count_in_the_environment_fails_every_call(goldens: Path) -> None:
    # The first call used to fail and mark the choice made, so the next ran on one thread.
    done = subprocess.run([sys.executable, "-c", BAD_THREADS, str(goldens)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "GLIDE_NUM_THREADS": "abc"})
    assert done.returncode == 0, done.stderr
    for attempt in (1, 2):
        assert f'attempt {attempt}: GLIDE_NUM_THREADS="abc" is not a thread count' in done.stdout


OUT_OF_MEMORY = """
import json, resource, sys
import numpy as np, glide
goldens = sys.argv[1]
options = json.load(open(goldens + "/models.json"))["superres"]["options"]
pipe = glide.Pipeline(upsampler=goldens + "/model_superres.pt", upsampler_config=options)
limit = 8 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    pipe.upsample(np.broadcast_to(np.uint8(7), (1, 60000, 60000, 3)), "x", progress=False)
except glide.GlideError as e:
    print(e.status, e)
"""


def test_no_memory_for_an_input_is_out_of_memory(goldens: Path) -> None:
    # Copying a broadcast array needs its full 10.8 GB: numpy's MemoryError came out as
    # pybind11's "Internal error: error_already_set called while Python error indicator not set".
    done = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY, str(goldens)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("out_of_memory no memory for a contiguous copy of a uint8 array "
                                  "of shape (1, 60000, 60000, 3) (10800000000 bytes)"), done.stdout
