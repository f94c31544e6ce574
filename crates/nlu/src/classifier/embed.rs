//! Static token embeddings distilled from the sentence transformer
//! all-MiniLM-L6-v2 (`tools/distill`, Model2Vec-style): a WordPiece
//! vocabulary and one vector per token. A text's vector is the sum of its
//! tokens' vectors, L2-normalised (the distillation already scaled each
//! vector by its token's SIF weight), so one costs a tokenisation and a few
//! hundred additions per token.
//!
//! The product's are compiled in ([`builtin`], `data/nlu/static-embeddings.bin`,
//! see `data/nlu/SOURCE.md`). The file (all numbers little-endian):
//!
//! ```text
//! magic    8 bytes  "ANUMEMB\0"
//! version  u32      1
//! dims     u32
//! vocab    u32      number of tokens
//! rows     vocab × (scale f32, dims × i8)     vector = scale × i8
//! tokens   u32 byte length, then the tokens in UTF-8, "\n" between them
//! checksum u64      FNV-1a of everything before it
//! ```

use std::sync::{Arc, OnceLock};

use super::wordpiece::WordPiece;

const MAGIC: &[u8; 8] = b"ANUMEMB\0";
const VERSION: u32 = 1;

/// The product's embeddings file, compiled in.
pub(crate) const BUILTIN: &[u8] = include_bytes!("../../../../data/nlu/static-embeddings.bin");

/// The compiled-in embeddings, read once per process.
pub fn builtin() -> Arc<StaticEmbeddings> {
    static EMBEDDINGS: OnceLock<Arc<StaticEmbeddings>> = OnceLock::new();
    EMBEDDINGS
        .get_or_init(|| {
            Arc::new(
                StaticEmbeddings::from_bytes(BUILTIN)
                    .unwrap_or_else(|e| panic!("compiled-in data/nlu/static-embeddings.bin: {e}")),
            )
        })
        .clone()
}

/// A static-embeddings file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("static embeddings invalid: {0}")]
pub struct EmbeddingsError(&'static str);

/// Token vectors and the tokenizer that finds the tokens.
pub struct StaticEmbeddings {
    dims: usize,
    /// One scale per token, and `dims` int8s per token: the file's rows.
    scales: Vec<f32>,
    rows: Vec<i8>,
    tokenizer: WordPiece,
    /// FNV-1a of the file, to tell embeddings apart.
    checksum: u64,
}

impl std::fmt::Debug for StaticEmbeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbeddings")
            .field("dims", &self.dims)
            .field("tokens", &self.scales.len())
            .field("checksum", &format_args!("{:016x}", self.checksum))
            .finish()
    }
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, EmbeddingsError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(EmbeddingsError("truncated"))
}

impl StaticEmbeddings {
    /// Reads the file format in the module documentation, checksum first.
    pub fn from_bytes(bytes: &[u8]) -> Result<StaticEmbeddings, EmbeddingsError> {
        if bytes.len() < 8 + 12 + 4 + 8 || &bytes[..8] != MAGIC {
            return Err(EmbeddingsError("bad magic"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let checksum =
            u64::from_le_bytes(sum.try_into().map_err(|_| EmbeddingsError("truncated"))?);
        if fnv1a(body) != checksum {
            return Err(EmbeddingsError("checksum mismatch"));
        }
        if u32_at(body, 8)? != VERSION {
            return Err(EmbeddingsError("unsupported version"));
        }
        let dims = u32_at(body, 12)? as usize;
        let n = u32_at(body, 16)? as usize;
        let row = 4 + dims;
        let rows_end = n
            .checked_mul(row)
            .and_then(|r| r.checked_add(20))
            .ok_or(EmbeddingsError("too large"))?;
        if dims == 0 || body.len() < rows_end + 4 {
            return Err(EmbeddingsError("truncated"));
        }
        let mut scales = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n * dims);
        for r in body[20..rows_end].chunks_exact(row) {
            let scale = f32::from_le_bytes([r[0], r[1], r[2], r[3]]);
            if !scale.is_finite() {
                return Err(EmbeddingsError("non-finite scale"));
            }
            scales.push(scale);
            rows.extend(r[4..].iter().map(|&q| q as i8));
        }
        let text_len = u32_at(body, rows_end)? as usize;
        if body.len() != rows_end + 4 + text_len {
            return Err(EmbeddingsError("token list length"));
        }
        let text = std::str::from_utf8(&body[rows_end + 4..])
            .map_err(|_| EmbeddingsError("tokens not UTF-8"))?;
        let tokens: Vec<&str> = text.split('\n').collect();
        if tokens.len() != n {
            return Err(EmbeddingsError("token count"));
        }
        Ok(StaticEmbeddings {
            dims,
            scales,
            rows,
            tokenizer: WordPiece::new(tokens),
            checksum,
        })
    }

    /// Length of the vectors.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// FNV-1a of the file the embeddings were read from (its last 8 bytes).
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// How many tokens the vocabulary has.
    pub fn vocab_len(&self) -> usize {
        self.scales.len()
    }

    /// Every token's vector as f32, row-major (`vocab_len × dims`).
    pub fn dequantised(&self) -> Vec<f32> {
        self.rows
            .chunks_exact(self.dims)
            .zip(&self.scales)
            .flat_map(|(row, &s)| row.iter().map(move |&q| s * f32::from(q)))
            .collect()
    }

    /// The token ids of `text` (no `[CLS]`/`[SEP]`).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.tokenizer.encode(text, &mut ids);
        ids
    }

    /// The text's vector, L2-normalised (all zeros if no token is known),
    /// written to `out` (`dims` long); `ids` is scratch.
    pub fn embed(&self, text: &str, ids: &mut Vec<u32>, out: &mut [f32]) {
        ids.clear();
        self.tokenizer.encode(text, ids);
        out.fill(0.0);
        let d = self.dims;
        for &id in ids.iter() {
            let id = id as usize;
            let (Some(&scale), Some(row)) =
                (self.scales.get(id), self.rows.get(id * d..(id + 1) * d))
            else {
                continue;
            };
            for (o, &q) in out.iter_mut().zip(row) {
                *o += scale * f32::from(q);
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for o in out.iter_mut() {
                *o /= norm;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A file in the distillation's format.
    pub(crate) fn file(dims: usize, rows: &[(&str, Vec<i8>, f32)]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        for v in [VERSION, dims as u32, rows.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        for (_, q, s) in rows {
            b.extend(s.to_le_bytes());
            b.extend(q.iter().map(|&x| x as u8));
        }
        let text: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let text = text.join("\n");
        b.extend((text.len() as u32).to_le_bytes());
        b.extend(text.as_bytes());
        let sum = fnv1a(&b);
        b.extend(sum.to_le_bytes());
        b
    }

    #[test]
    fn reads_and_embeds() {
        let bytes = file(
            2,
            &[
                ("[UNK]", vec![0, 0], 1.0),
                ("card", vec![127, 0], 0.5),
                ("lost", vec![0, 127], 0.5),
            ],
        );
        let e = StaticEmbeddings::from_bytes(&bytes).unwrap();
        assert_eq!(e.dims(), 2);
        let mut out = [0.0; 2];
        e.embed("Lost card", &mut Vec::new(), &mut out);
        assert!((out[0] - out[1]).abs() < 1e-6 && (out[0] - 0.5f32.sqrt()).abs() < 1e-6);
        e.embed("zzz", &mut Vec::new(), &mut out);
        assert_eq!(out, [0.0, 0.0]);
    }

    #[test]
    fn builtin_file_is_intact() {
        // The checksum in the file's last 8 bytes is verified on reading.
        let e = builtin();
        let sum = u64::from_le_bytes(BUILTIN[BUILTIN.len() - 8..].try_into().unwrap());
        assert_eq!(e.checksum(), sum);
        assert_eq!(fnv1a(&BUILTIN[..BUILTIN.len() - 8]), sum);
        // The file `data/nlu/SOURCE.md` describes (update both together).
        assert_eq!(format!("{:016x}", e.checksum()), BUILTIN_CHECKSUM);
        assert_eq!(e.dims(), 192);
        // Any changed byte is refused.
        for at in [
            9,
            30,
            BUILTIN.len() / 2,
            BUILTIN.len() - 20,
            BUILTIN.len() - 1,
        ] {
            let mut b = BUILTIN.to_vec();
            b[at] ^= 0x10;
            assert!(StaticEmbeddings::from_bytes(&b).is_err(), "byte {at}");
        }
        // Banking words are in the pruned vocabulary; similar texts are near.
        let v = |t: &str| {
            let mut out = vec![0.0; e.dims()];
            e.embed(t, &mut Vec::new(), &mut out);
            out
        };
        let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let (a, b, c) = (
            v("my card has not arrived yet"),
            v("still waiting for my new card"),
            v("what is the exchange rate for euros"),
        );
        assert!(
            cos(&a, &b) > cos(&a, &c) + 0.1,
            "{} {}",
            cos(&a, &b),
            cos(&a, &c)
        );
    }

    /// FNV-1a of `data/nlu/static-embeddings.bin`, as in `data/nlu/SOURCE.md`.
    const BUILTIN_CHECKSUM: &str = "b0dfa7e9fe23f9aa";

    #[test]
    fn refuses_corrupt_files() {
        let mut bytes = file(1, &[("a", vec![1], 1.0)]);
        assert!(StaticEmbeddings::from_bytes(&bytes[..10]).is_err());
        bytes[21] ^= 1;
        assert!(StaticEmbeddings::from_bytes(&bytes).is_err());
    }
}
