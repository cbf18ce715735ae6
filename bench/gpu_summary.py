#!/usr/bin/env python3
"""One table of the figures bench/gpu.sh collected in a folder: the `glide bench --json` reports
in bench.jsonl (one line each: name, exit status, report) and the reference's
(reference-float16.json). Before it, the kernel profiles of the runs that have them (--profile)
and the synchronization counts (--count-syncs), so that the table ends the output.

Usage: bench/gpu_summary.py FOLDER
"""

import json
import sys
from pathlib import Path


def cell(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def step_ms(report, network, batch):
    return report.get(f"{network}_step", {}).get(str(batch), {}).get("ms")


def print_profiles(name, report, most=12):
    for network in ("base", "upsampler"):
        for batch, step in sorted(report.get(f"{network}_step", {}).items(), key=lambda b: int(b[0])):
            profile = step.get("profile")
            if not profile:
                continue
            total = profile.get("total_ms", 0) or 0
            print(f"\n{name}: one {network} step, batch {batch}, {step.get('ms', 0):.2f} ms timed; "
                  f"{profile.get('what')}: {total:.2f} ms per run")
            for op in profile.get("ops", [])[:most]:
                share = 100 * op["ms"] / total if total else 0
                print(f"  {op['ms']:8.3f} ms {share:5.1f}% {op['calls']:6.0f}x  {op['name'][:90]}")


def print_syncs(name, report, most=12):
    for batch, syncs in sorted(report.get("pipeline_syncs", {}).items(), key=lambda b: int(b[0])):
        print(f"\n{name}: {syncs.get('total')} synchronizing CUDA operations in one pipeline call "
              f"at batch {batch}")
        for site in syncs.get("sites", [])[:most]:
            print(f"  {site['count']:6d}  {site['site'][:110]}")


def main(folder: Path) -> int:
    rows = []
    lines = folder / "bench.jsonl"
    for line in (lines.read_text().splitlines() if lines.is_file() else []):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows.append((entry.get("name", "?"), entry.get("report")))
    for name, r in rows:
        if r:
            print_profiles(name, r)
            print_syncs(name, r)
    print()
    header = (f"{'run':<30} {'dtype':<9} {'base1 ms':>9} {'base16 ms':>10} {'up1 ms':>8} "
              f"{'up16 ms':>8} {'pipe1 s':>8} {'pipe4 s':>8} {'pipe16 s':>9} {'img/s16':>8} "
              f"{'peak MiB':>9}")
    print(header)
    for name, r in rows:
        if r is None:
            print(f"{name:<30} (no readable JSON: the run failed or was cut off)")
            continue
        pipe = r.get("pipeline_s", {})
        print(f"{name:<30} {r.get('dtype', '?'):<9} {cell(step_ms(r, 'base', 1)):>9} "
              f"{cell(step_ms(r, 'base', 16)):>10} {cell(step_ms(r, 'upsampler', 1)):>8} "
              f"{cell(step_ms(r, 'upsampler', 16)):>8} {cell(pipe.get('1'), 2):>8} "
              f"{cell(pipe.get('4'), 2):>8} {cell(pipe.get('16'), 2):>9} "
              f"{cell(r.get('images_per_s', {}).get('16'), 2):>8} "
              f"{cell(r.get('peak_memory_mib'), 0):>9}")
    reference = folder / "reference-float16.json"
    if reference.is_file():
        print(f"\nreference ({reference.name}):")
        print(reference.read_text().strip())
    if rows:
        device = next((r.get("device") for _, r in rows if r), None)
        print(f"\ndevice: {device}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
