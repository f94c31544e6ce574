#!/usr/bin/env python3
"""Soft targets for the intent classifier from an all-MiniLM-L6-v2 teacher.

The fine-tuned model of the intent classifier (`crates/nlu`,
`classifier/tuned.rs`) is a bag of token vectors; all-MiniLM-L6-v2 reads
the words in context but is far too slow to run per query. So it teaches:
this script embeds every Banking77 training text with the model (the numpy
forward pass of `distill.py`), fits a softmax head on the embeddings, and
writes each text's teacher probabilities, which the fine-tuned model is
then trained to match as well as the label (knowledge distillation).

The targets are cross-fitted: Banking77 is cut into ten folds as the Rust
crate cuts it (`corpus::fold`: the n-th example of each intent goes to fold
n mod 10; the tenth fold is the development split), and a text's
probabilities come from a head that saw neither its own fold nor the
`--exclude` fold. So the teacher never saw the development split (fold 9,
the shipped file) and never saw the text it labels; the excluded fold's
own texts are labelled by a head trained on the other nine.

File (little-endian), read by `crates/nlu/src/classifier/teacher.rs`:

    magic    8 bytes  b"ANUMTGT\\0"
    version  u32      2
    labels   u32      number of labels, then each: u16 byte length, UTF-8
    top      u32      probabilities kept per text (the largest)
    rows     u32      number of texts
    rows x   key u64 (FNV-1a 64 of the source's label, "\\t", text), variant:
             u16 byte length (0: the source text itself) and UTF-8, then top x
             (label index u8, probability u16 / 65535)
    checksum u64      FNV-1a 64 of everything before it
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import struct
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import distill as D  # noqa: E402

FOLDS = 10


def read(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Texts, labels and each row's fold (n-th of its label, mod 10)."""
    texts, labels, folds, seen = [], [], [], {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            n = seen.get(row["category"], 0)
            seen[row["category"]] = n + 1
            texts.append(row["text"])
            labels.append(row["category"])
            folds.append(n % FOLDS)
    return texts, labels, np.array(folds)


def augment(texts: list[str], labels: list[str], folds: np.ndarray, per_text: int, seed: int):
    """`per_text` variants of each text, seeded: words dropped (each with
    probability 0.2), two neighbouring words swapped, or the text's first
    half joined to the second half of another text of the same intent and
    the same fold (so a variant never mixes in a text of another fold).
    Returns (source index, variant) pairs, variants unlike their source."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, int], list[int]] = {}
    for i, (l, f) in enumerate(zip(labels, folds)):
        groups.setdefault((l, int(f)), []).append(i)
    out = []
    for i, t in enumerate(texts):
        words = t.split()
        made = set()
        for _ in range(per_text):
            op = rng.integers(3)
            if op == 0 and len(words) > 2:
                keep = [w for w in words if rng.random() >= 0.2]
                v = " ".join(keep) if keep else ""
            elif op == 1 and len(words) > 1:
                j = int(rng.integers(len(words) - 1))
                w = list(words)
                w[j], w[j + 1] = w[j + 1], w[j]
                v = " ".join(w)
            else:
                group = groups[(labels[i], int(folds[i]))]
                other = texts[group[int(rng.integers(len(group)))]].split()
                v = " ".join(words[: (len(words) + 1) // 2] + other[len(other) // 2 :])
            if v and v != t and v not in made:
                made.add(v)
                out.append((i, v))
    return out


def embeddings(texts: list[str], cache: Path) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings (L2-normalised), cached."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"sentences-{key}.npy"
    if path.exists():
        return np.load(path)
    files = D.model_files(cache)
    tokens = files["vocab.txt"].decode().split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    vocab = {t: i for i, t in enumerate(tokens)}
    model = D.MiniLM(D.read_safetensors(files["model.safetensors"]), json.loads(files["config.json"]))
    t0 = time.time()
    order = sorted(range(len(texts)), key=lambda i: len(D.encode(texts[i], vocab)))
    out = np.zeros((len(texts), 384), np.float32)
    for s in range(0, len(order), 64):
        idx = order[s : s + 64]
        out[idx] = model.sentences([texts[i] for i in idx], vocab, batch=64)
    print(f"embedded {len(texts)} texts in {time.time() - t0:.0f}s", file=sys.stderr)
    np.save(path, out)
    return out


def fit_head(x: np.ndarray, y: np.ndarray, k: int, reg: float, iters: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression (L2 `reg` on the weights) by Nesterov gradient
    descent from zero: deterministic."""
    n, d = x.shape
    w = np.zeros((d, k), np.float32)
    b = np.zeros(k, np.float32)
    vw, vb = w.copy(), b.copy()
    onehot = np.zeros((n, k), np.float32)
    onehot[np.arange(n), y] = 1.0
    # step 1/L: the loss's curvature is at most |x|^2/2 per example (+ reg)
    lr = np.float32(1.0 / (0.5 * float((x * x).sum(1).max()) + reg))
    x64 = x.astype(np.float32)
    reg = np.float32(reg)
    t_prev = 1.0
    for _ in range(iters):
        z = x64 @ vw + vb
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / n
        gw = x64.T @ g + reg * vw
        gb = g.sum(0)
        w_new, b_new = vw - lr * gw, vb - lr * gb
        t = (1 + np.sqrt(1 + 4 * t_prev * t_prev)) / 2
        m = np.float32((t_prev - 1) / t)
        vw = w_new + m * (w_new - w)
        vb = b_new + m * (b_new - b)
        w, b, t_prev = w_new, b_new, t
    return w, b


def probs(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    z = x.astype(np.float64) @ w + b
    z -= z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


HEADS: dict[frozenset, tuple] = {}
CACHE: Path | None = None


def cached_head(x, y, k, reg, iters):
    """fit_head, kept in the cache directory by a hash of its inputs."""
    h = hashlib.sha256(x.tobytes() + y.astype(np.int64).tobytes() + repr((k, reg, iters)).encode())
    path = CACHE / f"head-{h.hexdigest()[:16]}.npz" if CACHE else None
    if path is not None and path.exists():
        z = np.load(path)
        return z["w"], z["b"]
    w, b = fit_head(x, y, k, reg, iters)
    if path is not None:
        np.savez(path, w=w, b=b)
    return w, b


def cross_fitted(x, y, folds, k, exclude, reg, iters, xa=None, fa=None, log=True):
    """Each text's teacher probabilities from a head that saw neither its
    fold nor fold `exclude`; fold `exclude` from a head trained on the
    other nine. `xa`, `fa`: variants' embeddings and their source's fold,
    labelled by the same head as their source."""
    out = np.zeros((len(y), k))
    aug = np.zeros((0 if xa is None else len(xa), k))
    for j in range(FOLDS):
        train = (folds != j) & (folds != exclude)
        # the head without folds {j, exclude} also serves exclude = j
        key = frozenset((j, exclude))
        if key not in HEADS:
            HEADS[key] = cached_head(x[train], y[train], k, reg, iters)
        w, b = HEADS[key]
        out[folds == j] = probs(x[folds == j], w, b)
        if xa is not None and (fa == j).any():
            aug[fa == j] = probs(xa[fa == j], w, b)
        if log:
            acc = (out[folds == j].argmax(1) == y[folds == j]).mean()
            print(f"  fold {j}: head accuracy {100 * acc:.2f}%", file=sys.stderr)
    return out, aug


def fnv1a(b: bytes) -> int:
    h = 0xCBF29CE484222325
    for c in b:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write(path: Path, rows, names, top: int) -> int:
    """rows: (label, source text, variant text or None, probabilities)."""
    body = bytearray(b"ANUMTGT\0")
    body += struct.pack("<II", 2, len(names))
    for n in names:
        e = n.encode()
        body += struct.pack("<H", len(e)) + e
    body += struct.pack("<II", top, len(rows))
    for label, text, variant, row in rows:
        body += struct.pack("<Q", fnv1a(f"{label}\t{text}".encode()))
        v = (variant or "").encode()
        body += struct.pack("<H", len(v)) + v
        best = np.argsort(-row, kind="stable")[:top]
        for i in best:
            body += struct.pack("<BH", int(i), int(round(float(row[i]) * 65535)))
    blob = bytes(body) + struct.pack("<Q", fnv1a(bytes(body)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return len(blob)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("data/banking77/train.csv"))
    ap.add_argument("--out", type=Path, default=Path("data/nlu/teacher-targets.bin"))
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "anumati-distill")
    ap.add_argument("--exclude", type=int, nargs="+", default=[9],
                    help="fold the teacher never sees (9: the dev split); with several, one file "
                         "each, \"{}\" in --out standing for the fold")
    ap.add_argument("--reg", type=float, default=1e-5)
    ap.add_argument("--scale", type=float, default=6.0, help="multiplies the embeddings (a sharper head)")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--top", type=int, default=16)
    ap.add_argument("--augment", type=int, default=1, help="variants per text (0: none)")
    ap.add_argument("--seed", type=int, default=77)
    args = ap.parse_args()
    global CACHE
    CACHE = args.cache
    texts, labels, folds = read(args.data)
    names = sorted(set(labels))
    y = np.array([names.index(l) for l in labels])
    x = embeddings(texts, args.cache) * args.scale
    variants = augment(texts, labels, folds, args.augment, args.seed) if args.augment else []
    xa = embeddings([v for _, v in variants], args.cache) * args.scale if variants else None
    fa = np.array([folds[i] for i, _ in variants])
    for exclude in args.exclude:
        t0 = time.time()
        p, pa = cross_fitted(x, y, folds, len(names), exclude, args.reg, args.iters, xa, fa)
        rows = [(l, t, None, r) for l, t, r in zip(labels, texts, p)]
        rows += [(labels[i], texts[i], v, r) for (i, v), r in zip(variants, pa)]
        out = Path(str(args.out).replace("{}", str(exclude)))
        size = write(out, rows, names, args.top)
        print(f"wrote {out}: {size} bytes in {time.time() - t0:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
