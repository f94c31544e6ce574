//! Fixed-size, time-bucketed sliding windows: `N` buckets of one width each,
//! a count and an exact sum of minor units per bucket. Memory never grows
//! with the history; a window of `k` buckets covers the current, partly
//! filled bucket and the `k - 1` before it.

#[derive(Clone, Debug)]
pub(crate) struct Ring<const N: usize> {
    /// Index (time / width) of the newest bucket; buckets older than
    /// `newest - N + 1` are gone.
    newest: i64,
    count: [u32; N],
    sum: [i64; N],
    /// Running totals of all `N` buckets, so the full window costs nothing.
    total_count: u32,
    total_sum: i64,
}

impl<const N: usize> Ring<N> {
    pub(crate) fn new() -> Self {
        Ring {
            newest: i64::MIN / 2,
            count: [0; N],
            sum: [0; N],
            total_count: 0,
            total_sum: 0,
        }
    }

    fn slot(bucket: i64) -> usize {
        bucket.rem_euclid(N as i64) as usize
    }

    /// Moves the window forward to `bucket`, clearing buckets that fall out.
    pub(crate) fn advance(&mut self, bucket: i64) {
        if bucket <= self.newest {
            return;
        }
        let gap = bucket - self.newest;
        if gap >= N as i64 {
            self.count = [0; N];
            self.sum = [0; N];
            self.total_count = 0;
            self.total_sum = 0;
        } else {
            for b in self.newest + 1..=bucket {
                let s = Self::slot(b);
                self.total_count = self.total_count.saturating_sub(self.count[s]);
                self.total_sum = self.total_sum.saturating_sub(self.sum[s]);
                self.count[s] = 0;
                self.sum[s] = 0;
            }
        }
        self.newest = bucket;
    }

    /// Count and sum over all `N` buckets up to the newest; after
    /// [`Ring::advance`] to `now`, the same as `last(now, N)`.
    pub(crate) fn totals(&self) -> (u32, i64) {
        (self.total_count, self.total_sum)
    }

    /// Records one item of `amount` minor units in `bucket`. Items older than
    /// the ring are dropped.
    pub(crate) fn add(&mut self, bucket: i64, count: u32, amount: i64) {
        self.advance(bucket);
        if bucket <= self.newest - N as i64 {
            return;
        }
        let s = Self::slot(bucket);
        self.count[s] = self.count[s].saturating_add(count);
        self.sum[s] = self.sum[s].saturating_add(amount);
        self.total_count = self.total_count.saturating_add(count);
        self.total_sum = self.total_sum.saturating_add(amount);
    }

    /// Count and sum over buckets `from..=to` (clipped to what the ring holds
    /// as of `now`, the current bucket, which is not recorded).
    pub(crate) fn range(&self, now: i64, from: i64, to: i64) -> (u32, i64) {
        let oldest_kept = self.newest.max(now) - N as i64 + 1;
        let from = from.max(oldest_kept);
        let to = to.min(self.newest);
        let mut count = 0u32;
        let mut sum = 0i64;
        let mut b = from;
        while b <= to {
            let s = Self::slot(b);
            count = count.saturating_add(self.count[s]);
            sum = sum.saturating_add(self.sum[s]);
            b += 1;
        }
        (count, sum)
    }

    /// Count and sum over the last `k` buckets ending at `now`.
    pub(crate) fn last(&self, now: i64, k: i64) -> (u32, i64) {
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
    }
}
