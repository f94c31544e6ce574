//! A second model beside the SVMs: the static token vectors fine-tuned on
//! the labels (fastText / Model2Vec-classifier style). A text is the mean
//! of its tokens' vectors; a linear softmax layer reads it; the token table
//! (initialised from the distilled vectors) and the layer are trained
//! together by SGD on the cross-entropy, one example at a time in a seeded
//! order with a linearly decaying rate, so training is deterministic. The
//! trained table is kept as int8 with one scale per row, as the embeddings
//! file is: the model file stores exactly what predictions use.

use super::embed::StaticEmbeddings;
use super::learn::{dot, Rng};

/// A distribution over labels: (label, probability), the teacher's targets.
pub type Soft = Vec<(u32, f32)>;

/// Settings of the fine-tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneParams {
    /// Passes over the data.
    pub epochs: u32,
    /// Learning rate at the start, decayed linearly to 0.
    pub lr: f32,
    /// Learning rate of the token table relative to the layer's.
    pub table_lr: f32,
    /// Weight of the teacher's probabilities in the target of a text that
    /// has them ([`super::teacher`]); the label has the rest.
    pub teacher_weight: f32,
    /// Temperature applied to the teacher's probabilities (above 1 softer).
    pub teacher_temperature: f32,
    /// Also train on the teacher's variants of the texts (with
    /// [`Self::teacher_weight`] above 0).
    pub variants: bool,
}

/// What the project ships: chosen on Banking77 (cross-validation on
/// training folds, see BENCHMARKS.md).
pub const DEFAULT_PARAMS: TuneParams = TuneParams {
    epochs: 20,
    lr: 0.2,
    table_lr: 1.0,
    teacher_weight: 0.0,
    teacher_temperature: 1.0,
    variants: false,
};

/// The fine-tuned token table and softmax layer.
#[derive(Clone, PartialEq)]
pub struct Tuned {
    pub(crate) dims: usize,
    pub(crate) labels: usize,
    /// One scale per token and `dims` int8s per token (row-major): the
    /// table as stored; `table` is their product.
    pub(crate) scales: Vec<f32>,
    pub(crate) q: Vec<i8>,
    table: Vec<f32>,
    /// `labels × dims`, row-major, and the biases.
    pub(crate) w: Vec<f32>,
    pub(crate) b: Vec<f32>,
}

impl std::fmt::Debug for Tuned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tuned")
            .field("dims", &self.dims)
            .field("tokens", &self.scales.len())
            .field("labels", &self.labels)
            .finish()
    }
}

fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

impl Tuned {
    /// Trains on token ids `docs` with labels `ys` (`< labels`), the table
    /// initialised from `init` (scaled so its rows have mean norm 1).
    /// `soft` holds, for the texts that have them (or is empty), the
    /// teacher's probabilities as (label, probability): the target is then
    /// `teacher_weight` of those and the rest the label.
    /// `None` if training diverged (a number is not finite).
    pub fn train(
        init: &StaticEmbeddings,
        docs: &[Vec<u32>],
        ys: &[u32],
        soft: &[Option<Soft>],
        labels: usize,
        p: &TuneParams,
        seed: u64,
    ) -> Option<Tuned> {
        let d = init.dims();
        let mut table = init.dequantised();
        let rows = table.len() / d.max(1);
        let mean_norm =
            table.chunks_exact(d).map(|r| dot(r, r).sqrt()).sum::<f32>() / rows.max(1) as f32;
        if mean_norm > 0.0 {
            for x in &mut table {
                *x /= mean_norm;
            }
        }
        let mut t = Tuned {
            dims: d,
            labels,
            scales: Vec::new(),
            q: Vec::new(),
            table,
            w: vec![0.0; labels * d],
            b: vec![0.0; labels],
        };
        let mut order: Vec<usize> = (0..docs.len())
            .filter(|&i| !docs[i].is_empty() && (ys[i] as usize) < labels)
            .collect();
        let mut rng = Rng::new(seed ^ 0x7475_6e65_6400_0000);
        let (mut h, mut gh, mut z) = (vec![0.0; d], vec![0.0; d], vec![0.0; labels]);
        super::learn::sgd(&mut order, p.epochs, p.lr, &mut rng, |i, lr| {
            let ids = &docs[i];
            t.pool(ids, &mut h);
            t.logits(&h, &mut z);
            super::learn::softmax(&mut z);
            match soft.get(i).and_then(|s| s.as_ref()) {
                Some(targets) if p.teacher_weight > 0.0 => {
                    z[ys[i] as usize] -= 1.0 - p.teacher_weight;
                    for &(k, q) in targets {
                        if let Some(z) = z.get_mut(k as usize) {
                            *z -= p.teacher_weight * q;
                        }
                    }
                }
                _ => z[ys[i] as usize] -= 1.0,
            }
            gh.fill(0.0);
            for (k, &g) in z.iter().enumerate() {
                let row = &mut t.w[k * d..(k + 1) * d];
                axpy(g, row, &mut gh);
                axpy(-lr * g, &h, row);
                t.b[k] -= lr * g;
            }
            let scale = -lr * p.table_lr / ids.len() as f32;
            for &id in ids {
                let id = id as usize;
                if let Some(row) = t.table.get_mut(id * d..(id + 1) * d) {
                    axpy(scale, &gh, row);
                }
            }
        });
        if !t
            .table
            .iter()
            .chain(&t.w)
            .chain(&t.b)
            .all(|x| x.is_finite())
        {
            return None;
        }
        let (scales, q) = quantise(&t.table, d);
        Some(Tuned::from_parts(d, labels, scales, q, t.w, t.b))
    }

    /// A model from its stored parts (the model file's reader checks their
    /// sizes and numbers).
    pub(crate) fn from_parts(
        dims: usize,
        labels: usize,
        scales: Vec<f32>,
        q: Vec<i8>,
        w: Vec<f32>,
        b: Vec<f32>,
    ) -> Tuned {
        let table = q
            .chunks_exact(dims.max(1))
            .zip(&scales)
            .flat_map(|(row, &s)| row.iter().map(move |&x| s * f32::from(x)))
            .collect();
        Tuned {
            dims,
            labels,
            scales,
            q,
            table,
            w,
            b,
        }
    }

    /// The mean of the tokens' vectors (zeros for no tokens).
    fn pool(&self, ids: &[u32], h: &mut [f32]) {
        h.fill(0.0);
        let d = self.dims;
        let mut n = 0;
        for &id in ids {
            let id = id as usize;
            if let Some(row) = self.table.get(id * d..(id + 1) * d) {
                axpy(1.0, row, h);
                n += 1;
            }
        }
        if n > 0 {
            let inv = 1.0 / n as f32;
            for x in h.iter_mut() {
                *x *= inv;
            }
        }
    }

    fn logits(&self, h: &[f32], z: &mut [f32]) {
        let d = self.dims;
        for (k, z) in z.iter_mut().enumerate() {
            *z = self.b[k] + dot(&self.w[k * d..(k + 1) * d], h);
        }
    }

    /// Log-probabilities of each label for the token ids.
    /// No tokens, no opinion: all zeros (the same for every label, so
    /// added to other scores it changes nothing).
    pub fn log_probs(&self, ids: &[u32], out: &mut [f32]) {
        if ids.is_empty() {
            out.fill(0.0);
            return;
        }
        let mut h = vec![0.0; self.dims];
        self.pool(ids, &mut h);
        self.logits(&h, out);
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = out.iter().map(|&v| (v - max).exp()).sum::<f32>().ln() + max;
        for v in out.iter_mut() {
            *v -= lse;
        }
    }
}

/// Int8 rows with one scale each (`max |x| / 127`).
fn quantise(table: &[f32], dims: usize) -> (Vec<f32>, Vec<i8>) {
    let mut scales = Vec::with_capacity(table.len() / dims.max(1));
    let mut q = Vec::with_capacity(table.len());
    for row in table.chunks_exact(dims.max(1)) {
        let max = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 && max.is_finite() {
            max / 127.0
        } else {
            1.0
        };
        scales.push(scale);
        q.extend(
            row.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
    }
    (scales, q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::embed::tests::file;

    fn embeddings() -> StaticEmbeddings {
        let rows = [
            ("[UNK]", vec![0, 0, 0], 1.0),
            ("card", vec![100, 20, 0], 0.01),
            ("lost", vec![10, 120, 5], 0.01),
            ("rate", vec![0, 30, 110], 0.01),
            ("euro", vec![5, 5, 127], 0.01),
            ("stolen", vec![60, 90, 0], 0.01),
        ];
        StaticEmbeddings::from_bytes(&file(3, &rows)).unwrap()
    }

    fn data(e: &StaticEmbeddings) -> (Vec<Vec<u32>>, Vec<u32>) {
        let rows = [
            ("lost card", 0),
            ("card stolen", 0),
            ("stolen", 0),
            ("euro rate", 1),
            ("rate", 1),
            ("euro", 1),
        ];
        (
            rows.iter().map(|(t, _)| e.token_ids(t)).collect(),
            rows.iter().map(|(_, y)| *y).collect(),
        )
    }

    #[test]
    fn learns_and_is_deterministic() {
        let e = embeddings();
        let (docs, ys) = data(&e);
        let p = TuneParams {
            epochs: 50,
            lr: 0.5,
            table_lr: 1.0,
            ..DEFAULT_PARAMS
        };
        let t = Tuned::train(&e, &docs, &ys, &[], 2, &p, 1).unwrap();
        let mut lp = [0.0; 2];
        for (doc, &y) in docs.iter().zip(&ys) {
            t.log_probs(doc, &mut lp);
            assert!(lp[y as usize] > lp[1 - y as usize], "{doc:?}: {lp:?}");
            let sum: f32 = lp.iter().map(|l| l.exp()).sum();
            assert!((sum - 1.0).abs() < 1e-5);
        }
        // The same seed gives the same model; the table moved from its
        // initial vectors.
        assert!(Tuned::train(&e, &docs, &ys, &[], 2, &p, 1).unwrap() == t);
        let untrained =
            Tuned::train(&e, &docs, &ys, &[], 2, &TuneParams { epochs: 0, ..p }, 1).unwrap();
        assert!(untrained.q != t.q);
        // No tokens: the biases alone, still a distribution.
        t.log_probs(&[], &mut lp);
        assert!(lp.iter().all(|l| l.is_finite()));
    }

    #[test]
    fn follows_the_teacher_at_its_weight() {
        let e = embeddings();
        let (docs, ys) = data(&e);
        // The teacher says "stolen" (labelled 0) is label 1.
        let mut soft = vec![None; docs.len()];
        soft[2] = Some(vec![(1, 1.0)]);
        let p = TuneParams {
            epochs: 80,
            lr: 0.5,
            ..DEFAULT_PARAMS
        };
        let mut lp = [0.0; 2];
        let label = Tuned::train(&e, &docs, &ys, &soft, 2, &p, 1).unwrap();
        label.log_probs(&docs[2], &mut lp);
        assert!(lp[0] > lp[1], "the label alone at weight 0: {lp:?}");
        let taught = TuneParams {
            teacher_weight: 1.0,
            ..p
        };
        let student = Tuned::train(&e, &docs, &ys, &soft, 2, &taught, 1).unwrap();
        student.log_probs(&docs[2], &mut lp);
        assert!(lp[1] > lp[0], "the teacher alone at weight 1: {lp:?}");
        // Texts without targets keep their labels.
        student.log_probs(&docs[0], &mut lp);
        assert!(lp[0] > lp[1], "{lp:?}");
    }

    #[test]
    fn stored_parts_give_the_same_model() {
        let e = embeddings();
        let (docs, ys) = data(&e);
        let t = Tuned::train(&e, &docs, &ys, &[], 2, &DEFAULT_PARAMS, 3).unwrap();
        let back = Tuned::from_parts(
            t.dims,
            t.labels,
            t.scales.clone(),
            t.q.clone(),
            t.w.clone(),
            t.b.clone(),
        );
        assert!(back == t);
    }

    #[test]
    fn divergence_is_refused_not_stored() {
        let e = embeddings();
        let (docs, ys) = data(&e);
        let wild = TuneParams {
            epochs: 50,
            lr: 1e30,
            table_lr: 1e30,
            ..DEFAULT_PARAMS
        };
        assert!(Tuned::train(&e, &docs, &ys, &[], 2, &wild, 1).is_none());
    }
}
