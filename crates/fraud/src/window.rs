//! Fixed-size, time-bucketed sliding windows: `N` buckets of one width each,
//! a count and an exact sum per bucket. Memory never grows with the history;
//! a window of `k` buckets covers the current, partly filled bucket and the
//! `k - 1` before it.
//!
//! The sum is whatever the window totals: minor units (`i64`), known frauds
//! (`u32`), or nothing (`()`, a window of counts only, which then costs no
//! memory for sums).

/// What a window sums per bucket; additions saturate.
pub(crate) trait Tally: Copy + Default + PartialOrd {
    fn plus(self, other: Self) -> Self;
    fn minus(self, other: Self) -> Self;
    /// Any bits of the value (for [`Ring::peek`]).
    fn bits(self) -> u64;
    /// `acc` plus each item in order.
    #[inline]
    fn add_all(acc: Self, items: &[Self]) -> Self {
        items.iter().fold(acc, |a, &i| a.plus(i))
    }
}

/// `acc` plus the items, saturating: since none is negative, the same as
/// adding them one by one with `saturating_add`, in any order; summed in
/// 64 bits so that the compiler adds several at a time.
#[inline]
fn add_counts(acc: u32, items: &[u32]) -> u32 {
    let wide = items.iter().fold(u64::from(acc), |a, &i| a + u64::from(i));
    u32::try_from(wide).unwrap_or(u32::MAX)
}

impl Tally for () {
    #[inline]
    fn plus(self, _: Self) -> Self {}
    #[inline]
    fn minus(self, _: Self) -> Self {}
    #[inline]
    fn bits(self) -> u64 {
        0
    }
}

impl Tally for u32 {
    #[inline]
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
    #[inline]
    fn minus(self, other: Self) -> Self {
        self.saturating_sub(other)
    }
    #[inline]
    fn bits(self) -> u64 {
        u64::from(self)
    }
    #[inline]
    fn add_all(acc: Self, items: &[Self]) -> Self {
        add_counts(acc, items)
    }
}

impl Tally for i64 {
    #[inline]
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
    #[inline]
    fn minus(self, other: Self) -> Self {
        self.saturating_sub(other)
    }
    #[inline]
    fn bits(self) -> u64 {
        self as u64
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Ring<const N: usize, S: Tally = i64> {
    /// Index (time / width) of the newest bucket; buckets older than
    /// `newest - N + 1` are gone.
    newest: i64,
    count: [u32; N],
    sum: [S; N],
    /// Running totals of all `N` buckets, so the full window costs nothing.
    total_count: u32,
    total_sum: S,
}

impl<const N: usize, S: Tally> Ring<N, S> {
    pub(crate) fn new() -> Self {
        Ring {
            newest: i64::MIN / 2,
            count: [0; N],
            sum: [S::default(); N],
            total_count: 0,
            total_sum: S::default(),
        }
    }

    #[inline]
    fn slot(bucket: i64) -> usize {
        bucket.rem_euclid(N as i64) as usize
    }

    /// Moves the window forward to `bucket`, clearing buckets that fall out.
    #[inline]
    pub(crate) fn advance(&mut self, bucket: i64) {
        if bucket <= self.newest {
            return;
        }
        self.advance_slow(bucket);
    }

    fn advance_slow(&mut self, bucket: i64) {
        let gap = bucket - self.newest;
        if gap >= N as i64 {
            self.count = [0; N];
            self.sum = [S::default(); N];
            self.total_count = 0;
            self.total_sum = S::default();
        } else {
            for b in self.newest + 1..=bucket {
                let s = Self::slot(b);
                self.total_count = self.total_count.saturating_sub(self.count[s]);
                self.total_sum = self.total_sum.minus(self.sum[s]);
                self.count[s] = 0;
                self.sum[s] = S::default();
            }
        }
        self.newest = bucket;
    }

    /// Reads the ring's header and the slot of `bucket` and returns some of
    /// their bits: only to bring them into the cache before they are needed.
    #[inline]
    pub(crate) fn peek(&self, bucket: i64) -> u64 {
        let s = Self::slot(bucket);
        (self.newest as u64) ^ u64::from(self.count[s]) ^ self.sum[s].bits()
    }

    /// Count and sum over all `N` buckets up to the newest; after
    /// [`Ring::advance`] to `now`, the same as `last(now, N)`.
    #[inline]
    pub(crate) fn totals(&self) -> (u32, S) {
        (self.total_count, self.total_sum)
    }

    /// Records one item of `amount` in `bucket`. Items older than the ring
    /// are dropped.
    #[inline]
    pub(crate) fn add(&mut self, bucket: i64, count: u32, amount: S) {
        self.advance(bucket);
        if bucket <= self.newest - N as i64 {
            return;
        }
        let s = Self::slot(bucket);
        self.count[s] = self.count[s].saturating_add(count);
        self.sum[s] = self.sum[s].plus(amount);
        self.total_count = self.total_count.saturating_add(count);
        self.total_sum = self.total_sum.plus(amount);
    }

    /// The buckets `from..=to` that the ring holds as of `now` (clipped).
    #[inline]
    fn clip(&self, now: i64, from: i64, to: i64) -> (i64, i64) {
        let oldest_kept = self.newest.max(now) - N as i64 + 1;
        (from.max(oldest_kept), to.min(self.newest))
    }

    /// Count and sum over buckets `from..=to` (clipped to what the ring holds
    /// as of `now`, the current bucket, which is not recorded).
    #[inline]
    pub(crate) fn range(&self, now: i64, from: i64, to: i64) -> (u32, S) {
        let (from, to) = self.clip(now, from, to);
        if from > to {
            return (0, S::default());
        }
        // At most N buckets, in at most two runs of slots (the second after
        // the ring wraps), oldest first.
        let len = (to - from + 1) as usize;
        let start = Self::slot(from);
        let first = len.min(N - start);
        let rest = len - first;
        let count = add_counts(
            add_counts(0, &self.count[start..start + first]),
            &self.count[..rest],
        );
        let sum = S::add_all(
            S::add_all(S::default(), &self.sum[start..start + first]),
            &self.sum[..rest],
        );
        (count, sum)
    }

    /// The newest bucket from `from` back to `oldest` (as of `now`) with a
    /// count, and its count and sum; what `range(now, b, b)` for `b` from
    /// `from` down finds first.
    #[inline]
    pub(crate) fn latest_counted(&self, now: i64, from: i64, oldest: i64) -> Option<(u32, S)> {
        let (lo, hi) = self.clip(now, oldest, from);
        if lo > hi {
            return None;
        }
        let mut s = Self::slot(hi);
        for _ in lo..=hi {
            if self.count[s] > 0 {
                return Some((self.count[s], self.sum[s]));
            }
            s = if s == 0 { N - 1 } else { s - 1 };
        }
        None
    }

    /// Count and sum over the last `k` buckets ending at `now`.
    #[inline]
    pub(crate) fn last(&self, now: i64, k: i64) -> (u32, S) {
        self.range(now, now - k + 1, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide_and_forget() {
        let mut r: Ring<4> = Ring::new();
        r.add(10, 1, 100);
        r.add(10, 1, 50);
        r.add(11, 1, 7);
        assert_eq!(r.last(11, 1), (1, 7));
        assert_eq!(r.last(11, 2), (3, 157));
        // Three buckets later bucket 10 is still inside a 4-wide window…
        assert_eq!(r.last(13, 4), (3, 157));
        // …and gone one bucket after that, even before anything is added.
        assert_eq!(r.last(14, 4), (1, 7));
        r.add(14, 1, 1);
        assert_eq!(r.last(14, 4), (2, 8));
        // A long gap empties the ring.
        r.add(100, 1, 5);
        assert_eq!(r.last(100, 4), (1, 5));
        // Items too old for the ring are dropped; late ones inside it count.
        r.add(90, 1, 1000);
        r.add(98, 1, 3);
        assert_eq!(r.last(100, 4), (2, 8));
        assert_eq!(r.range(100, 97, 99), (1, 3));
        // The running totals agree with summing the buckets.
        assert_eq!(r.totals(), r.last(100, 4));
        r.advance(102);
        assert_eq!(r.totals(), r.last(102, 4));
        assert_eq!(r.totals(), (1, 5));
        // Any range, wrapped or not, sums what its buckets hold one by one.
        let naive = |r: &Ring<4>, now: i64, from: i64, to: i64| {
            let oldest = r.newest.max(now) - 3;
            (from.max(oldest)..=to.min(r.newest)).fold((0u32, 0i64), |(n, s), b| {
                let slot = b.rem_euclid(4) as usize;
                (n + r.count[slot], s + r.sum[slot])
            })
        };
        for now in [99, 102, 104, 110] {
            for from in 95..=105 {
                let first = (from - 8..=from)
                    .rev()
                    .map(|b| r.range(now, b, b))
                    .find(|(n, _)| *n > 0);
                assert_eq!(r.latest_counted(now, from, from - 8), first);
                for to in from - 1..=106 {
                    assert_eq!(r.range(now, from, to), naive(&r, now, from, to));
                }
            }
        }
    }

    #[test]
    fn counts_only_and_small_sums() {
        let mut c: Ring<3, ()> = Ring::new();
        c.add(5, 1, ());
        c.add(6, 2, ());
        assert_eq!(c.totals().0, 3);
        c.advance(8);
        assert_eq!(c.totals().0, 2);
        assert_eq!(std::mem::size_of::<Ring<12, ()>>(), 8 + 48 + 8);
        let mut f: Ring<4, u32> = Ring::new();
        f.add(1, 0, u32::MAX);
        f.add(1, 0, 1);
        assert_eq!(f.last(1, 1), (0, u32::MAX));
    }
}
