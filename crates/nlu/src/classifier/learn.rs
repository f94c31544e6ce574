//! The learner: one-vs-rest L2-loss linear SVMs by dual coordinate descent
//! with shrinking (as in LIBLINEAR), deterministic for a given seed.

use super::features::Sparse;

/// A small, fast, seeded generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is negligible for our n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A linear model over all labels: `scores = W x + b`, `W` feature-major
/// (`w[f * labels + k]`) so a sparse `x` reads contiguous rows.
#[derive(Clone, PartialEq)]
pub struct Linear {
    pub labels: usize,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

impl Linear {
    pub fn zeros(features: usize, labels: usize) -> Self {
        Linear {
            labels,
            w: vec![0.0; features * labels],
            b: vec![0.0; labels],
        }
    }

    /// `out = W x + b`.
    pub fn scores(&self, x: &Sparse, out: &mut [f32]) {
        let k = self.labels;
        out.copy_from_slice(&self.b);
        for &(f, v) in x {
            let row = &self.w[f as usize * k..(f as usize + 1) * k];
            for (o, w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
    }
}

/// In-place softmax.
pub fn softmax(s: &mut [f32]) {
    let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in s.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in s.iter_mut() {
        *x /= sum;
    }
}

/// Settings of the one-vs-rest SVMs.
#[derive(Debug, Clone, Copy)]
pub struct SvmParams {
    pub c: f32,
    pub iterations: u32,
    /// Stop when the projected gradients span less than this.
    pub tolerance: f32,
    /// The value of the constant feature that carries the bias.
    pub bias: f32,
}

/// Training examples: sparse features, and a dense block of `dims` values
/// each (row-major in `dense`, empty when `dims` is 0) that are the last
/// `dims` features. The block is kept apart so that its products run over
/// contiguous values: as (index, value) pairs among the sparse ones,
/// training on Banking77 took 1.6 times as long.
pub struct Examples<'a> {
    pub sparse: &'a [Sparse],
    pub dense: &'a [f32],
    pub dims: usize,
}

impl Examples<'_> {
    pub fn dense_row(&self, i: usize) -> &[f32] {
        &self.dense[i * self.dims..(i + 1) * self.dims]
    }
}

/// Stochastic gradient descent's schedule: `epochs` passes over `order`,
/// shuffled by `rng` before each, calling `step(example, rate)` with a
/// rate that decays linearly from `lr` to 0 over all the steps.
pub(crate) fn sgd(
    order: &mut [usize],
    epochs: u32,
    lr: f32,
    rng: &mut Rng,
    mut step: impl FnMut(usize, f32),
) {
    let total = (epochs as usize * order.len()).max(1) as f32;
    let mut done = 0usize;
    for _ in 0..epochs {
        rng.shuffle(order);
        for &i in order.iter() {
            step(i, lr * (1.0 - done as f32 / total));
            done += 1;
        }
    }
}

/// `a · b` in eight running sums, so that the additions can overlap.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let rest: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            sums[j] += x[j] * y[j];
        }
    }
    sums.iter().sum::<f32>() + rest
}

/// One-vs-rest L2-regularised, L2-loss (squared hinge) linear SVMs by dual
/// coordinate descent (Hsieh et al. 2008), one per label, on up to
/// `threads` threads (the result does not depend on how many).
pub fn train_svm(
    examples: &Examples<'_>,
    ys: &[u32],
    features: usize,
    labels: usize,
    p: &SvmParams,
    seed: u64,
    threads: usize,
) -> Linear {
    let xs = examples.sparse;
    let dense_from = features - examples.dims;
    let sq: Vec<f32> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let d = examples.dense_row(i);
            x.iter().map(|(_, v)| v * v).sum::<f32>() + dot(d, d)
        })
        .collect();
    let one = |label: usize| -> (Vec<f32>, f32) {
        let mut rng = Rng::new(seed ^ (label as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let d = 1.0 / (2.0 * p.c);
        let mut w = vec![0.0f32; features];
        let mut b = 0.0f32;
        let mut alpha = vec![0.0f32; xs.len()];
        let mut active: Vec<usize> = (0..xs.len()).collect();
        let mut size = active.len();
        // LIBLINEAR's shrinking: an example at alpha = 0 whose gradient is
        // beyond the last pass's largest projected gradient leaves the
        // active set until the active set has converged.
        let mut pg_max_old = f32::INFINITY;
        let mut iteration = 0;
        while iteration < p.iterations {
            rng.shuffle(&mut active[..size]);
            let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
            let mut s = 0;
            while s < size {
                let i = active[s];
                let y = if ys[i] as usize == label { 1.0 } else { -1.0 };
                let (x, row) = (&xs[i], examples.dense_row(i));
                let wx: f32 = x.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>()
                    + dot(&w[dense_from..], row)
                    + b * p.bias;
                let g = y * wx - 1.0 + d * alpha[i];
                let pg = if alpha[i] == 0.0 {
                    if g > pg_max_old {
                        size -= 1;
                        active.swap(s, size);
                        continue;
                    }
                    g.min(0.0)
                } else {
                    g
                };
                pg_max = pg_max.max(pg);
                pg_min = pg_min.min(pg);
                if pg.abs() > 1e-12 {
                    let q = sq[i] + p.bias * p.bias + d;
                    let old = alpha[i];
                    alpha[i] = (old - g / q).max(0.0);
                    let step = (alpha[i] - old) * y;
                    for &(f, v) in x {
                        w[f as usize] += step * v;
                    }
                    for (w, v) in w[dense_from..].iter_mut().zip(row) {
                        *w += step * v;
                    }
                    b += step * p.bias;
                }
                s += 1;
            }
            iteration += 1;
            if pg_max - pg_min <= p.tolerance {
                if size == xs.len() {
                    break;
                }
                size = xs.len();
                pg_max_old = f32::INFINITY;
                continue;
            }
            pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
        }
        (w, b * p.bias)
    };
    let threads = threads.clamp(1, labels.max(1));
    let mut per_label: Vec<Option<(Vec<f32>, f32)>> = vec![None; labels];
    std::thread::scope(|scope| {
        let one = &one;
        let chunks: Vec<_> = per_label
            .chunks_mut(labels.div_ceil(threads).max(1))
            .enumerate()
            .map(|(c, chunk)| {
                let first = c * labels.div_ceil(threads).max(1);
                scope.spawn(move || {
                    for (j, slot) in chunk.iter_mut().enumerate() {
                        *slot = Some(one(first + j));
                    }
                })
            })
            .collect();
        for h in chunks {
            h.join().expect("an SVM training thread panicked");
        }
    });
    let mut model = Linear::zeros(features, labels);
    for (k, slot) in per_label.into_iter().enumerate() {
        let (w, b) = slot.expect("every label was trained");
        for (f, v) in w.into_iter().enumerate() {
            model.w[f * labels + k] = v;
        }
        model.b[k] = b;
    }
    model
}
