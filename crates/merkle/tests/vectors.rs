//! Known-answer tests: the reference tree of the certificate-transparency
//! project (google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc;
//! the same values are in transparency-dev/merkle, proof/verify_test.go and
//! rfc6962/rfc6962_test.go). Eight leaves, roots for sizes 1..=8, and the
//! published audit paths and consistency proofs. The corruption checks mirror
//! those reference tests.

use anumati_merkle::{
    consistency_proof, empty_root, hash_from_hex, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion, Hash, ProofError, Tree,
};

const INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees made of the first 1..=8 inputs.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// (0-based leaf index, tree size, audit path). The reference files number
/// leaves from 1; the indexes here are theirs minus one.
const PATHS: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (first size, second size, consistency proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(text: &str) -> Hash {
    hash_from_hex(text).expect("test vector is 64 hex digits")
}

fn hashes(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|t| h(t)).collect()
}

fn leaves() -> Vec<Hash> {
    INPUTS
        .iter()
        .map(|input| leaf_hash(&hex::decode(input).expect("hex input")))
        .collect()
}

fn root_of(size: u64) -> Hash {
    if size == 0 {
        h(EMPTY_ROOT)
    } else {
        h(ROOTS[size as usize - 1])
    }
}

/// A hash that appears nowhere in the reference tree.
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

#[test]
fn empty_root_is_sha256_of_empty_string() {
    assert_eq!(empty_root(), h(EMPTY_ROOT));
    assert_eq!(root(&[]), h(EMPTY_ROOT));
    assert_eq!(Tree::new().root(), h(EMPTY_ROOT));
}

#[test]
fn leaf_and_node_hashes_are_domain_separated() {
    // SHA-256(0x00): the hash of the empty leaf is not the empty root.
    assert_eq!(
        leaf_hash(b""),
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    // SHA-256(0x00 || "L123456"), from transparency-dev/merkle rfc6962_test.go.
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    );
    // A node over two leaves is not the leaf hash of their concatenation.
    let (a, b) = (leaf_hash(b"Hello"), leaf_hash(b"World"));
    assert_ne!(node_hash(&a, &b), leaf_hash(&[a, b].concat()));
    assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
}

#[test]
fn roots_for_sizes_1_to_8() {
    let leaves = leaves();
    let mut tree = Tree::new();
    for (i, leaf) in leaves.iter().enumerate() {
        tree.push(*leaf);
        let size = i as u64 + 1;
        assert_eq!(tree.size(), size);
        assert_eq!(root(&leaves[..=i]), root_of(size), "root({size})");
        assert_eq!(tree.root(), root_of(size), "Tree root at size {size}");
    }
    // Built in one go, from data rather than hashes.
    let mut from_data = Tree::new();
    for input in INPUTS {
        from_data.push_leaf(&hex::decode(input).unwrap());
    }
    assert_eq!(from_data.root(), h(ROOTS[7]));
}

#[test]
fn inclusion_proofs_match_reference_paths() {
    let leaves = leaves();
    for (index, size, path) in PATHS {
        let expected = hashes(path);
        assert_eq!(
            inclusion_proof(&leaves, index, size).unwrap(),
            expected,
            "path for leaf {index} in tree {size}"
        );
        verify_inclusion(
            &leaves[index as usize],
            index,
            size,
            &expected,
            &root_of(size),
        )
        .unwrap_or_else(|e| panic!("leaf {index} in tree {size}: {e}"));
    }
}

#[test]
fn consistency_proofs_match_reference_proofs() {
    let leaves = leaves();
    for (first, second, proof) in CONSISTENCY {
        let expected = hashes(proof);
        assert_eq!(
            consistency_proof(&leaves, first, second).unwrap(),
            expected,
            "proof {first} -> {second}"
        );
        verify_consistency(first, second, &root_of(first), &root_of(second), &expected)
            .unwrap_or_else(|e| panic!("{first} -> {second}: {e}"));
    }
}

fn flip_bit(hash: &Hash, bit: u8) -> Hash {
    let mut out = *hash;
    out[0] ^= bit;
    out
}

#[test]
fn reference_inclusion_proofs_reject_corruption() {
    let leaves = leaves();
    let some = h(SOME_HASH);
    for (index, size, path) in PATHS {
        let proof = hashes(path);
        let (leaf, root) = (leaves[index as usize], root_of(size));
        let mut probes: Vec<(String, Hash, u64, u64, Vec<Hash>, Hash)> = vec![
            (
                "index + 1".into(),
                leaf,
                index + 1,
                size,
                proof.clone(),
                root,
            ),
            (
                "index ^ 2".into(),
                leaf,
                index ^ 2,
                size,
                proof.clone(),
                root,
            ),
            (
                "size * 2".into(),
                leaf,
                index,
                size * 2,
                proof.clone(),
                root,
            ),
            (
                "size / 2".into(),
                leaf,
                index,
                size / 2,
                proof.clone(),
                root,
            ),
            (
                "wrong leaf".into(),
                leaf_hash(b"WrongLeaf"),
                index,
                size,
                proof.clone(),
                root,
            ),
            (
                "empty root".into(),
                leaf,
                index,
                size,
                proof.clone(),
                empty_root(),
            ),
            ("random root".into(), leaf, index, size, proof.clone(), some),
            (
                "trailing root".into(),
                leaf,
                index,
                size,
                [&proof[..], &[root]].concat(),
                root,
            ),
            (
                "preceding root".into(),
                leaf,
                index,
                size,
                [&[root], &proof[..]].concat(),
                root,
            ),
        ];
        if index > 0 {
            probes.push((
                "index - 1".into(),
                leaf,
                index - 1,
                size,
                proof.clone(),
                root,
            ));
        }
        for i in 0..proof.len() {
            let mut wrong = proof.clone();
            wrong[i] = flip_bit(&wrong[i], 8);
            probes.push((format!("proof[{i}] bit 3"), leaf, index, size, wrong, root));
        }
        if let Some((_, rest)) = proof.split_last() {
            probes.push((
                "removed component".into(),
                leaf,
                index,
                size,
                rest.to_vec(),
                root,
            ));
        }
        if proof.len() > 1 {
            let inserted = [&proof[..1], &[some], &proof[1..]].concat();
            probes.push((
                "inserted component".into(),
                leaf,
                index,
                size,
                inserted,
                root,
            ));
        }
        for (desc, leaf, index, size, proof, root) in probes {
            assert!(
                verify_inclusion(&leaf, index, size, &proof, &root).is_err(),
                "leaf {index} of {size} verified despite {desc}"
            );
        }
    }
}

#[test]
fn reference_consistency_proofs_reject_corruption() {
    let wrong_root = leaf_hash(b"WrongRoot");
    for (first, second, proof) in CONSISTENCY {
        let proof = hashes(proof);
        if proof.is_empty() {
            continue;
        }
        let (r1, r2) = (root_of(first), root_of(second));
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("first - 1".into(), first - 1, second, r1, r2, proof.clone()),
            ("first + 1".into(), first + 1, second, r1, r2, proof.clone()),
            ("first ^ 2".into(), first ^ 2, second, r1, r2, proof.clone()),
            (
                "second * 2".into(),
                first,
                second * 2,
                r1,
                r2,
                proof.clone(),
            ),
            (
                "second / 2".into(),
                first,
                second / 2,
                r1,
                r2,
                proof.clone(),
            ),
            (
                "wrong root1".into(),
                first,
                second,
                wrong_root,
                r2,
                proof.clone(),
            ),
            (
                "wrong root2".into(),
                first,
                second,
                r1,
                wrong_root,
                proof.clone(),
            ),
            ("swapped roots".into(), first, second, r2, r1, proof.clone()),
            ("empty proof".into(), first, second, r1, r2, vec![]),
            (
                "trailing root1".into(),
                first,
                second,
                r1,
                r2,
                [&proof[..], &[r1]].concat(),
            ),
            (
                "trailing root2".into(),
                first,
                second,
                r1,
                r2,
                [&proof[..], &[r2]].concat(),
            ),
            (
                "preceding root1".into(),
                first,
                second,
                r1,
                r2,
                [&[r1], &proof[..]].concat(),
            ),
            (
                "preceding root2".into(),
                first,
                second,
                r1,
                r2,
                [&[r2], &proof[..]].concat(),
            ),
            (
                "preceding proof[0]".into(),
                first,
                second,
                r1,
                r2,
                [&proof[..1], &proof[..]].concat(),
            ),
            (
                "truncated".into(),
                first,
                second,
                r1,
                r2,
                proof[..proof.len() - 1].to_vec(),
            ),
        ];
        for i in 0..proof.len() {
            let mut wrong = proof.clone();
            wrong[i] = flip_bit(&wrong[i], 16);
            probes.push((format!("proof[{i}] bit 4"), first, second, r1, r2, wrong));
        }
        for (desc, first, second, r1, r2, proof) in probes {
            assert!(
                verify_consistency(first, second, &r1, &r2, &proof).is_err(),
                "{first} -> {second} verified despite {desc}"
            );
        }
    }
}

#[test]
fn trivial_consistency_cases() {
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let empty = empty_root();
    // Equal sizes: empty proof and equal roots.
    assert_eq!(verify_consistency(1, 1, &a, &a, &[]), Ok(()));
    assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
    assert_eq!(
        verify_consistency(1, 1, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    // The empty tree is a prefix of every tree, but its root must be the empty root.
    assert_eq!(verify_consistency(0, 5, &empty, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 5, &b, &a, &[]),
        Err(ProofError::RootMismatch)
    );
    // Roots match but the proof is not empty.
    for (first, second) in [(0, 0), (0, 1), (1, 1)] {
        assert_eq!(
            verify_consistency(first, second, &empty, &empty, &[empty]),
            Err(ProofError::WrongLength {
                expected: 0,
                actual: 1
            })
        );
    }
    // Time travel to the past.
    assert_eq!(
        verify_consistency(2, 1, &a, &b, &[]),
        Err(ProofError::BadSizes {
            first: 2,
            second: 1
        })
    );
    // Growth needs a proof.
    assert_eq!(
        verify_consistency(1, 2, &a, &b, &[]),
        Err(ProofError::WrongLength {
            expected: 1,
            actual: 0
        })
    );
}

#[test]
fn invalid_arguments_are_reported() {
    let leaves = leaves();
    let some = h(SOME_HASH);
    for (index, size) in [(0, 0), (1, 0), (2, 1), (8, 8)] {
        assert_eq!(
            verify_inclusion(&some, index, size, &[], &empty_root()),
            Err(ProofError::IndexOutOfRange {
                index,
                tree_size: size
            })
        );
        assert_eq!(
            inclusion_proof(&leaves, index, size),
            Err(ProofError::IndexOutOfRange {
                index,
                tree_size: size
            })
        );
    }
    assert_eq!(
        inclusion_proof(&leaves, 0, 9),
        Err(ProofError::TreeSizeTooLarge {
            tree_size: 9,
            available: 8
        })
    );
    assert_eq!(
        consistency_proof(&leaves, 3, 9),
        Err(ProofError::TreeSizeTooLarge {
            tree_size: 9,
            available: 8
        })
    );
    assert_eq!(
        consistency_proof(&leaves, 5, 4),
        Err(ProofError::BadSizes {
            first: 5,
            second: 4
        })
    );
    assert_eq!(consistency_proof(&leaves, 0, 8), Ok(vec![]));
    assert_eq!(consistency_proof(&leaves, 8, 8), Ok(vec![]));
    // A one-leaf tree's root is its leaf hash and the proof is empty.
    let leaf = leaf_hash(b"data");
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[], &some),
        Err(ProofError::RootMismatch)
    );
}
