//! Inclusion and consistency proofs: generation (RFC 6962 §2.1.1–2.1.2) and
//! verification (RFC 9162 §2.1.3.2 and §2.1.4.2).

use crate::{empty_root, node_hash, root, split_point, Hash};

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for a tree of size {tree_size}")]
    IndexOutOfRange { index: u64, tree_size: u64 },
    /// A proof was asked for a tree larger than the leaves given.
    #[error("tree size {tree_size} exceeds the {available} leaves available")]
    TreeSizeTooLarge { tree_size: u64, available: u64 },
    /// A consistency proof between a larger first and a smaller second tree.
    #[error("first tree size {first} is larger than second tree size {second}")]
    BadSizes { first: u64, second: u64 },
    /// The proof has the wrong number of hashes for its index and sizes.
    #[error("proof has {actual} hashes; {expected} expected")]
    WrongLength { expected: usize, actual: usize },
    /// The proof recomputes a different root than the one claimed.
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    /// A hash in a serialised proof is not 64 hex digits.
    #[error("invalid hash encoding: {0}")]
    InvalidHash(String),
}

/// The audit path (PATH, RFC 6962 §2.1.1) of leaf `index` in the tree made of
/// the first `tree_size` of `leaf_hashes`, ordered from the leaf up.
///
/// Costs O(`tree_size`) hashing: the siblings' roots are recomputed.
pub fn inclusion_proof(
    leaf_hashes: &[Hash],
    index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange { index, tree_size });
    }
    let leaves = prefix(leaf_hashes, tree_size)?;
    // `index < tree_size <= leaf_hashes.len()`, so it fits in a usize.
    let mut m = index as usize;
    let (mut lo, mut hi) = (0, leaves.len());
    let mut path = Vec::new();
    // Walk from the root down to the leaf, recording each sibling subtree's root.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < k {
            path.push(root(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            path.push(root(&leaves[lo..lo + k]));
            lo += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of size `tree_size`
/// whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange { index, tree_size });
    }
    let expected = inclusion_path_len(index, tree_size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    let wrong_length = ProofError::WrongLength {
        expected,
        actual: proof.len(),
    };
    let (mut fnode, mut snode) = (index, tree_size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The consistency proof (PROOF, RFC 6962 §2.1.2) that the tree made of the
/// first `first_size` leaves is a prefix of the one made of the first
/// `second_size`. Empty when `first_size` is 0 or equals `second_size`.
///
/// Costs O(`second_size`) hashing.
pub fn consistency_proof(
    leaf_hashes: &[Hash],
    first_size: u64,
    second_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if first_size > second_size {
        return Err(ProofError::BadSizes {
            first: first_size,
            second: second_size,
        });
    }
    let leaves = prefix(leaf_hashes, second_size)?;
    let mut proof = Vec::new();
    if first_size == 0 || first_size == second_size {
        return Ok(proof);
    }
    // `0 < first_size < second_size <= leaf_hashes.len()`.
    let mut m = first_size as usize;
    let (mut lo, mut hi) = (0, leaves.len());
    // SUBPROOF's flag: is the current subtree's left edge the old root itself?
    let mut complete = true;
    loop {
        if m == hi - lo {
            if !complete {
                proof.push(root(&leaves[lo..hi]));
            }
            break;
        }
        let k = split_point(hi - lo);
        if m <= k {
            proof.push(root(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            proof.push(root(&leaves[lo..lo + k]));
            lo += k;
            m -= k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks that the tree of size `first_size` with root `first_root` is a prefix
/// of the tree of size `second_size` with root `second_root` (RFC 9162 §2.1.4.2).
///
/// Equal sizes need an empty proof and equal roots; a first size of 0 needs an
/// empty proof and `first_root` equal to [`empty_root`].
pub fn verify_consistency(
    first_size: u64,
    second_size: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first_size > second_size {
        return Err(ProofError::BadSizes {
            first: first_size,
            second: second_size,
        });
    }
    if first_size == 0 || first_size == second_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        let expected_first = if first_size == 0 {
            empty_root()
        } else {
            *second_root
        };
        if *first_root != expected_first {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }

    let expected = consistency_proof_len(first_size, second_size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    let wrong_length = ProofError::WrongLength {
        expected,
        actual: proof.len(),
    };
    // When the old tree is perfect, its root is a node of the new tree and the
    // proof omits it: start from it instead of from the proof's first hash.
    let (seed, rest) = if first_size.is_power_of_two() {
        (*first_root, proof)
    } else {
        (proof[0], &proof[1..])
    };
    let (mut fnode, mut snode) = (first_size - 1, second_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length);
    }
    if fr != *first_root || sr != *second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The first `size` leaf hashes, or an error when there are fewer.
fn prefix(leaf_hashes: &[Hash], size: u64) -> Result<&[Hash], ProofError> {
    match usize::try_from(size) {
        Ok(n) if n <= leaf_hashes.len() => Ok(&leaf_hashes[..n]),
        _ => Err(ProofError::TreeSizeTooLarge {
            tree_size: size,
            available: leaf_hashes.len() as u64,
        }),
    }
}

/// The length of the audit path of leaf `index < size`: one hash for each level
/// where the leaf's path and the last leaf's path have split ("inner"), plus one
/// for each left sibling on the right border above that ("border").
fn inclusion_path_len(index: u64, size: u64) -> usize {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// The length of the consistency proof for `0 < first < second`: the audit
/// path of the old tree's last perfect subtree inside the new tree, plus that
/// subtree's own root unless it is the whole old tree.
fn consistency_proof_len(first: u64, second: u64) -> usize {
    let level = first.trailing_zeros();
    let index = (first - 1) >> level;
    let size = ((second - 1) >> level) + 1;
    inclusion_path_len(index, size) + usize::from(index != 0)
}
