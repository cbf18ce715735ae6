#!/usr/bin/env python3
"""Times the reference implementation's whole default pipeline on a CUDA device, for a ratio
against `glide bench` measured on the same card in the same run (bench/gpu.sh calls both).

The reference is not part of glide: pass a checkout of openai/glide-text2im with --reference.
What is timed is what GLIDE's text2im notebook runs, with random weights of the official shapes
in float16 (the notebook's choice on a GPU): the base model's 100-step guided DDPM at scale 3 over
[prompts; empty prompts], then the upsampler's fast27 DDIM with noise scaled by 0.997, from a
prompt to 256x256 samples on the device. The warm-up is one forward pass of each model at each
batch size; each figure is the median of --repeats.

Usage: bench/reference_gpu.py --reference DIR [--batch 1,4,16] [--repeats 1] [--json out.json]
"""

import argparse
import json
import os
import statistics
import sys
import time


def build(which):
    from glide_text2im.model_creation import (
        create_model_and_diffusion,
        model_and_diffusion_defaults,
        model_and_diffusion_defaults_upsampler,
    )

    options = (model_and_diffusion_defaults() if which == "base"
               else model_and_diffusion_defaults_upsampler())
    options["use_fp16"] = True
    options["timestep_respacing"] = "100" if which == "base" else "fast27"
    model, diffusion = create_model_and_diffusion(**options)
    model.eval()
    model.convert_to_fp16()
    return model.cuda(), diffusion, options


def tokens_and_mask(model, prompt, text_ctx, copies):
    import torch

    tokens, mask = model.tokenizer.padded_tokens_and_mask(model.tokenizer.encode(prompt), text_ctx)
    return (torch.tensor([tokens] * copies, device="cuda"),
            torch.tensor([mask] * copies, dtype=torch.bool, device="cuda"))


def pipeline(base, up, batch, prompt="a red circle on a blue background", scale=3.0):
    import torch

    model, diffusion, options = base
    tokens, mask = tokens_and_mask(model, prompt, options["text_ctx"], batch)
    empty, empty_mask = tokens_and_mask(model, "", options["text_ctx"], batch)

    def guided(x_t, ts, **kwargs):
        half = x_t[: len(x_t) // 2]
        out = model(torch.cat([half, half]), ts, **kwargs)
        eps, rest = out[:, :3], out[:, 3:]
        cond, uncond = torch.split(eps, len(eps) // 2)
        half_eps = uncond + scale * (cond - uncond)
        return torch.cat([torch.cat([half_eps, half_eps]), rest], dim=1)

    size = options["image_size"]
    samples = diffusion.p_sample_loop(
        guided, (2 * batch, 3, size, size), device="cuda", clip_denoised=True, progress=False,
        model_kwargs=dict(tokens=torch.cat([tokens, empty]), mask=torch.cat([mask, empty_mask])),
    )[:batch]

    model_up, diffusion_up, options_up = up
    tokens, mask = tokens_and_mask(model_up, prompt, options_up["text_ctx"], batch)
    shape = (batch, 3, options_up["image_size"], options_up["image_size"])
    out = diffusion_up.ddim_sample_loop(
        model_up, shape, noise=torch.randn(shape, device="cuda") * 0.997, device="cuda",
        clip_denoised=True, progress=False,
        model_kwargs=dict(low_res=((samples + 1) * 127.5).round() / 127.5 - 1, tokens=tokens,
                          mask=mask),
    )
    return ((out + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu()


def warm_up(base, up, batch):
    import torch

    for (model, _, options), rows, low in ((base, 2 * batch, None), (up, batch, 64)):
        size = options["image_size"]
        tokens, mask = tokens_and_mask(model, "warm", options["text_ctx"], rows)
        kwargs = dict(tokens=tokens, mask=mask)
        if low:
            kwargs["low_res"] = torch.zeros(rows, 3, low, low, device="cuda")
        model(torch.zeros(rows, 3, size, size, device="cuda"),
              torch.zeros(rows, dtype=torch.long, device="cuda"), **kwargs)
    torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="a checkout of openai/glide-text2im")
    parser.add_argument("--batch", default="1,4,16")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.reference, "glide_text2im")):
        parser.error(f"--reference {args.reference!r} holds no glide_text2im package")
    sys.path.insert(0, os.path.abspath(args.reference))
    import torch

    if not torch.cuda.is_available():
        parser.error("no CUDA device")
    torch.manual_seed(0)
    with torch.no_grad():
        base, up = build("base"), build("upsampler")
        results = {"device": torch.cuda.get_device_name(), "dtype": "float16",
                   "torch": torch.__version__, "repeats": args.repeats, "pipeline_s": {},
                   "images_per_s": {}, "peak_memory_mib": {}}
        for batch in (int(b) for b in args.batch.split(",")):
            warm_up(base, up, batch)
            torch.cuda.reset_peak_memory_stats()
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                pipeline(base, up, batch)
                times.append(time.perf_counter() - start)
            seconds = statistics.median(times)
            peak = torch.cuda.max_memory_allocated() / 2**20
            results["pipeline_s"][str(batch)] = seconds
            results["images_per_s"][str(batch)] = batch / seconds
            results["peak_memory_mib"][str(batch)] = peak
            print(f"reference pipeline, batch {batch}: {seconds:.2f} s, {batch / seconds:.2f} "
                  f"images/s, peak {peak:.0f} MiB", flush=True)
    print(json.dumps(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
