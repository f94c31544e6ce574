//! Logistic regression over the detector's features: standardised inputs,
//! L2-regularised, fitted by Newton's method (the feature count is small, so
//! each step solves a small dense system exactly), optionally followed by a
//! few shallow boosted trees ([`crate::boost`]) that correct its log-odds.

// Dense linear algebra reads best with indices.
#![allow(clippy::needless_range_loop)]

use serde::{Deserialize, Serialize};

use crate::boost::{self, BoostOptions, Tree};

use crate::detector::{FEATURES, FEATURE_NAMES};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the model has {found} features, the detector computes {expected}")]
    Shape { expected: usize, found: usize },
    #[error("the model's feature {index} is {found:?}, the detector's is {expected:?}")]
    Feature {
        index: usize,
        expected: String,
        found: String,
    },
    #[error("the model has a non-finite parameter")]
    NotFinite,
    #[error("nothing to train on: {0}")]
    NoData(&'static str),
}

/// A fitted (or hand-set) logistic model: `p = σ(b + Σ wᵢ (xᵢ − μᵢ) / sᵢ)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub features: Vec<String>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    /// Boosted corrections of the log-odds; empty for a purely linear model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trees: Vec<Tree>,
}

/// One feature's term of the log-odds, `weight * (x - mean) / scale`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Term {
    index: usize,
    weight: f64,
    mean: f64,
    scale: f64,
}

#[derive(Clone, Copy, Debug)]
pub struct TrainOptions {
    /// L2 penalty on the standardised weights (scikit-learn's 1/C).
    pub l2: f64,
    pub iterations: usize,
    /// Trees on top of the linear model (`None`, the default: linear only,
    /// which scores faster and ranks as well by AUC on the handbook data).
    pub boost: Option<BoostOptions>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2: 1.0,
            iterations: 50,
            boost: None,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn probability(logit: f64) -> f64 {
    let p = sigmoid(logit);
    if p.is_nan() {
        0.0
    } else {
        p
    }
}

impl Model {
    /// A hand-set model for a bank without labelled history yet: large
    /// amounts against the customer's own, unusual places and times,
    /// risky online categories and bursts raise the score. Replace it with
    /// [`Model::train`] once labels exist.
    pub fn prior() -> Model {
        let mut weights = vec![0.0; FEATURES];
        let set = |w: &mut Vec<f64>, name: &str, value: f64| {
            if let Some(i) = FEATURE_NAMES.iter().position(|n| *n == name) {
                w[i] = value;
            }
        };
        set(&mut weights, "amount_vs_30d_up", 1.6);
        set(&mut weights, "night", 1.0);
        set(&mut weights, "first_merchant", 0.5);
        set(&mut weights, "first_country", 1.2);
        set(&mut weights, "first_currency", 0.8);
        set(&mut weights, "impossible_travel", 5.0);
        set(&mut weights, "high_risk_cnp", 1.5);
        set(&mut weights, "card_small_cnp_recent", 0.8);
        set(&mut weights, "card_testing", 3.0);
        set(&mut weights, "card_n_1h", 0.3);
        set(&mut weights, "term_risk_30d", 20.0);
        set(&mut weights, "term_known_fraud", 1.5);
        set(&mut weights, "term_risk_last", 3.0);
        Model {
            features: FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            mean: vec![0.0; FEATURES],
            scale: vec![1.0; FEATURES],
            weights,
            bias: -5.0,
            trees: Vec::new(),
        }
    }

    /// Checks that the model fits this detector's features.
    pub fn validate(&self) -> Result<(), ModelError> {
        for v in [&self.mean, &self.scale, &self.weights] {
            if v.len() != FEATURES {
                return Err(ModelError::Shape {
                    expected: FEATURES,
                    found: v.len(),
                });
            }
        }
        if self.features.len() != FEATURES {
            return Err(ModelError::Shape {
                expected: FEATURES,
                found: self.features.len(),
            });
        }
        for (i, (found, expected)) in self.features.iter().zip(FEATURE_NAMES).enumerate() {
            if found != expected {
                return Err(ModelError::Feature {
                    index: i,
                    expected: expected.to_owned(),
                    found: found.clone(),
                });
            }
        }
        let finite = self
            .mean
            .iter()
            .chain(&self.scale)
            .chain(&self.weights)
            .chain(std::iter::once(&self.bias))
            .all(|v| v.is_finite());
        if !finite || self.scale.iter().any(|s| *s <= 0.0) || !boost::all_valid(&self.trees) {
            return Err(ModelError::NotFinite);
        }
        Ok(())
    }

    /// Each feature's share of the log-odds.
    pub fn contributions(&self, x: &[f64; FEATURES]) -> [f64; FEATURES] {
        let mut out = [0.0; FEATURES];
        for i in 0..FEATURES {
            out[i] = self.weights[i] * (x[i] - self.mean[i]) / self.scale[i];
        }
        for t in &self.trees {
            t.contributions(x, &mut out);
        }
        out
    }

    pub fn logit(&self, x: &[f64; FEATURES]) -> f64 {
        let mut z = self.bias;
        for i in 0..FEATURES {
            z += self.weights[i] * (x[i] - self.mean[i]) / self.scale[i];
        }
        for t in &self.trees {
            z += t.predict(x);
        }
        z
    }

    /// The probability of fraud in [0, 1].
    pub fn predict(&self, x: &[f64; FEATURES]) -> f64 {
        probability(self.logit(x))
    }

    /// The terms of the features with a non-zero weight, for
    /// [`Model::predict_active`].
    pub(crate) fn active(&self) -> Vec<Term> {
        (0..FEATURES)
            .filter(|&i| self.weights[i] != 0.0)
            .map(|i| Term {
                index: i,
                weight: self.weights[i],
                mean: self.mean[i],
                scale: self.scale[i],
            })
            .collect()
    }

    /// [`Model::predict`] reading only the `active` features. The same value
    /// bit for bit: a finite feature with a zero weight adds ±0 to the
    /// log-odds, which changes at most the sign of a zero sum, and σ(−0) =
    /// σ(+0); with a non-finite feature it takes the full sum.
    #[inline]
    pub(crate) fn predict_active(&self, x: &[f64; FEATURES], active: &[Term]) -> f64 {
        if !x.iter().fold(true, |finite, v| finite & v.is_finite()) {
            return self.predict(x);
        }
        let mut z = self.bias;
        for t in active {
            if let Some(v) = x.get(t.index) {
                z += t.weight * (v - t.mean) / t.scale;
            }
        }
        for t in &self.trees {
            z += t.predict(x);
        }
        probability(z)
    }

    /// Fits a model on labelled feature vectors.
    pub fn train(
        x: &[[f64; FEATURES]],
        y: &[bool],
        options: TrainOptions,
    ) -> Result<Model, ModelError> {
        let n = x.len().min(y.len());
        if n == 0 {
            return Err(ModelError::NoData("no examples"));
        }
        let positives = y[..n].iter().filter(|v| **v).count();
        if positives == 0 || positives == n {
            return Err(ModelError::NoData(
                "need both fraudulent and genuine examples",
            ));
        }
        let nf = n as f64;
        let mut mean = vec![0.0; FEATURES];
        let mut scale = vec![0.0; FEATURES];
        for row in &x[..n] {
            for i in 0..FEATURES {
                mean[i] += row[i];
            }
        }
        for m in &mut mean {
            *m /= nf;
        }
        for row in &x[..n] {
            for i in 0..FEATURES {
                scale[i] += (row[i] - mean[i]).powi(2);
            }
        }
        for s in &mut scale {
            *s = (*s / nf).sqrt();
            if *s < 1e-9 || !s.is_finite() {
                *s = 1.0;
            }
        }
        // Standardised design with a leading 1 for the bias.
        const D: usize = FEATURES + 1;
        let rows: Vec<[f64; D]> = x[..n]
            .iter()
            .map(|row| {
                let mut z = [0.0; D];
                z[0] = 1.0;
                for i in 0..FEATURES {
                    z[i + 1] = (row[i] - mean[i]) / scale[i];
                }
                z
            })
            .collect();
        let mut w = [0.0f64; D];
        let prior = positives as f64 / nf;
        w[0] = (prior / (1.0 - prior)).ln();
        let lambda = options.l2;
        for _ in 0..options.iterations {
            let mut grad = [0.0f64; D];
            let mut hess = vec![[0.0f64; D]; D];
            for (z, &label) in rows.iter().zip(&y[..n]) {
                let mut t = 0.0;
                for j in 0..D {
                    t += w[j] * z[j];
                }
                let p = sigmoid(t);
                let r = p - if label { 1.0 } else { 0.0 };
                let s = (p * (1.0 - p)).max(1e-12);
                for j in 0..D {
                    grad[j] += r * z[j];
                    let szj = s * z[j];
                    for k in 0..=j {
                        hess[j][k] += szj * z[k];
                    }
                }
            }
            for j in 1..D {
                grad[j] += lambda * w[j];
                hess[j][j] += lambda;
            }
            hess[0][0] += 1e-9 * nf;
            for j in 0..D {
                for k in 0..j {
                    hess[k][j] = hess[j][k];
                }
            }
            let Some(step) = solve(hess, grad) else {
                break;
            };
            // Newton's step, halved until the penalised loss goes down.
            let before = loss(&rows, &y[..n], &w, lambda);
            let mut t = 1.0;
            let mut moved = false;
            for _ in 0..30 {
                let mut cand = w;
                for j in 0..D {
                    cand[j] -= t * step[j];
                }
                if loss(&rows, &y[..n], &cand, lambda) <= before {
                    w = cand;
                    moved = true;
                    break;
                }
                t /= 2.0;
            }
            let change = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
            if !moved || change < 1e-7 {
                break;
            }
        }
        let mut model = Model {
            features: FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            mean,
            scale,
            weights: w[1..].to_vec(),
            bias: w[0],
            trees: Vec::new(),
        };
        if let Some(b) = options.boost {
            let base: Vec<f64> = x[..n].iter().map(|r| model.logit(r)).collect();
            model.trees = boost::fit(&x[..n], &y[..n], &base, b);
        }
        model.validate()?;
        Ok(model)
    }
}

/// Penalised negative log-likelihood.
fn loss<const D: usize>(rows: &[[f64; D]], y: &[bool], w: &[f64; D], lambda: f64) -> f64 {
    let mut l = 0.0;
    for (z, &label) in rows.iter().zip(y) {
        let mut t = 0.0;
        for j in 0..D {
            t += w[j] * z[j];
        }
        // log(1 + e^t) − y·t, stably.
        let softplus = if t > 0.0 {
            t + (-t).exp().ln_1p()
        } else {
            t.exp().ln_1p()
        };
        l += softplus - if label { t } else { 0.0 };
    }
    let penalty: f64 = w[1..].iter().map(|v| v * v).sum();
    l + 0.5 * lambda * penalty
}

/// Solves `a · x = b` for a symmetric positive definite `a` (Cholesky).
fn solve<const D: usize>(mut a: Vec<[f64; D]>, b: [f64; D]) -> Option<[f64; D]> {
    for j in 0..D {
        let mut d = a[j][j];
        for k in 0..j {
            d -= a[j][k] * a[j][k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j][j] = d;
        for i in j + 1..D {
            let mut s = a[i][j];
            for k in 0..j {
                s -= a[i][k] * a[j][k];
            }
            a[i][j] = s / d;
        }
    }
    let mut y = [0.0; D];
    for i in 0..D {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i][k] * y[k];
        }
        y[i] = s / a[i][i];
    }
    let mut x = [0.0; D];
    for i in (0..D).rev() {
        let mut s = y[i];
        for k in i + 1..D {
            s -= a[k][i] * x[k];
        }
        x[i] = s / a[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separating_feature() {
        // Fraud exactly when feature 0 is large; feature 1 is noise.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let mut row = [0.0; FEATURES];
            row[0] = f64::from(i % 20);
            row[1] = f64::from((i * 7) % 13);
            x.push(row);
            y.push(i % 20 >= 17);
        }
        let model = Model::train(&x, &y, TrainOptions::default()).unwrap();
        assert!(model.weights[0] > 0.0);
        let mut high = [0.0; FEATURES];
        high[0] = 19.0;
        let mut low = [0.0; FEATURES];
        low[0] = 2.0;
        assert!(model.predict(&high) > 0.9);
        assert!(model.predict(&low) < 0.1);
        assert!(model.weights[1].abs() < model.weights[0].abs());
        // A model survives JSON and is checked against the feature list.
        let json = serde_json::to_string(&model).unwrap();
        let back: Model = serde_json::from_str(&json).unwrap();
        assert_eq!(back.validate(), Ok(()));
        let mut wrong = back.clone();
        wrong.features[0] = "something_else".into();
        assert!(matches!(
            wrong.validate(),
            Err(ModelError::Feature { index: 0, .. })
        ));
    }

    #[test]
    fn refuses_one_class() {
        let x = vec![[0.0; FEATURES]; 3];
        assert!(Model::train(&x, &[false, false, false], TrainOptions::default()).is_err());
        assert!(Model::prior().validate().is_ok());
    }
}
