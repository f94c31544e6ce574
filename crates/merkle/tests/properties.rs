//! Property tests over random trees: proofs verify against `root`, and fail when
//! anything they bind is changed; the incremental builder agrees with `root`;
//! editing, removing, inserting or swapping an entry changes the root.

use anumati_merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
    ConsistencyProof, Hash, InclusionProof, ProofError, Tree,
};
use proptest::prelude::*;

/// Distinct leaf hashes: entry `i` of a log seeded with `seed`.
fn leaves(seed: u64, n: usize) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(format!("entry {i} of log {seed}").as_bytes()))
        .collect()
}

fn flip(hash: &Hash, byte: usize, bit: u8) -> Hash {
    let mut out = *hash;
    out[byte % 32] ^= 1 << (bit % 8);
    out
}

/// Roots of every prefix: `roots[k]` is the root of the first `k` leaves.
fn prefix_roots(leaves: &[Hash]) -> Vec<Hash> {
    let mut tree = Tree::new();
    let mut roots = vec![tree.root()];
    for leaf in leaves {
        tree.push(*leaf);
        roots.push(tree.root());
    }
    roots
}

/// `cases` cases, unless `PROPTEST_CASES` asks for a deeper (or quicker) run.
fn config(cases: u32) -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// For a tree of random size n <= 300, every leaf's proof verifies, and
    /// fails for another leaf, index, size (against that size's root, and
    /// against this root at double or half size), or a changed proof hash.
    #[test]
    fn inclusion_proofs_verify_and_reject_tampering(
        seed in any::<u64>(),
        n in 1usize..=300,
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        // More leaves than n, so proofs can be checked against larger trees' roots.
        let all = leaves(seed, n * 2 + 8);
        let roots = prefix_roots(&all);
        let size = n as u64;
        let r = roots[n];
        prop_assert_eq!(r, root(&all[..n]));
        for i in 0..size {
            let leaf = all[i as usize];
            let proof = inclusion_proof(&all, i, size).unwrap();
            prop_assert!(proof.len() <= 64 - (size - 1).leading_zeros() as usize);
            prop_assert_eq!(verify_inclusion(&leaf, i, size, &proof, &r), Ok(()));

            // Another leaf.
            prop_assert!(verify_inclusion(&flip(&leaf, byte, bit), i, size, &proof, &r).is_err());
            // Another index, with the same leaf and root.
            for other in [i.wrapping_sub(1), i + 1, i ^ 2, i ^ 1] {
                if other != i {
                    prop_assert!(
                        verify_inclusion(&leaf, other, size, &proof, &r).is_err(),
                        "leaf {} of {} verified at index {}", i, size, other
                    );
                }
            }
            // Another size, against that size's own root (a different tree head).
            for other in [size - 1, size + 1, size + 7, size * 2] {
                if other > i && other != size {
                    prop_assert!(
                        verify_inclusion(&leaf, i, other, &proof, &roots[other as usize]).is_err(),
                        "leaf {} of {} verified in tree {}", i, size, other
                    );
                }
            }
            // A size that changes the tree height, with this root.
            for other in [size * 2, size / 2] {
                prop_assert!(
                    verify_inclusion(&leaf, i, other, &proof, &r).is_err(),
                    "leaf {} of {} verified as size {}", i, size, other
                );
            }
            // Any changed, dropped or added proof hash.
            for k in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[k] = flip(&wrong[k], byte, bit);
                prop_assert_eq!(
                    verify_inclusion(&leaf, i, size, &wrong, &r),
                    Err(ProofError::RootMismatch)
                );
            }
            if let Some((_, rest)) = proof.split_last() {
                prop_assert!(verify_inclusion(&leaf, i, size, rest, &r).is_err());
            }
            let longer = [&proof[..], &[r]].concat();
            prop_assert!(verify_inclusion(&leaf, i, size, &longer, &r).is_err());
        }
        prop_assert!(inclusion_proof(&all, size, size).is_err());
    }

    /// For all 1 <= m <= n, the consistency proof verifies, and fails when a
    /// size, a root or a proof hash changes.
    #[test]
    fn consistency_proofs_verify_and_reject_tampering(
        seed in any::<u64>(),
        n in 1usize..=300,
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let all = leaves(seed, n);
        let roots = prefix_roots(&all);
        let second = n as u64;
        let r2 = roots[n];
        for first in 1..=second {
            let r1 = roots[first as usize];
            let proof = consistency_proof(&all, first, second).unwrap();
            prop_assert_eq!(verify_consistency(first, second, &r1, &r2, &proof), Ok(()));
            if first == second {
                prop_assert!(proof.is_empty());
                prop_assert!(verify_consistency(first, second, &flip(&r1, byte, bit), &r2, &proof).is_err());
                continue;
            }
            // Changed roots.
            prop_assert!(verify_consistency(first, second, &flip(&r1, byte, bit), &r2, &proof).is_err());
            prop_assert!(verify_consistency(first, second, &r1, &flip(&r2, byte, bit), &proof).is_err());
            prop_assert!(verify_consistency(first, second, &r2, &r1, &proof).is_err());
            // The old root of another size.
            for other in [first - 1, first + 1] {
                if other >= 1 && other <= second {
                    let ro = roots[other as usize];
                    prop_assert!(
                        verify_consistency(other, second, &ro, &r2, &proof).is_err(),
                        "proof {}->{} verified as {}->{}", first, second, other, second
                    );
                }
            }
            // Changed sizes, same roots (as in the reference tests).
            for (f, s) in [
                (first - 1, second),
                (first + 1, second),
                (first ^ 2, second),
                (first, second * 2),
                (first, second / 2),
            ] {
                prop_assert!(
                    verify_consistency(f, s, &r1, &r2, &proof).is_err(),
                    "proof {}->{} verified as {}->{}", first, second, f, s
                );
            }
            // Changed, dropped, added proof hashes.
            for k in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[k] = flip(&wrong[k], byte, bit);
                prop_assert_eq!(
                    verify_consistency(first, second, &r1, &r2, &wrong),
                    Err(ProofError::RootMismatch)
                );
            }
            prop_assert!(verify_consistency(first, second, &r1, &r2, &proof[..proof.len() - 1]).is_err());
            prop_assert!(verify_consistency(first, second, &r1, &r2, &[&proof[..], &[r2]].concat()).is_err());
            prop_assert!(verify_consistency(first, second, &r1, &r2, &[&[r1], &proof[..]].concat()).is_err());
        }
    }

    /// The builder's root equals `root` of the same prefix at every size.
    #[test]
    fn builder_root_equals_root_at_every_size(seed in any::<u64>(), n in 0usize..=600) {
        let all = leaves(seed, n);
        let mut tree = Tree::new();
        prop_assert_eq!(tree.root(), root(&[]));
        for (k, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            prop_assert_eq!(tree.size(), k as u64 + 1);
            prop_assert_eq!(tree.root(), root(&all[..=k]), "size {}", k + 1);
        }
        prop_assert_eq!(all.iter().copied().collect::<Tree>(), tree);
    }

    /// Editing, removing, inserting or swapping one entry changes the root.
    #[test]
    fn any_change_to_the_entries_changes_the_root(
        seed in any::<u64>(),
        n in 1usize..=200,
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let all = leaves(seed, n);
        let original = root(&all);
        let (i, j) = (a.index(n), b.index(n));

        let mut edited = all.clone();
        edited[i] = leaf_hash(b"edited entry");
        prop_assert_ne!(root(&edited), original, "edit at {}", i);

        let mut removed = all.clone();
        removed.remove(i);
        prop_assert_ne!(root(&removed), original, "removal at {}", i);

        let mut inserted = all.clone();
        inserted.insert(i, leaf_hash(b"inserted entry"));
        prop_assert_ne!(root(&inserted), original, "insertion at {}", i);

        if i != j {
            let mut swapped = all.clone();
            swapped.swap(i, j);
            prop_assert_ne!(root(&swapped), original, "swap {} and {}", i, j);
        }
    }

    /// The JSON forms round-trip and verify like the raw proofs.
    #[test]
    fn serde_proofs_round_trip(seed in any::<u64>(), n in 1usize..=100, x in any::<prop::sample::Index>()) {
        let all = leaves(seed, n);
        let r = root(&all);
        let (size, i) = (n as u64, x.index(n) as u64);

        let proof = InclusionProof::new(i, size, &inclusion_proof(&all, i, size).unwrap());
        let json = serde_json::to_string(&proof).unwrap();
        let back: InclusionProof = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &proof);
        prop_assert_eq!(back.verify(&all[i as usize], &r), Ok(()));
        prop_assert_eq!(back.verify(&all[i as usize], &flip(&r, 0, 0)), Err(ProofError::RootMismatch));

        let first = i + 1;
        let proof = ConsistencyProof::new(first, size, &consistency_proof(&all, first, size).unwrap());
        let json = serde_json::to_string(&proof).unwrap();
        let back: ConsistencyProof = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &proof);
        prop_assert_eq!(back.verify(&root(&all[..first as usize]), &r), Ok(()));
    }
}

/// `anumati audit verify` in miniature: stream the entries once, check every
/// signed tree head on the way, and find the first head an altered log breaks.
#[test]
fn streaming_audit_detects_the_first_broken_tree_head() {
    let entries: Vec<Vec<u8>> = (0..1000u32)
        .map(|i| format!("{{\"seq\":{i},\"event\":\"data_access\"}}").into_bytes())
        .collect();
    let head_sizes = [1u64, 2, 3, 64, 100, 333, 512, 999, 1000];
    let hashes: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let heads: Vec<(u64, Hash)> = head_sizes
        .iter()
        .map(|&s| (s, root(&hashes[..s as usize])))
        .collect();

    // First head whose root the streamed log does not reproduce, if any.
    let audit = |log: &[Vec<u8>]| -> Option<u64> {
        let mut tree = Tree::new();
        let mut pending = heads.iter().peekable();
        for entry in log {
            tree.push_leaf(entry);
            while let Some((size, expected)) = pending.next_if(|(s, _)| *s == tree.size()) {
                if tree.root() != *expected {
                    return Some(*size);
                }
            }
        }
        pending.next().map(|(size, _)| *size)
    };

    assert_eq!(audit(&entries), None);

    let mut edited = entries.clone();
    edited[200] = b"{\"seq\":200,\"event\":\"nothing to see\"}".to_vec();
    assert_eq!(audit(&edited), Some(333));

    let mut removed = entries.clone();
    removed.remove(70);
    assert_eq!(audit(&removed), Some(100));

    let mut inserted = entries.clone();
    inserted.insert(2, b"{\"seq\":-1}".to_vec());
    assert_eq!(audit(&inserted), Some(3));

    let mut swapped = entries.clone();
    swapped.swap(600, 601);
    assert_eq!(audit(&swapped), Some(999));

    // Truncation: the last head is never reached.
    assert_eq!(audit(&entries[..999]), Some(1000));
}

#[test]
fn json_shape_and_bad_hex() {
    let path = [leaf_hash(b"a"), leaf_hash(b"b")];
    let proof = InclusionProof::new(3, 4, &path);
    let json = serde_json::to_value(&proof).unwrap();
    assert_eq!(json["leaf_index"], 3);
    assert_eq!(json["tree_size"], 4);
    let first = json["audit_path"][0].as_str().unwrap();
    assert_eq!(first.len(), 64);
    assert_eq!(first, first.to_lowercase());
    assert_eq!(proof.decode_path().unwrap(), path);

    let consistency = ConsistencyProof::new(1, 2, &path[..1]);
    let json = serde_json::to_value(&consistency).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"first": 1, "second": 2, "proof": [first]})
    );

    for bad in ["", "zz", &first[..62], &format!("{first}00")] {
        let broken = InclusionProof {
            audit_path: vec![bad.to_string()],
            ..proof.clone()
        };
        assert!(matches!(
            broken.decode_path(),
            Err(ProofError::InvalidHash(_))
        ));
        assert!(matches!(
            broken.verify(&path[0], &path[1]),
            Err(ProofError::InvalidHash(_))
        ));
    }
}
