#!/usr/bin/env python3
"""A small contextual sentence encoder distilled from all-MiniLM-L6-v2.

The static token vectors of `distill.py` read a text as a bag of tokens.
This script trains a model that reads them in order, small enough to run in
a few tens of microseconds: the token vectors (initialised from
`--embeddings`, the shipped static table, and trained too), one 1-D
convolution over neighbouring tokens (`--width` tokens, `--channels`
outputs, GELU), then the mean and the maximum of its outputs over the text
and the mean of the token vectors, projected linearly to 384 numbers. It is
trained to point where MiniLM's sentence embedding of the same text points
(cosine loss): no labels are used, so the file serves any set of intents;
the classifier learns its own intents on top of it (`crates/nlu`,
`classifier/encoder.rs`).

What it learns from: the texts of `--corpus` (labelled CSVs `text,category`;
the labels only choose which halves `teacher.py`'s augmentation may join)
and `--augment` seeded variants of each (words dropped, neighbours swapped,
halves of two texts joined), each paired with MiniLM's sentence embedding
(the numpy forward pass of `distill.py`, cached as `teacher.py` caches it).
Texts with Devanagari are left out: MiniLM's vocabulary is English
WordPiece, so its embedding of Hindi is noise (the classifier does not use
the encoder on Devanagari either). `--hold-out-fold K` also leaves out fold
K of each corpus (`corpus::fold`: the n-th example of a label goes to fold n
mod 10), for cross-validation that never saw the held-out texts.

File (little-endian), read by `crates/nlu/src/classifier/encoder.rs`:

    magic     8 bytes  b"ANUMENC\\0"
    version   u32      1
    width     u32      tokens the convolution reads (odd; centred)
    channels  u32
    out       u32      length of the sentence vector
    max       u32      tokens read per text (the first `max`)
    table     u32 byte length, then a whole static-embeddings file
              (`distill.py`'s format: int8 rows with a scale, the tokens)
    conv      width x dims x channels f32, then channels f32 (bias)
    proj      (2 x channels + dims) x out f32, then out f32 (bias)
    checksum  u64      FNV-1a 64 of everything before it

Needs jax and optax (CPU wheels from PyPI, `requirements.txt`). Training is
seeded: on the machine that made the shipped file a second run gave it byte
for byte; XLA's CPU kernels may round differently on other CPUs, where the
file is reproducible in quality, not necessarily in bytes.
"""

from __future__ import annotations

import argparse
import csv
import struct
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import distill as D  # noqa: E402
import teacher as T  # noqa: E402

# Sentences whose vectors `--golden` prints, for the Rust test that checks
# its forward pass against this one.
GOLDEN = ["my card still hasn't arrived", "how do i top up by bank transfer?", "balance"]


def read_table(b: bytes, name: str):
    """A static-embeddings file's bytes: (f32 rows, tokens)."""
    if b[:8] != b"ANUMEMB\0":
        raise SystemExit(f"{name}: not a static-embeddings file")
    _, dims, n = struct.unpack("<III", b[8:20])
    raw = np.frombuffer(b[20 : 20 + n * (4 + dims)], np.uint8).reshape(n, 4 + dims)
    scales = raw[:, :4].copy().view("<f4").reshape(n)
    rows = raw[:, 4:].view(np.int8).astype(np.float32) * scales[:, None]
    off = 20 + n * (4 + dims)
    (length,) = struct.unpack("<I", b[off : off + 4])
    tokens = b[off + 4 : off + 4 + length].decode().split("\n")
    return rows, tokens


def quantise(rows: np.ndarray):
    """int8 with one scale per row, as `distill.py` stores vectors."""
    scale = np.abs(rows).max(1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(rows / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def table_bytes(q: np.ndarray, scale: np.ndarray, tokens: list[str]) -> bytes:
    n, dims = q.shape
    rows = b"".join(struct.pack("<f", float(s)) + r.tobytes() for s, r in zip(scale, q))
    text = "\n".join(tokens).encode()
    body = b"ANUMEMB\0" + struct.pack("<III", 1, dims, n) + rows + struct.pack("<I", len(text)) + text
    return body + struct.pack("<Q", D.fnv1a(body))


def has_devanagari(text: str) -> bool:
    return any("\u0900" <= c <= "\u097f" for c in text)


def read_corpus(paths: list[Path], hold_out_fold: int, per_text: int, seed: int, cache: Path):
    """Texts and variants to learn from, with MiniLM's embeddings of them
    (Devanagari and the held-out fold left out). The variants are made from
    each whole file and those of held-out texts dropped (a variant only
    joins texts of one fold), so that every fold's run reads the same
    cached embeddings."""
    texts, targets = [], []
    for path in paths:
        t, labels, folds = T.read(path)
        variants = T.augment(t, labels, folds, per_text, seed) if per_text else []
        groups = [
            (t, T.embeddings(t, cache), folds),
            ([v for _, v in variants], T.embeddings([v for _, v in variants], cache) if variants else None,
             np.array([folds[i] for i, _ in variants])),
        ]
        for group, emb, fold in groups:
            keep = [i for i, x in enumerate(group) if fold[i] != hold_out_fold and not has_devanagari(x)]
            texts += [group[i] for i in keep]
            if keep:
                targets.append(emb[keep])
    return texts, np.vstack(targets).astype(np.float32)


def gelu(x):
    """GELU, tanh approximation (as `jax.nn.gelu` and the Rust crate)."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


def forward(params: dict, ids: list[int]) -> np.ndarray:
    """The numpy forward pass of one text, as the Rust crate computes it."""
    if not ids:
        return np.zeros(params["pb"].shape, np.float32)
    e = params["emb"][ids].astype(np.float64)
    w = params["conv"].shape[0]
    pad = np.zeros((w // 2, e.shape[1]))
    ep = np.vstack([pad, e, pad])
    h = params["cb"] + sum(ep[k : k + len(ids)] @ params["conv"][k] for k in range(w))
    h = gelu(h)
    z = np.concatenate([h.mean(0), h.max(0), e.mean(0)]) @ params["proj"] + params["pb"]
    return (z / max(np.linalg.norm(z), 1e-12)).astype(np.float32)


def train(rows, vocab, texts, targets, args):
    import jax
    import jax.numpy as jnp
    import optax

    pad_id = len(rows)
    emb0 = np.vstack([rows, np.zeros((1, rows.shape[1]), np.float32)])

    def enc(t):
        ids = [i for w in D.basic_tokenize(t) for i in D.wordpiece(w, vocab)][: args.max_tokens]
        return ids + [pad_id] * (args.max_tokens - len(ids))

    x = np.array([enc(t) for t in texts], np.int32)
    nonempty = (x != pad_id).any(1)
    x, targets = x[nonempty], targets[nonempty]
    dims, ch, width = rows.shape[1], args.channels, args.width
    key = jax.random.split(jax.random.PRNGKey(args.seed), 2)
    params = {
        "emb": jnp.array(emb0),
        "conv": jax.random.normal(key[0], (width, dims, ch)) / np.sqrt(width * dims),
        "cb": jnp.zeros(ch),
        "proj": jax.random.normal(key[1], (2 * ch + dims, 384)) / np.sqrt(2 * ch + dims),
        "pb": jnp.zeros(384),
    }

    def encode(p, ids):
        m = (ids != pad_id).astype(jnp.float32)[..., None]
        e = p["emb"][ids] * m
        h = jax.lax.conv_general_dilated(e, p["conv"], (1,), "SAME", dimension_numbers=("NWC", "WIO", "NWC"))
        h = jax.nn.gelu(h + p["cb"], approximate=True) * m
        n = jnp.maximum(m.sum(1), 1.0)
        feats = [h.sum(1) / n, jnp.max(h + (m - 1) * 1e4, axis=1), e.sum(1) / n]
        z = jnp.concatenate(feats, -1) @ p["proj"] + p["pb"]
        return z / (jnp.linalg.norm(z, axis=-1, keepdims=True) + 1e-6)

    def loss(p, ids, t):
        return (1.0 - (encode(p, ids) * t).sum(-1)).mean()

    batch = 64
    steps = args.epochs * (len(x) // batch)
    opt = optax.adamw(optax.cosine_decay_schedule(args.lr, steps), weight_decay=1e-4)
    state = opt.init(params)

    @jax.jit
    def step(p, s, ids, t):
        value, g = jax.value_and_grad(loss)(p, ids, t)
        # the padding row stays zero
        g["emb"] = g["emb"].at[pad_id].set(0.0)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, value

    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        perm = rng.permutation(len(x))
        total = 0.0
        for s in range(0, len(perm) - batch + 1, batch):
            i = perm[s : s + batch]
            params, state, value = step(params, state, x[i], targets[i])
            total += float(value)
        print(f"epoch {epoch + 1}: cosine loss {total / (len(perm) // batch):.4f} ({time.time() - t0:.0f}s)",
              file=sys.stderr)
    out = {k: np.asarray(v, np.float32) for k, v in params.items()}
    out["emb"] = out["emb"][:pad_id]
    return out


def write(path: Path, params: dict, tokens: list[str], args) -> dict:
    """Writes the file; returns the parameters as stored (table quantised)."""
    q, scale = quantise(params["emb"])
    table = table_bytes(q, scale, tokens)
    body = b"ANUMENC\0" + struct.pack("<IIIII", 1, args.width, args.channels, 384, args.max_tokens)
    body += struct.pack("<I", len(table)) + table
    for name in ["conv", "cb", "proj", "pb"]:
        body += params[name].astype("<f4").tobytes()
    blob = body + struct.pack("<Q", D.fnv1a(body))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    stored = dict(params)
    stored["emb"] = q.astype(np.float32) * scale[:, None]
    return stored


def read(path: Path) -> tuple[dict, dict[str, int]]:
    """Reads a file this script wrote: (parameters, vocabulary)."""
    b = path.read_bytes()
    if b[:8] != b"ANUMENC\0" or D.fnv1a(b[:-8]) != struct.unpack("<Q", b[-8:])[0]:
        raise SystemExit(f"{path}: not an encoder file, or damaged")
    _, width, ch, out, _ = struct.unpack("<IIIII", b[8:28])
    (length,) = struct.unpack("<I", b[28:32])
    rows, tokens = read_table(b[32 : 32 + length], f"{path}'s token table")
    dims = rows.shape[1]
    f = np.frombuffer(b[32 + length : -8], "<f4")
    sizes = {"conv": (width, dims, ch), "cb": (ch,), "proj": (2 * ch + dims, out), "pb": (out,)}
    params, at = {"emb": rows}, 0
    for name, shape in sizes.items():
        n = int(np.prod(shape))
        params[name] = f[at : at + n].reshape(shape)
        at += n
    return params, {t: i for i, t in enumerate(tokens)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("data/nlu/sentence-encoder.bin"))
    ap.add_argument("--embeddings", type=Path, default=Path("data/nlu/static-embeddings.bin"))
    ap.add_argument("--corpus", type=Path, nargs="+",
                    default=[Path("data/banking77/train.csv"), Path("data/utterances/en.csv"),
                             Path("data/utterances/hinglish.csv")])
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "anumati-distill")
    ap.add_argument("--augment", type=int, default=4, help="variants per text")
    ap.add_argument("--hold-out-fold", type=int, default=-1)
    ap.add_argument("--width", type=int, default=3)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--golden", action="store_true", help="print the vectors of a few sentences and stop")
    args = ap.parse_args()
    if args.golden:
        params, vocab = read(args.out)
        for s in GOLDEN:
            ids = [i for w in D.basic_tokenize(s) for i in D.wordpiece(w, vocab)][: args.max_tokens]
            z = forward(params, ids)
            print(f"{s!r}: {' '.join(f'{v:.5f}' for v in z[:6])}")
        return
    if args.width % 2 == 0:
        raise SystemExit("--width must be odd")
    rows, tokens = read_table(args.embeddings.read_bytes(), str(args.embeddings))
    rows = rows / np.linalg.norm(rows, axis=1).mean()
    vocab = {t: i for i, t in enumerate(tokens)}
    texts, targets = read_corpus(args.corpus, args.hold_out_fold, args.augment, args.seed, args.cache)
    print(f"{len(texts)} texts and variants", file=sys.stderr)
    params = train(rows, vocab, texts, targets, args)
    stored = write(args.out, params, tokens, args)
    # The stored (quantised) model, through the numpy forward pass the Rust
    # crate mirrors, against the teacher on a sample of what it learnt from.
    sample = range(0, len(texts), max(1, len(texts) // 500))
    cos = [forward(stored, [i for w in D.basic_tokenize(texts[j]) for i in D.wordpiece(w, vocab)]
                   [: args.max_tokens]) @ targets[j] for j in sample]
    print(f"wrote {args.out}: {args.out.stat().st_size} bytes; mean cosine to MiniLM "
          f"over {len(cos)} training texts {np.mean(cos):.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
