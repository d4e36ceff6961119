//! Bookkeeping beside the solver: the active flows' finish times (a dense
//! list with its least key cached, for `FlowNet::next_finish`) and flows
//! grouped by their own rate limit.

/// The active flows' finish times, for [`FlowNet::next_finish`]: a dense
/// list of keys (finish time, then the order in which the times were set,
/// so that flows ending at the same nanosecond come out in the order their
/// times were set) and the smallest key, cached until the flow it names
/// ends or is slowed.
#[derive(Clone, Debug, Default)]
pub(super) struct Finishes {
    pub(super) on: bool,
    /// Keys: finish ns in the high half, the setting's sequence number in
    /// the low half.
    pub(super) keys: Vec<u128>,
    /// The flow of each key.
    pub(super) owner: Vec<u32>,
    /// Per flow slot: its key's position in `keys`, or `NONE`.
    pub(super) at: Vec<u32>,
    pub(super) sequence: u64,
    /// The smallest key and its flow, when known.
    pub(super) least: Option<(u128, u32)>,
    pub(super) least_known: bool,
}

pub(super) const NONE: u32 = u32::MAX;

/// Flows grouped by their own finite limit: the distinct limits (as bits of
/// non-negative `f64`s, which order like the values) in increasing order;
/// group `k`'s flows are `order[start[k]..start[k + 1]]`, in the order given.
#[derive(Clone, Debug, Default)]
pub(super) struct CapGroups {
    pub(super) values: Vec<u64>,
    pub(super) start: Vec<u32>,
    pub(super) order: Vec<u32>,
    /// Scratch: each group's next free place while grouping.
    pub(super) next: Vec<u32>,
}

impl CapGroups {
    pub(super) fn group(&mut self, flows: &[u32], cap: impl Fn(u32) -> f64) {
        self.values.clear();
        for &i in flows {
            let c = cap(i);
            // Linear search while the values are few.
            if c.is_finite() && (self.values.len() > 16 || !self.values.contains(&c.to_bits())) {
                self.values.push(c.to_bits());
            }
        }
        self.values.sort_unstable();
        self.values.dedup();
        let n = self.values.len();
        self.start.clear();
        self.start.resize(n + 1, 0);
        let group = |values: &[u64], c: f64| -> usize {
            if values.len() <= 16 {
                values
                    .iter()
                    .position(|&v| v == c.to_bits())
                    .expect("grouped")
            } else {
                values.binary_search(&c.to_bits()).expect("grouped")
            }
        };
        for &i in flows {
            let c = cap(i);
            if c.is_finite() {
                self.start[group(&self.values, c) + 1] += 1;
            }
        }
        for k in 0..n {
            self.start[k + 1] += self.start[k];
        }
        self.order.clear();
        self.order.resize(self.start[n] as usize, 0);
        self.next.clear();
        self.next.extend_from_slice(&self.start[..n]);
        for &i in flows {
            let c = cap(i);
            if c.is_finite() {
                let g = group(&self.values, c);
                self.order[self.next[g] as usize] = i;
                self.next[g] += 1;
            }
        }
    }
}

impl Finishes {
    /// Sets flow `i`'s finish time (`u64::MAX`: none).
    pub(super) fn set(&mut self, i: u32, finish_ns: u64) {
        if !self.on {
            return;
        }
        self.sequence += 1;
        let key = ((finish_ns as u128) << 64) | self.sequence as u128;
        let i_us = i as usize;
        if self.at.len() <= i_us {
            self.at.resize(i_us + 1, NONE);
        }
        if self.at[i_us] == NONE {
            self.at[i_us] = self.keys.len() as u32;
            self.keys.push(key);
            self.owner.push(i);
        } else {
            self.keys[self.at[i_us] as usize] = key;
        }
        if self.least_known {
            match self.least {
                Some((k, j)) if j == i => {
                    if key > k {
                        self.least_known = false;
                    } else {
                        self.least = Some((key, i));
                    }
                }
                Some((k, _)) if k < key => {}
                _ => self.least = Some((key, i)),
            }
        }
    }

    /// Flow `i` ended.
    pub(super) fn remove(&mut self, i: u32) {
        let i_us = i as usize;
        if !self.on || i_us >= self.at.len() || self.at[i_us] == NONE {
            return;
        }
        let pos = self.at[i_us] as usize;
        self.keys.swap_remove(pos);
        self.owner.swap_remove(pos);
        if pos < self.owner.len() {
            self.at[self.owner[pos] as usize] = pos as u32;
        }
        self.at[i_us] = NONE;
        if self.least.is_some_and(|(_, j)| j == i) {
            self.least_known = false;
        }
    }

    pub(super) fn least(&mut self) -> Option<(u64, u32)> {
        if !self.least_known {
            self.least = self
                .keys
                .iter()
                .enumerate()
                .min_by_key(|&(_, &k)| k)
                .map(|(pos, &k)| (k, self.owner[pos]));
            self.least_known = true;
        }
        self.least
            .map(|(k, i)| ((k >> 64) as u64, i))
            .filter(|&(f, _)| f != u64::MAX)
    }
}
