//! Redelivery: platforms retry webhooks they think failed, and may deliver
//! the same event several times at once. [`SeenSet`] remembers the last
//! [`DEFAULT_CAPACITY`] (platform, message id) pairs and lets each through
//! exactly once.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use crate::inbound::Platform;

/// How many event ids are remembered by default. Meta retries for up to a
/// day, Telegram for a shorter time; at 100,000 ids this covers well over an
/// hour of traffic at 20 events a second, in a few megabytes.
pub const DEFAULT_CAPACITY: usize = 100_000;

type Key = (Platform, String);

/// A bounded seen-set: when full, the oldest id is forgotten first.
#[derive(Debug)]
pub struct SeenSet {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashSet<Key>,
    order: VecDeque<Key>,
}

impl Default for SeenSet {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl SeenSet {
    /// A seen-set remembering at most `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        SeenSet {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records the id and returns `true` the first time it is seen, `false`
    /// on every later sighting (while it is remembered). Atomic: of several
    /// concurrent callers with the same id exactly one gets `true`.
    pub fn first_sighting(&self, platform: Platform, message_id: &str) -> bool {
        let key = (platform, message_id.to_owned());
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.seen.contains(&key) {
            return false;
        }
        if inner.order.len() >= self.capacity {
            if let Some(old) = inner.order.pop_front() {
                inner.seen.remove(&old);
            }
        }
        inner.seen.insert(key.clone());
        inner.order.push_back(key);
        true
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .order
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn second_sighting_refused_per_platform() {
        let s = SeenSet::new(10);
        assert!(s.first_sighting(Platform::Messenger, "m1"));
        assert!(!s.first_sighting(Platform::Messenger, "m1"));
        assert!(
            s.first_sighting(Platform::Telegram, "m1"),
            "keyed by platform too"
        );
        assert!(!s.first_sighting(Platform::Telegram, "m1"));
    }

    #[test]
    fn bounded_forgets_oldest() {
        let s = SeenSet::new(3);
        for id in ["a", "b", "c", "d"] {
            assert!(s.first_sighting(Platform::WhatsApp, id));
        }
        assert_eq!(s.len(), 3);
        assert!(!s.first_sighting(Platform::WhatsApp, "d"));
        assert!(!s.first_sighting(Platform::WhatsApp, "b"));
        assert!(
            s.first_sighting(Platform::WhatsApp, "a"),
            "oldest was forgotten"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_redelivery_passes_once() {
        let s = Arc::new(SeenSet::default());
        for round in 0..200 {
            let id = format!("wamid.{round}");
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let s = s.clone();
                    let id = id.clone();
                    tokio::spawn(async move { s.first_sighting(Platform::WhatsApp, &id) })
                })
                .collect();
            let mut passed = 0;
            for t in tasks {
                passed += usize::from(t.await.unwrap());
            }
            assert_eq!(passed, 1, "round {round}");
        }
    }
}
