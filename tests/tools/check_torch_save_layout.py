#!/usr/bin/env python3
"""Checks a .pt file written by `glide convert` against one torch.save wrote, with nothing but
Python's standard library (zipfile and pickle; no torch): the zip's CRCs, folder, records and
64-byte alignment, and a data.pkl that CPython's own unpickler reads as an OrderedDict of
torch._utils._rebuild_tensor_v2 calls with the same names, dtypes, shapes and element bytes.

usage: check_torch_save_layout.py REFERENCE.pt CANDIDATE.pt
"""
import collections
import pickle
import struct
import sys
import zipfile

ITEMSIZE = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8,
            "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
            "ByteStorage": 1, "BoolStorage": 1}


class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):
        return Call(self, args)


class Call:
    def __init__(self, func, args):
        self.func, self.args = func, args


class Unpickler(pickle.Unpickler):
    """Resolves only what torch.save emits for a state dict, to stand-ins; runs nothing."""

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2") or (
                module == "torch" and name in ITEMSIZE):
            return Global(module, name)
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        tag, storage_class, key, location, numel = pid
        assert tag == "storage" and location == "cpu", pid
        return (storage_class.name, key, numel)


def tensors(path):
    """name -> (storage class, shape, the tensor's bytes in row-major order)."""
    zf = zipfile.ZipFile(path)
    bad = zf.testzip()
    assert bad is None, f"{path}: CRC mismatch in {bad}"
    names = zf.namelist()
    folder = names[0].split("/")[0]
    assert all(n.startswith(folder + "/") for n in names), names
    assert zf.read(f"{folder}/version").strip() == b"3"
    root = Unpickler(zf.open(f"{folder}/data.pkl")).load()
    assert isinstance(root, collections.OrderedDict), type(root)
    out = collections.OrderedDict()
    for name, call in root.items():
        assert isinstance(call, Call) and call.func.name == "_rebuild_tensor_v2", name
        (cls, key, numel), offset, shape, stride, requires_grad, hooks = call.args
        assert requires_grad is False and hooks == collections.OrderedDict(), name
        item = ITEMSIZE[cls]
        raw = zf.read(f"{folder}/data/{key}")
        assert len(raw) == numel * item, (name, len(raw), numel)
        count, contiguous = 1, []
        for size in reversed(shape):
            contiguous.insert(0, count)
            count *= max(size, 1)
        if list(stride) == contiguous or 0 in shape:
            n = 0 if 0 in shape else count
            out[name] = (cls, tuple(shape), raw[offset * item:(offset + n) * item])
            continue
        # Gather a strided view's elements in row-major order.
        elements = []

        def walk(dim, base):
            if dim == len(shape):
                elements.append(raw[base * item:(base + 1) * item])
                return
            for i in range(shape[dim]):
                walk(dim + 1, base + i * stride[dim])

        walk(0, offset)
        out[name] = (cls, tuple(shape), b"".join(elements))
    return zf, folder, out


def main(reference, candidate):
    _, _, want = tensors(reference)
    zf, folder, got = tensors(candidate)
    assert list(got) == list(want), "names or their order differ"
    for name in want:
        assert got[name] == want[name], f"tensor {name} differs"
    # Stored records with their data on 64-byte boundaries, byteorder as torch writes it.
    raw = open(candidate, "rb").read()
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED, info.filename
        name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    assert zf.read(f"{folder}/byteorder") == b"little"
    print(f"{candidate}: {len(got)} tensors identical to {reference}, layout as torch.save's")


if __name__ == "__main__":
    main(*sys.argv[1:])
