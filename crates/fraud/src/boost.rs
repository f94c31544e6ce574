//! Gradient-boosted regression trees that correct a logistic model's
//! log-odds (binary log-loss, second-order leaf values, features binned at
//! quantiles). Small and shallow: they add the "if this, then that"
//! interactions a linear model cannot express, such as "a terminal whose
//! latest labelled payments were fraud".

use serde::{Deserialize, Serialize};

use crate::detector::FEATURES;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// `None` for a leaf.
    pub feature: Option<u16>,
    /// Goes left when `x[feature] <= threshold`.
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    /// The node's log-odds correction (a leaf's is what the tree adds).
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    pub fn predict(&self, x: &[f64; FEATURES]) -> f64 {
        let mut i = 0usize;
        loop {
            let Some(n) = self.nodes.get(i) else {
                return 0.0;
            };
            match n.feature {
                None => return n.value,
                Some(f) => {
                    let v = x.get(f as usize).copied().unwrap_or(0.0);
                    i = if v <= n.threshold { n.left } else { n.right } as usize;
                }
            }
        }
    }

    /// Adds to `out` each split feature's share of this tree's output: the
    /// change of the node value along the path (Saabas).
    pub fn contributions(&self, x: &[f64; FEATURES], out: &mut [f64; FEATURES]) {
        let mut i = 0usize;
        while let Some(n) = self.nodes.get(i) {
            let Some(f) = n.feature else { return };
            let v = x.get(f as usize).copied().unwrap_or(0.0);
            let next = if v <= n.threshold { n.left } else { n.right } as usize;
            let Some(child) = self.nodes.get(next) else {
                return;
            };
            if let Some(o) = out.get_mut(f as usize) {
                *o += child.value - n.value;
            }
            i = next;
        }
    }

    fn valid(&self) -> bool {
        let n = self.nodes.len() as u32;
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(i, node)| {
                node.value.is_finite()
                    && match node.feature {
                        None => true,
                        Some(f) => {
                            (f as usize) < FEATURES
                                && node.threshold.is_finite()
                                && node.left > i as u32
                                && node.right > i as u32
                                && node.left < n
                                && node.right < n
                        }
                    }
            })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BoostOptions {
    pub rounds: usize,
    pub depth: usize,
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub lambda: f64,
    pub min_leaf: usize,
    pub bins: usize,
}

impl Default for BoostOptions {
    fn default() -> Self {
        BoostOptions {
            rounds: 150,
            depth: 3,
            learning_rate: 0.1,
            lambda: 1.0,
            min_leaf: 20,
            bins: 48,
        }
    }
}

pub(crate) fn all_valid(trees: &[Tree]) -> bool {
    trees.iter().all(Tree::valid)
}

/// Fits trees on top of `base` log-odds.
pub(crate) fn fit(x: &[[f64; FEATURES]], y: &[bool], base: &[f64], o: BoostOptions) -> Vec<Tree> {
    let n = x.len().min(y.len()).min(base.len());
    if n == 0 {
        return Vec::new();
    }
    // Quantile thresholds per feature, and every value's bin.
    let mut thresholds: Vec<Vec<f64>> = Vec::with_capacity(FEATURES);
    for f in 0..FEATURES {
        let mut v: Vec<f64> = x[..n].iter().map(|r| r[f]).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        let t: Vec<f64> = if v.len() <= o.bins {
            v[..v.len().saturating_sub(1)].to_vec()
        } else {
            let mut t: Vec<f64> = (1..o.bins).map(|k| v[k * v.len() / o.bins]).collect();
            t.dedup();
            t
        };
        thresholds.push(t);
    }
    let bins: Vec<[u8; FEATURES]> = x[..n]
        .iter()
        .map(|r| {
            let mut b = [0u8; FEATURES];
            for f in 0..FEATURES {
                b[f] = thresholds[f].partition_point(|t| *t < r[f]) as u8;
            }
            b
        })
        .collect();
    let mut margin: Vec<f64> = base[..n].to_vec();
    let mut trees = Vec::with_capacity(o.rounds);
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n];
    for _ in 0..o.rounds {
        for i in 0..n {
            let p = 1.0 / (1.0 + (-margin[i]).exp());
            g[i] = p - if y[i] { 1.0 } else { 0.0 };
            h[i] = (p * (1.0 - p)).max(1e-9);
        }
        let mut nodes = Vec::new();
        let all: Vec<u32> = (0..n as u32).collect();
        grow(&mut nodes, all, 0, &bins, &thresholds, &g, &h, &o);
        let tree = Tree { nodes };
        for i in 0..n {
            margin[i] += tree.predict(&x[i]);
        }
        trees.push(tree);
    }
    trees
}

#[allow(clippy::too_many_arguments)]
fn grow(
    nodes: &mut Vec<Node>,
    rows: Vec<u32>,
    depth: usize,
    bins: &[[u8; FEATURES]],
    thresholds: &[Vec<f64>],
    g: &[f64],
    h: &[f64],
    o: &BoostOptions,
) -> u32 {
    let (gs, hs) = rows.iter().fold((0.0, 0.0), |(a, b), &i| {
        (a + g[i as usize], b + h[i as usize])
    });
    let value = -gs / (hs + o.lambda) * o.learning_rate;
    let me = nodes.len() as u32;
    nodes.push(Node {
        feature: None,
        threshold: 0.0,
        left: 0,
        right: 0,
        value,
    });
    if depth >= o.depth || rows.len() < 2 * o.min_leaf {
        return me;
    }
    let parent = gs * gs / (hs + o.lambda);
    let mut best: Option<(f64, usize, usize)> = None;
    let mut hist_g = vec![0.0f64; 256];
    let mut hist_h = vec![0.0f64; 256];
    let mut hist_n = vec![0usize; 256];
    for f in 0..FEATURES {
        let nb = thresholds[f].len() + 1;
        if nb < 2 {
            continue;
        }
        hist_g[..nb].fill(0.0);
        hist_h[..nb].fill(0.0);
        hist_n[..nb].fill(0);
        for &i in &rows {
            let b = bins[i as usize][f] as usize;
            hist_g[b] += g[i as usize];
            hist_h[b] += h[i as usize];
            hist_n[b] += 1;
        }
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0usize);
        for b in 0..nb - 1 {
            gl += hist_g[b];
            hl += hist_h[b];
            nl += hist_n[b];
            let nr = rows.len() - nl;
            if nl < o.min_leaf || nr < o.min_leaf {
                continue;
            }
            let (gr, hr) = (gs - gl, hs - hl);
            let gain = gl * gl / (hl + o.lambda) + gr * gr / (hr + o.lambda) - parent;
            if gain > 1e-9 && best.is_none_or(|(bg, _, _)| gain > bg) {
                best = Some((gain, f, b));
            }
        }
    }
    let Some((_, f, b)) = best else {
        return me;
    };
    let (left, right): (Vec<u32>, Vec<u32>) = rows
        .into_iter()
        .partition(|&i| (bins[i as usize][f] as usize) <= b);
    let l = grow(nodes, left, depth + 1, bins, thresholds, g, h, o);
    let r = grow(nodes, right, depth + 1, bins, thresholds, g, h, o);
    let node = &mut nodes[me as usize];
    node.feature = Some(f as u16);
    node.threshold = thresholds[f][b];
    node.left = l;
    node.right = r;
    me
}
