//! Per-sender rate limits: a keyed GCRA limiter (`governor`), one bucket per
//! (platform, sender). A sender over their quota has their events dropped
//! (the platform still gets `200`, so it does not redeliver them); other
//! senders are unaffected because nothing ever waits on the limiter.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::inbound::{Platform, Sender};

/// Above this many tracked senders, buckets that have refilled are dropped
/// (and then not again until the count has doubled, so the sweep stays
/// amortised O(1) per event even when every tracked sender is active).
pub const MAX_TRACKED_SENDERS: usize = 100_000;

/// The default per-sender quota: a burst of 10 events, refilled at 30 a
/// minute: far above a person typing, far below a script.
pub fn default_quota() -> Quota {
    Quota::per_minute(NonZeroU32::new(30).expect("non-zero"))
        .allow_burst(NonZeroU32::new(10).expect("non-zero"))
}

/// Per-sender limiter.
pub struct SenderLimiter {
    limiter: DefaultKeyedRateLimiter<(Platform, String)>,
    sweep_above: AtomicUsize,
}

impl std::fmt::Debug for SenderLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderLimiter")
            .field("tracked", &self.limiter.len())
            .finish()
    }
}

impl Default for SenderLimiter {
    fn default() -> Self {
        Self::new(default_quota())
    }
}

impl SenderLimiter {
    pub fn new(quota: Quota) -> Self {
        SenderLimiter {
            limiter: RateLimiter::keyed(quota),
            sweep_above: AtomicUsize::new(MAX_TRACKED_SENDERS),
        }
    }

    /// `true` if this sender may have one more event handled now. Never
    /// blocks.
    pub fn allow(&self, platform: Platform, sender: &Sender) -> bool {
        let ok = self.limiter.check_key(&(platform, sender.key())).is_ok();
        if self.limiter.len() > self.sweep_above.load(Ordering::Relaxed) {
            self.limiter.retain_recent();
            let next = (self.limiter.len() * 2).max(MAX_TRACKED_SENDERS);
            self.sweep_above.store(next, Ordering::Relaxed);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_from_one_sender_does_not_limit_others() {
        let quota = Quota::per_hour(NonZeroU32::new(5).unwrap());
        let l = SenderLimiter::new(quota);
        let flooder = Sender::Id("111".into());
        let allowed = (0..100)
            .filter(|_| l.allow(Platform::Messenger, &flooder))
            .count();
        assert_eq!(allowed, 5, "the burst, then nothing");
        let other = Sender::Id("222".into());
        for i in 0..5 {
            assert!(
                l.allow(Platform::Messenger, &other),
                "other sender's event {i}"
            );
        }
        assert!(!l.allow(Platform::Messenger, &other));
        // The same id on another platform is another person.
        assert!(l.allow(Platform::Telegram, &flooder));
        // A user_ref is not confused with a PSID of the same digits.
        assert!(l.allow(Platform::Messenger, &Sender::UserRef("111".into())));
    }
}
