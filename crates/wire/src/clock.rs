//! Time as the roles see it. Every decision that depends on "now" (expiry,
//! frequency windows, one-time codes) reads a [`Clock`], so tests can move
//! time with [`ManualClock`] instead of sleeping.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().expect("clock lock");
        *now = now.checked_add(by).expect("clock in range");
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().expect("clock lock") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

pub type SharedClock = Arc<dyn Clock>;
