//! How long `anumati audit verify` spends hashing: 1,000,000 log entries of
//! about 300 bytes, hashed as leaves and folded with the incremental `Tree`,
//! checking a signed tree head every 1,000 entries (and, separately, taking the
//! root after every single entry).
//!
//! ```text
//! cargo run --release -p anumati-merkle --example fold_million [entries]
//! ```

use std::time::Instant;

use anumati_merkle::{leaf_hash, root, Hash, Tree};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("entry count"))
        .unwrap_or(1_000_000);

    // Entries shaped like access-log records, padded to 280..=320 bytes, built
    // up front so the timings below are hashing and folding only.
    let started = Instant::now();
    let mut bytes = Vec::with_capacity(count * 300);
    let mut ends = Vec::with_capacity(count);
    for i in 0..count {
        let record = format!(
            "{{\"seq\":{i},\"at\":\"2025-01-01T00:00:00Z\",\"kind\":\"data_access\",\
             \"consent\":\"cns_{:016x}\",\"customer\":\"cust_{:08}\",\"fiu\":\"chat-app\",\
             \"purpose\":\"personal-finance-insights\",\"fi_types\":[\"DEPOSIT\",\"CARD\"],\
             \"range\":[\"2024-01-01\",\"2024-12-31\"],\"pad\":\"",
            (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            i % 100_000
        );
        bytes.extend_from_slice(record.as_bytes());
        let target = 280 + (i * 7919) % 41;
        while bytes.len() - ends.last().copied().unwrap_or(0) < target - 2 {
            bytes.push(b'x');
        }
        bytes.extend_from_slice(b"\"}");
        ends.push(bytes.len());
    }
    let entry = |i: usize| &bytes[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
    println!(
        "{count} entries, {:.1} MB, mean {:.0} bytes (built in {:.2?})",
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 / count as f64,
        started.elapsed()
    );

    // 1. Leaf hashes only.
    let started = Instant::now();
    let hashes: Vec<Hash> = (0..count).map(|i| leaf_hash(entry(i))).collect();
    let leaf_time = started.elapsed();
    println!("leaf hashes only:                     {leaf_time:>10.2?}");

    // 2. Hash and fold, checking a tree head every 1,000 entries.
    let started = Instant::now();
    let mut tree = Tree::new();
    let mut heads = 0u64;
    let mut next_head = 1000;
    let mut check = [0u8; 32];
    for i in 0..count {
        tree.push_leaf(entry(i));
        if tree.size() == next_head {
            next_head += 1000;
            let r = tree.root();
            check[0] ^= r[0];
            heads += 1;
        }
    }
    let streaming_root = tree.root();
    let fold_time = started.elapsed();
    println!(
        "hash + fold, {heads} heads checked:      {fold_time:>10.2?}  ({:.0} MB/s, {:.0} ns/entry)",
        bytes.len() as f64 / 1e6 / fold_time.as_secs_f64(),
        fold_time.as_nanos() as f64 / count as f64
    );

    // 3. Hash and fold, taking the root after every entry (worst case).
    let started = Instant::now();
    let mut tree = Tree::new();
    for i in 0..count {
        tree.push_leaf(entry(i));
        let r = tree.root();
        check[1] ^= r[1];
    }
    let every_time = started.elapsed();
    println!("hash + fold, root after every entry:  {every_time:>10.2?}");

    // 4. Root of the precomputed leaf hashes (node hashing only).
    let started = Instant::now();
    let batch_root = root(&hashes);
    println!(
        "root(&leaf_hashes) (nodes only):     {:>10.2?}",
        started.elapsed()
    );

    assert_eq!(streaming_root, batch_root);
    assert_eq!(tree.root(), batch_root);
    println!(
        "root {}  (check byte {:02x}{:02x})",
        anumati_merkle::hash_to_hex(&batch_root),
        check[0],
        check[1]
    );
}
