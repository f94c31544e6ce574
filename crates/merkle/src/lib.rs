//! RFC 6962 Merkle tree hashing and proofs for anumati's access log.
//!
//! The consent manager writes every consent change and every data access to an
//! append-only log and publishes signed tree heads (a tree size plus the root
//! hash of the first `size` entries). This crate has the pure part of that: it
//! hashes, folds and proves, and does no I/O.
//!
//! # Hashing (RFC 6962 §2.1)
//!
//! * [`leaf_hash`]`(d)` = SHA-256(`0x00` ‖ d) — the hash of one log entry;
//! * [`node_hash`]`(l, r)` = SHA-256(`0x01` ‖ l ‖ r) — an interior node;
//! * [`empty_root`]`()` = SHA-256("") — the root of the empty tree.
//!
//! The different prefixes stop a leaf from being passed off as an interior node
//! (second-preimage attacks). The root of `n > 1` leaves, [`root`], splits them
//! at `k`, the largest power of two smaller than `n`, and hashes the root of the
//! first `k` with the root of the rest. The functions here take *leaf hashes*,
//! so callers hash each entry once with [`leaf_hash`] and keep the 32 bytes.
//!
//! # Streaming
//!
//! [`Tree`] is an append-only builder that keeps only the roots of the perfect
//! subtrees its size decomposes into (one per set bit of the size, at most 64
//! hashes). Appending costs one hash amortised, and [`Tree::root`] at the current
//! size costs at most 63 more, so `anumati audit verify` can stream a million
//! entries once and compare the root with every signed tree head on the way:
//!
//! ```
//! use anumati_merkle::{leaf_hash, Tree};
//!
//! let entries: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
//! // Signed tree heads published along the way: (size, root).
//! let heads: Vec<(u64, [u8; 32])> = [10usize, 64, 100]
//!     .iter()
//!     .map(|&n| (n as u64, anumati_merkle::root(
//!         &entries[..n].iter().map(|e| leaf_hash(e)).collect::<Vec<_>>(),
//!     )))
//!     .collect();
//!
//! let mut tree = Tree::new();
//! let mut pending = heads.iter().peekable();
//! for entry in &entries {
//!     tree.push(leaf_hash(entry));
//!     while let Some((size, expected)) = pending.next_if(|(size, _)| *size == tree.size()) {
//!         assert_eq!(&tree.root(), expected, "log was altered before entry {size}");
//!     }
//! }
//! assert!(pending.next().is_none());
//! ```
//!
//! # Proofs (RFC 6962 §2.1.1–2.1.2, verified as in RFC 9162 §2.1.3–2.1.4)
//!
//! * [`inclusion_proof`] / [`verify_inclusion`]: entry `i` is in the tree of
//!   size `n` whose root is `r` (the audit path, `⌈log₂ n⌉` hashes at most);
//! * [`consistency_proof`] / [`verify_consistency`]: the tree of size `m` is a
//!   prefix of the tree of size `n`, so nothing logged before `m` was changed.
//!
//! A root alone does not commit to its tree size: verify proofs against a
//! *signed tree head*, which binds the size and the root together.
//!
//! Generating a proof from the full list of leaf hashes costs O(n) hashing
//! (it recomputes the sibling subtrees' roots); verifying costs O(log n).
//! [`InclusionProof`] and [`ConsistencyProof`] are the serde (JSON) forms served
//! over HTTP, with each hash as 64 lowercase hex digits. Failures are
//! [`ProofError`]s.

mod encoding;
mod proof;

pub use encoding::{hash_from_hex, hash_to_hex, ConsistencyProof, InclusionProof};
pub use proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, ProofError,
};

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// The hash of one log entry: SHA-256(`0x00` ‖ `data`).
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(`0x01` ‖ `left` ‖ `right`).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The Merkle tree hash (MTH, RFC 6962 §2.1) of `leaf_hashes`.
///
/// O(n) hashing and O(log n) extra memory; no recursion.
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    leaf_hashes.iter().copied().collect::<Tree>().root()
}

/// An append-only Merkle tree that keeps only what it needs to produce its root.
///
/// It holds the roots of the perfect subtrees that the size decomposes into,
/// largest (leftmost) first: for size 13 = 8 + 4 + 1, the roots of leaves
/// 0..8, 8..12 and 12..13. Memory is O(log n); [`Tree::push`] costs one node
/// hash amortised; [`Tree::root`] folds the subtree roots right to left, which
/// is exactly the RFC 6962 shape, in at most 63 hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    size: u64,
    /// One hash per set bit of `size`, most significant bit first.
    peaks: Vec<Hash>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut hash = leaf_hash;
        let mut size = self.size;
        // Every trailing one bit of the old size is a perfect subtree of the
        // same height as `hash` has now: merge them, like a binary carry.
        while size & 1 == 1 {
            let left = self
                .peaks
                .pop()
                .expect("one peak per set bit of the tree size");
            hash = node_hash(&left, &hash);
            size >>= 1;
        }
        self.peaks.push(hash);
        self.size += 1;
    }

    /// Hashes `data` as a leaf and appends it.
    pub fn push_leaf(&mut self, data: &[u8]) {
        self.push(leaf_hash(data));
    }

    /// The root of the tree at its current size ([`empty_root`] when empty).
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        match peaks.next() {
            None => empty_root(),
            Some(last) => peaks.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

impl Extend<Hash> for Tree {
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaf_hashes: I) {
        for hash in leaf_hashes {
            self.push(hash);
        }
    }
}

impl FromIterator<Hash> for Tree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = Tree::new();
        tree.extend(leaf_hashes);
        tree
    }
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        for n in 2..2000usize {
            let k = split_point(n);
            assert!(
                k.is_power_of_two() && k < n && 2 * k >= n,
                "n = {n}, k = {k}"
            );
        }
    }

    #[test]
    fn tree_keeps_one_peak_per_set_bit() {
        let mut tree = Tree::new();
        for i in 0..1000u32 {
            tree.push_leaf(&i.to_be_bytes());
            assert_eq!(tree.peaks.len() as u32, tree.size().count_ones());
        }
    }
}
