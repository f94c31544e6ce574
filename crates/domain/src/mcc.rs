//! ISO 18245 merchant category codes.
//!
//! The official list ships inside the project at `data/mcc/` (MIT, from the
//! python-iso18245 project; the licence file sits beside it) and is compiled
//! into the binary, so nothing is read at run time.

use std::collections::BTreeMap;
use std::sync::LazyLock;

const OFFICIAL_LIST: &str = include_str!("../../../data/mcc/iso18245_official_list.csv");

static TABLE: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| {
    OFFICIAL_LIST
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (code, description) = line.split_once(',')?;
            Some((code.trim(), description.trim().trim_matches('"')))
        })
        .collect()
});

/// The official description of a code, e.g. `5411` → "Grocery stores and supermarkets".
pub fn description(code: &str) -> Option<&'static str> {
    TABLE.get(code).copied()
}

/// Every listed code, in order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    TABLE.keys().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_official_codes() {
        assert!(description("5411")
            .unwrap()
            .to_lowercase()
            .contains("grocer"));
        assert!(description("5812").is_some());
        assert!(description("0000").is_none());
        assert!(codes().count() > 200);
    }
}
