#!/usr/bin/env python3
"""Times the reference implementation (openai/glide-text2im) and `glide bench` side by side on
this machine, at the same thread count, and prints their ratios: glide in float32 and bfloat16
against the reference in float32 (what it runs on a CPU).

The reference is not part of glide: pass a checkout of it with --reference (it needs Python's
torch, numpy and regex; on Debian: apt install python3-torch python3-regex). Both sides build
the official shapes with seeded random weights and time one network evaluation after a warm-up,
median of --repeats:

  base step      the 64x64 model on 2 rows (one image with classifier-free guidance). The
                 reference runs its text transformer inside every forward call; glide encodes
                 the prompt once per generation, as it does when sampling.
  upsampler step the 256x256 model on 1 row.

Usage: bench/reference_cpu.py --reference ~/glide-text2im [--threads 2] [--repeats 3]
       [--only base|upsampler] [--glide build/src/cli/glide] [--glide-dtypes float32,bfloat16]
       [--json out.json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def reference_step_ms(reference, which, threads, repeats):
    import torch

    sys.path.insert(0, os.path.abspath(reference))
    from glide_text2im.model_creation import (  # noqa: E402  (the path is only known now)
        create_model_and_diffusion,
        model_and_diffusion_defaults,
        model_and_diffusion_defaults_upsampler,
    )

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    options = (model_and_diffusion_defaults() if which == "base"
               else model_and_diffusion_defaults_upsampler())
    options["use_fp16"] = False
    model, _ = create_model_and_diffusion(**options)
    model.eval()
    rows = 2 if which == "base" else 1
    size = options["image_size"]
    tokens = torch.randint(0, 50000, (rows, options["text_ctx"]))
    mask = torch.ones(rows, options["text_ctx"], dtype=torch.bool)
    x = torch.randn(rows, 3, size, size)
    t = torch.full((rows,), 500, dtype=torch.long)
    kwargs = dict(tokens=tokens, mask=mask)
    if which == "upsampler":
        kwargs["low_res"] = torch.randn(rows, 3, 64, 64)
    times = []
    with torch.no_grad():
        for i in range(repeats + 1):
            start = time.perf_counter()
            model(x, t, **kwargs)
            if i > 0:  # the first call is the warm-up
                times.append((time.perf_counter() - start) * 1000)
    del model
    return statistics.median(times)


def glide_step_ms(glide, which, threads, repeats, dtype):
    out = subprocess.run(
        [glide, "bench", "--only", which, "--batch", "1", "--threads", str(threads),
         "--repeats", str(repeats), "--dtype", dtype, "--json"],
        check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    return report["base_step_ms" if which == "base" else "upsampler_step_ms"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="a checkout of openai/glide-text2im")
    parser.add_argument("--glide", default=os.path.join(root, "build/src/cli/glide"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["base", "upsampler"], action="append")
    parser.add_argument("--glide-dtypes", default="float32,bfloat16",
                        help="the dtypes glide runs in, each against the reference's float32")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.reference, "glide_text2im")):
        parser.error(f"--reference {args.reference!r} holds no glide_text2im package")
    if not os.access(args.glide, os.X_OK):
        parser.error(f"--glide {args.glide!r} is not an executable (build glide first)")

    dtypes = args.glide_dtypes.split(",")
    results = {"threads": args.threads, "reference_dtype": "float32", "repeats": args.repeats}
    print(f"{args.threads} threads, median of {args.repeats} after a warm-up; "
          f"the reference runs float32")
    print(f"{'step':<12}{'reference ms':>14}" +
          "".join(f"{'glide ' + d + ' ms':>22}{'ratio':>8}" for d in dtypes))
    for which in args.only or ["base", "upsampler"]:
        # Alternate the two so that a change in the machine's load hits both.
        ref = reference_step_ms(args.reference, which, args.threads, args.repeats)
        results[which] = {"reference_ms": ref}
        line = f"{which:<12}{ref:>14.0f}"
        for dtype in dtypes:
            ours = glide_step_ms(args.glide, which, args.threads, args.repeats, dtype)
            results[which][dtype] = {"glide_ms": ours, "ratio": ours / ref}
            line += f"{ours:>22.0f}{ours / ref:>8.2f}"
        print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
