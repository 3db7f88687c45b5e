#!/usr/bin/env python3
"""Independent reader of Megatron-LM indexed datasets (MMIDIDX .idx + .bin), written from the
documented layout (megatron/core/datasets/indexed_dataset.py, _IndexWriter/_IndexReader; the older
megatron/data/indexed_dataset.py MMapIndexedDataset.Index has the same bytes):

    magic b"MMIDIDX\\x00\\x00", version <Q (1), dtype code <B, sequence count S <Q,
    document count D <Q, sizes int32[S], pointers int64[S] (byte offsets into .bin),
    document_indices int64[D]

The "document count" D is len(document_indices): the writer starts the list with 0 and appends the
sequence count after each document, so D = documents + 1, and the reader reads exactly D entries.

dtype codes: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16.
Uses only the standard library (struct, array), so it does not share code with llmdata.

    python3 mmidx_reader.py PREFIX            prints a summary as JSON
"""
import array
import json
import struct
import sys

DTYPES = {1: ("B", 1), 2: ("b", 1), 3: ("h", 2), 4: ("i", 4), 5: ("q", 8), 6: ("d", 8), 7: ("f", 4), 8: ("H", 2)}


class MMIDXError(Exception):
    pass


def read_index(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:9] != b"MMIDIDX\x00\x00":
        raise MMIDXError("%s: bad magic %r" % (path, data[:9]))
    version, = struct.unpack_from("<Q", data, 9)
    if version != 1:
        raise MMIDXError("%s: version %d" % (path, version))
    code, = struct.unpack_from("<B", data, 17)
    if code not in DTYPES:
        raise MMIDXError("%s: dtype code %d" % (path, code))
    nseq, ndoc = struct.unpack_from("<QQ", data, 18)
    off = 34
    if ndoc < 1:
        raise MMIDXError("%s: document count %d (document_indices start with 0)" % (path, ndoc))
    if off + 12 * nseq + 8 * ndoc != len(data):
        raise MMIDXError("%s: %d bytes, the header announces %d" % (path, len(data), off + 12 * nseq + 8 * ndoc))
    sizes = struct.unpack_from("<%di" % nseq, data, off)
    off += 4 * nseq
    pointers = struct.unpack_from("<%dq" % nseq, data, off)
    off += 8 * nseq
    docs = struct.unpack_from("<%dq" % ndoc, data, off)
    off += 8 * ndoc
    if docs[0] != 0 or list(docs) != sorted(docs) or docs[-1] != nseq:
        raise MMIDXError("%s: document_indices are not 0 <= ... <= %d ascending" % (path, nseq))
    if off != len(data):
        raise MMIDXError("%s: %d trailing bytes" % (path, len(data) - off))
    return {"dtype_code": code, "sizes": list(sizes), "pointers": list(pointers), "document_indices": list(docs)}


def read_dataset(prefix):
    """Returns (index dict, list of sequences as lists of ints)."""
    idx = read_index(prefix + ".idx")
    fmt, width = DTYPES[idx["dtype_code"]]
    with open(prefix + ".bin", "rb") as f:
        blob = f.read()
    seqs = []
    expect_ptr = 0
    for size, ptr in zip(idx["sizes"], idx["pointers"]):
        if ptr != expect_ptr:   # Megatron computes the pointers as the running sum of sizes * width
            raise MMIDXError("%s.idx: pointer %d, expected %d" % (prefix, ptr, expect_ptr))
        expect_ptr += size * width
        if ptr < 0 or ptr + size * width > len(blob):
            raise MMIDXError("%s.bin: sequence at %d of %d items overruns the file" % (prefix, ptr, size))
        a = array.array(fmt)
        a.frombytes(blob[ptr:ptr + size * width])
        if sys.byteorder != "little":
            a.byteswap()
        seqs.append(a.tolist())
    if expect_ptr != len(blob):
        raise MMIDXError("%s.bin: %d bytes, the index covers %d" % (prefix, len(blob), expect_ptr))
    return idx, seqs


if __name__ == "__main__":
    idx, seqs = read_dataset(sys.argv[1])
    print(json.dumps({"sequences": len(seqs), "documents": len(idx["document_indices"]) - 1,
                      "dtype_code": idx["dtype_code"], "tokens": sum(len(s) for s in seqs)}))
