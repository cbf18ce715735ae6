#!/usr/bin/env python3
"""Writes seed corpora for the fuzzers into OUT/{pickle,safetensors,zip_index,png_chunks}.

pickle: the data.pkl of every golden .pt (read in place from GOLDENS), plus plain-data pickles
from Python's own pickle module (protocols 2 to 5). safetensors and zip_index: small files made
here. png_chunks: small PNGs with every kind of text chunk. Needs only the Python standard
library.
"""
import collections
import json
import pathlib
import pickle
import struct
import sys
import zipfile
import zlib


def pickles(out, goldens):
    for pt in sorted(goldens.glob("*.pt")):
        with zipfile.ZipFile(pt) as z:
            name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            (out / f"{pt.stem}.pkl").write_bytes(z.read(name))
    values = {
        "dict": {"a": 1, "b": [1.5, "x", None, True, False], "c": (1, 2, (3,)), "big": 1 << 40},
        "ordered": collections.OrderedDict([("k", -7), ("unicode", "h\u00e9\u4e16")]),
        "shared": (lambda l: {"x": l, "y": l})([1, 2]),
        "nested": [[[[]]], {}, ()],
    }
    for name, value in values.items():
        for protocol in (2, 4, 5):
            (out / f"py_{name}_p{protocol}.pkl").write_bytes(pickle.dumps(value, protocol))


def safetensors_file(tensors, metadata=None, pad=True):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors(out):
    f32 = struct.pack("<6f", *range(6))
    (out / "small.safetensors").write_bytes(safetensors_file({
        "w": ("F32", [2, 3], f32),
        "h": ("F16", [2], struct.pack("<2e", 0.5, -1.0)),
        "b": ("BF16", [1], b"\x80\x3f"),
        "i": ("I64", [2], struct.pack("<2q", 1 << 40, -3)),
        "m": ("BOOL", [3], b"\x01\x00\x01"),
        "s": ("F64", [], struct.pack("<d", 2.5)),
        "e": ("F32", [0, 4], b""),
    }, {"format": "pt", "source": "glide fuzz seed"}))
    (out / "unpadded.safetensors").write_bytes(
        safetensors_file({"u": ("U8", [3], b"abc"), "i8": ("I8", [1], b"\xff")}, pad=False))
    (out / "empty.safetensors").write_bytes(safetensors_file({}))


def zips(out):
    for name, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(out / f"{name}.zip", "w", method) as z:
            z.writestr("archive/data.pkl", pickle.dumps({"a": 1}, 2))
            z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
            z.writestr("archive/version", "3\n")
    with zipfile.ZipFile(out / "zip64.zip", "w", allowZip64=True) as z:
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            f.write(b"\0" * 64)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pngs(out):
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    idat = png_chunk(b"IDAT", zlib.compress(b"\0" + bytes(6)))
    end = png_chunk(b"IEND", b"")
    texts = {
        "plain": [png_chunk(b"tEXt", b"Comment\0caf\xe9")],
        "compressed": [png_chunk(b"zTXt", b"glide_parameters\0\0" + zlib.compress(b'{"a": 1}'))],
        "international": [
            png_chunk(b"iTXt", b"k\0\0\0en\0key\0caf\xc3\xa9"),
            png_chunk(b"iTXt", b"z\0\1\0\0\0" + zlib.compress("\u72ac".encode()))],
        "none": [],
    }
    for name, chunks in texts.items():
        (out / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(chunks) + idat + end)


def main():
    out = pathlib.Path(sys.argv[1])
    goldens = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    for kind, make in (("pickle", None), ("safetensors", safetensors), ("zip_index", zips),
                       ("png_chunks", pngs)):
        (out / kind).mkdir(parents=True, exist_ok=True)
        if make:
            make(out / kind)
    if goldens:
        pickles(out / "pickle", goldens)


if __name__ == "__main__":
    main()
