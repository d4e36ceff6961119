//! The ledger's own invariants: bytes conserved on every node (used +
//! reserved = what its sales hold; the availability used = what its charged
//! sales reserve; within the quota), every list and back-pointer consistent,
//! the holder counts and filled counts equal to what the sales say. What it
//! does not check: anything about the network or the slot queues (their
//! checks are beside them), or whether a sale's events are pending.

use super::{Ledger, SaleState};

impl Ledger {
    /// Every invariant of the books; `max_reservations` is the
    /// marketplace's per-slot limit. A failure is a simulator bug.
    pub(crate) fn check(&self, max_reservations: usize) -> Result<(), String> {
        if let Some(x) = self
            .closed_sales
            .iter()
            .find(|&&x| self.sales[x as usize].state != SaleState::Done)
        {
            return Err(format!("sale {x} is to be reused but not over"));
        }
        self.check_nodes()?;
        let zombies = (0..self.sales.len())
            .filter(|&x| self.sales[x].state == SaleState::Zombie)
            .count() as u64;
        if zombies != self.zombies {
            return Err(format!(
                "{zombies} sales are zombies but {} are counted",
                self.zombies
            ));
        }
        let (mut quota, mut committed) = (0u64, 0u64);
        for n in self.nodes.iter().filter(|n| !n.gone) {
            quota += n.quota_bytes;
            committed += n.used_bytes + n.reserved_bytes;
        }
        if (quota, committed + self.pending_new_bytes) != self.fleet_committed_bytes() {
            return Err(format!(
                "fleet quota and committed bytes kept as {:?}, counted as {:?}",
                self.fleet_committed_bytes(),
                (quota, committed + self.pending_new_bytes)
            ));
        }
        self.check_requests(max_reservations)
    }

    fn check_nodes(&self) -> Result<(), String> {
        for (i, n) in self.nodes.iter().enumerate() {
            if (self.online[i / 64] >> (i % 64)) & 1 != n.up() as u64
                || (self.ready[i / 64] >> (i % 64)) & 1 != n.ready() as u64
            {
                return Err(format!(
                    "node {i}: online and ready bits are not up() = {}, ready() = {}",
                    n.up(),
                    n.ready()
                ));
            }
            let (mut charged, mut stored, mut orphaned, mut filled, mut downloading) =
                (0u64, 0u64, 0u64, 0u32, 0u32);
            for &x in &n.sales {
                let sx = &self.sales[x as usize];
                if sx.node != i as u32 {
                    return Err(format!("node {i} lists sale {x} of node {}", sx.node));
                }
                if n.sales.get(sx.node_pos as usize) != Some(&x) {
                    return Err(format!("sale {x} misplaced in node {i}'s list"));
                }
                if n.gone && sx.state != SaleState::Zombie {
                    // A node that left keeps only slots it can no longer serve.
                    return Err(format!("node {i} left but has a {:?} sale {x}", sx.state));
                }
                match sx.state {
                    SaleState::Done => return Err(format!("node {i} lists finished sale {x}")),
                    SaleState::Zombie => {
                        if sx.stored_bytes != 0 {
                            return Err(format!("zombie sale {x} stores data"));
                        }
                    }
                    SaleState::Orphan => orphaned += sx.stored_bytes,
                    SaleState::Downloading | SaleState::Filled => {
                        charged += self.requests[sx.request as usize].layout.slot_size_bytes;
                        if sx.state == SaleState::Filled {
                            filled += 1;
                        } else if !sx.exp_repair {
                            downloading += 1;
                        }
                    }
                }
                stored += sx.stored_bytes;
            }
            if n.used_bytes != stored {
                return Err(format!(
                    "node {i}: used {} bytes but its sales store {stored}",
                    n.used_bytes
                ));
            }
            if n.used_bytes + n.reserved_bytes != charged + orphaned {
                return Err(format!(
                    "node {i}: used {} + reserved {} != {charged} bytes reserved by its sales + {orphaned} bytes awaiting deletion",
                    n.used_bytes, n.reserved_bytes
                ));
            }
            if n.used_bytes + n.reserved_bytes > n.quota_bytes {
                return Err(format!(
                    "node {i}: used {} + reserved {} exceeds the quota {}",
                    n.used_bytes, n.reserved_bytes, n.quota_bytes
                ));
            }
            if n.offered_bytes - n.avail_free_bytes != charged {
                return Err(format!(
                    "node {i}: availability used {} != {charged} bytes reserved by its sales",
                    n.offered_bytes - n.avail_free_bytes
                ));
            }
            if filled != n.filled_count {
                return Err(format!(
                    "node {i}: filled count {} != {filled}",
                    n.filled_count
                ));
            }
            if downloading != n.workers_busy || n.workers_busy > n.workers {
                return Err(format!(
                    "node {i}: {} workers busy, {downloading} downloads, {} workers",
                    n.workers_busy, n.workers
                ));
            }
        }
        Ok(())
    }

    fn check_requests(&self, max_reservations: usize) -> Result<(), String> {
        let mut active_filled = 0u64;
        let mut holders: Vec<u16> = Vec::new();
        for (ri, r) in self.requests.live() {
            if !r.active() {
                continue;
            }
            active_filled += r.filled as u64;
            let filled = r.slots.iter().filter(|s| s.host_sale.is_some()).count() as u32;
            if filled != r.filled {
                return Err(format!(
                    "request {ri}: filled {} but {filled} slots have hosts",
                    r.filled
                ));
            }
            holders.clear();
            holders.resize(r.slots.len(), 0);
            for &x in &r.sales {
                let sx = &self.sales[x as usize];
                if sx.stored_bytes > 0 {
                    holders[sx.slot as usize] += 1;
                }
            }
            if holders != r.holders {
                return Err(format!(
                    "request {ri}: holder counts {:?} != {holders:?}",
                    r.holders
                ));
            }
            let alive = holders.iter().filter(|&&h| h > 0).count() as u32;
            if alive != r.alive_indices {
                return Err(format!(
                    "request {ri}: alive indices {} != {alive}",
                    r.alive_indices
                ));
            }
            for (si, sl) in r.slots.iter().enumerate() {
                if let Some(x) = sl.host_sale {
                    let sx = &self.sales[x as usize];
                    // The back-pointer also rules out one sale hosting two slots.
                    if sx.request != ri as u32 || sx.slot != si as u32 {
                        return Err(format!(
                            "slot {ri}/{si} points at sale {x} of {}/{}",
                            sx.request, sx.slot
                        ));
                    }
                    if !matches!(sx.state, SaleState::Filled | SaleState::Zombie) {
                        return Err(format!("slot {ri}/{si} host sale {x} is {:?}", sx.state));
                    }
                }
                if sl.reservations.len() > max_reservations {
                    return Err(format!(
                        "slot {ri}/{si} has {} reservations",
                        sl.reservations.len()
                    ));
                }
            }
        }
        if active_filled != self.active_filled {
            return Err(format!(
                "filled slots {} != {active_filled} counted",
                self.active_filled
            ));
        }
        Ok(())
    }
}
