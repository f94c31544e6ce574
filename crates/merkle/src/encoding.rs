//! Serde (JSON) forms of proofs, with hashes as lowercase hex strings.

use serde::{Deserialize, Serialize};

use crate::{verify_consistency, verify_inclusion, Hash, ProofError};

/// A hash as 64 lowercase hex digits.
pub fn hash_to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// Parses 64 hex digits (either case) into a hash.
pub fn hash_from_hex(text: &str) -> Result<Hash, ProofError> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .map_err(|e| ProofError::InvalidHash(format!("{e} in {text:?}")))?;
    Ok(hash)
}

fn decode_all(hashes: &[String]) -> Result<Vec<Hash>, ProofError> {
    hashes.iter().map(|h| hash_from_hex(h)).collect()
}

fn encode_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hash_to_hex).collect()
}

/// That leaf `leaf_index` is in the tree of size `tree_size`: the audit path,
/// from the leaf up, as hex strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub audit_path: Vec<String>,
}

impl InclusionProof {
    /// Wraps an audit path made by [`crate::inclusion_proof`].
    pub fn new(leaf_index: u64, tree_size: u64, audit_path: &[Hash]) -> Self {
        Self {
            leaf_index,
            tree_size,
            audit_path: encode_all(audit_path),
        }
    }

    /// The audit path as hashes.
    pub fn decode_path(&self) -> Result<Vec<Hash>, ProofError> {
        decode_all(&self.audit_path)
    }

    /// Checks the proof for `leaf_hash` against the root of a signed tree head
    /// of size [`Self::tree_size`].
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(
            leaf_hash,
            self.leaf_index,
            self.tree_size,
            &self.decode_path()?,
            root,
        )
    }
}

/// That the tree of size `first` is a prefix of the tree of size `second`:
/// the consistency proof as hex strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    pub proof: Vec<String>,
}

impl ConsistencyProof {
    /// Wraps a proof made by [`crate::consistency_proof`].
    pub fn new(first: u64, second: u64, proof: &[Hash]) -> Self {
        Self {
            first,
            second,
            proof: encode_all(proof),
        }
    }

    /// The proof as hashes.
    pub fn decode_proof(&self) -> Result<Vec<Hash>, ProofError> {
        decode_all(&self.proof)
    }

    /// Checks the proof against the roots of the signed tree heads of sizes
    /// [`Self::first`] and [`Self::second`].
    pub fn verify(&self, first_root: &Hash, second_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(
            self.first,
            self.second,
            first_root,
            second_root,
            &self.decode_proof()?,
        )
    }
}
