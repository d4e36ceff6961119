//! Faults: random fault processes per node or failure domain and scheduled
//! faults; outages (a node offline for a while), disk losses (its data gone,
//! a new disk later, or never) and churn (the node leaves for good). A node
//! going offline empties its slot queue, stops its transfers and downloads,
//! and changes whether its slots can be proven; coming back refreshes them.
//!
//! Owns [`FaultStreams`].

use codexsim_config::{Detection, FaultKind, FaultTarget, Scenario, ScheduledTarget};
use codexsim_engine::{Dist, RandomStream, Scheduler, SimDuration, SimTime, StreamId};

use crate::events::{Ev, Stop};
use crate::ledger::SaleState;
use crate::model::Model;
use crate::output::TraceKind;

/// Marks "no fault process" in events raised by scheduled faults.
pub(crate) const NO_PROCESS: u32 = u32::MAX;

/// Per fault process, per target (node or domain): its random stream.
pub(crate) struct FaultStreams {
    pub(crate) streams: Vec<Vec<RandomStream>>,
    /// Scheduled faults on the oldest filler: the hosts in the order the
    /// team's repair test lists them.
    pub(crate) filler_order: Vec<u32>,
}

impl FaultStreams {
    pub(crate) fn new(cfg: &Scenario) -> Self {
        let seed = cfg.run.seed;
        let total = cfg.fleet_nodes();
        let streams = cfg
            .faults
            .iter()
            .enumerate()
            .map(|(fi, f)| {
                let targets = match f.target {
                    FaultTarget::Nodes { .. } => total,
                    FaultTarget::Domains { level } => cfg.domain_levels[level].count,
                };
                (0..targets)
                    .map(|t| {
                        RandomStream::new(
                            seed,
                            StreamId::new("fault", ((fi as u64) << 32) | t as u64),
                        )
                    })
                    .collect()
            })
            .collect();
        FaultStreams {
            streams,
            filler_order: (0..total).collect(),
        }
    }

    /// How many targets process `fi` has.
    pub(crate) fn targets(&self, fi: usize) -> usize {
        self.streams[fi].len()
    }
}

/// What a fault hits.
#[derive(Clone, Copy, Debug)]
enum Hit {
    /// One node.
    Node(u32),
    /// Every node of a domain: (level, domain).
    Domain(usize, u32),
}

impl Model<'_> {
    pub(crate) fn schedule_fault(
        &mut self,
        s: &mut Scheduler<Ev>,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let now = s.now();
        self.schedule_fault_from(s, now, process, target)
    }

    /// Draws a target's next fault: one interval after `from`.
    pub(crate) fn schedule_fault_from(
        &mut self,
        s: &mut Scheduler<Ev>,
        from: SimTime,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let dist = &self.cfg.faults[process as usize].interval_s;
        let d = dist.sample(&mut self.faults.streams[process as usize][target as usize]);
        let at = from.saturating_add(SimDuration::drawn_secs_f64(d));
        if at <= self.horizon {
            s.schedule_at(at, Ev::FaultFire { process, target })?;
        }
        Ok(())
    }

    pub(crate) fn draw_fault_duration(&mut self, process: u32, target: u32) -> SimDuration {
        let dist: &Dist = &self.cfg.faults[process as usize].duration_s;
        SimDuration::drawn_secs_f64(
            dist.sample(&mut self.faults.streams[process as usize][target as usize]),
        )
    }

    pub(crate) fn on_fault_fire(
        &mut self,
        s: &mut Scheduler<Ev>,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let fault = self.cfg.faults[process as usize].clone();
        let duration = self.draw_fault_duration(process, target);
        let hit = match fault.target {
            FaultTarget::Nodes { .. } => Hit::Node(target),
            FaultTarget::Domains { level } => Hit::Domain(level, target),
        };
        self.apply_fault(s, fault.kind, hit, duration, process)
    }

    pub(crate) fn on_scheduled(&mut self, s: &mut Scheduler<Ev>, index: u32) -> Result<(), Stop> {
        let f = self.cfg.scheduled_faults[index as usize].clone();
        let hit = match f.target {
            ScheduledTarget::Node(n) => Hit::Node(n),
            ScheduledTarget::Domain(l, d) => Hit::Domain(l, d),
            ScheduledTarget::OldestFiller => match self.oldest_filler() {
                Some(n) => Hit::Node(n),
                None => return Ok(()),
            },
        };
        self.apply_fault(s, f.kind, hit, f.duration, NO_PROCESS)
    }

    /// The team's repair test's pick: the first host in its list (hosts in
    /// the order they started) that holds a filled slot; the started hosts
    /// before it that hold none go to the back of the started hosts. A node
    /// down with no sale has not started (it is left in place). The node
    /// leaves the list.
    fn oldest_filler(&mut self) -> Option<u32> {
        let list = &mut self.faults.filler_order;
        let started = |l: &crate::ledger::Ledger, n: u32| {
            let node = &l.nodes[n as usize];
            node.up() || !node.sales.is_empty()
        };
        let mut rotated = Vec::new();
        let mut i = 0;
        let mut found = None;
        while i < list.len() {
            let n = list[i];
            let node = &self.ledger.nodes[n as usize];
            if node.gone {
                list.remove(i);
                continue;
            }
            let fills = node
                .sales
                .iter()
                .any(|&x| self.ledger.sales[x as usize].state == crate::ledger::SaleState::Filled);
            if fills {
                list.remove(i);
                found = Some(n);
                break;
            }
            if started(&self.ledger, n) {
                rotated.push(list.remove(i));
                continue;
            }
            i += 1;
        }
        let at = list
            .iter()
            .position(|&n| !started(&self.ledger, n))
            .unwrap_or(list.len());
        list.splice(at..at, rotated);
        found
    }

    /// A fault hits a node or every node of a domain. `process` is the random
    /// fault process to continue when the fault ends (`NO_PROCESS` for a
    /// scheduled fault).
    fn apply_fault(
        &mut self,
        s: &mut Scheduler<Ev>,
        kind: FaultKind,
        hit: Hit,
        duration: SimDuration,
        process: u32,
    ) -> Result<(), Stop> {
        let members: Vec<u32> = match hit {
            Hit::Node(n) => vec![n],
            Hit::Domain(level, d) => self.ledger.domains[level][d as usize].clone(),
        };
        let live: Vec<u32> = members
            .into_iter()
            .filter(|&n| !self.ledger.nodes[n as usize].gone)
            .collect();
        match kind {
            FaultKind::Outage => {
                for &n in &live {
                    self.node_down(s, n)?;
                }
                let end = match hit {
                    Hit::Node(node) if !live.is_empty() => Some(Ev::OutageEnd { node, process }),
                    Hit::Node(_) => None,
                    Hit::Domain(level, domain) => Some(Ev::DomainOutageEnd {
                        level: level as u32,
                        domain,
                        process,
                    }),
                };
                if let Some(end) = end {
                    s.schedule_in(duration, end)?;
                }
            }
            FaultKind::DiskLoss { replace } => {
                // A node's own process resumes when its disk is back; a
                // domain's resumes from the domain's return.
                let node_process = if matches!(hit, Hit::Node(_)) {
                    process
                } else {
                    NO_PROCESS
                };
                for &n in &live {
                    self.disk_loss(s, n)?;
                    if replace {
                        s.schedule_in(
                            duration,
                            Ev::DiskReplaced {
                                node: n,
                                process: node_process,
                            },
                        )?;
                    } else {
                        self.node_leaves(s, n)?;
                    }
                }
                if let (true, Hit::Domain(_, domain), true) = (replace, hit, process != NO_PROCESS)
                {
                    let back = s.now().saturating_add(duration);
                    self.schedule_fault_from(s, back, process, domain)?;
                }
            }
            FaultKind::Churn => {
                for &n in &live {
                    self.node_leaves(s, n)?;
                }
            }
        }
        Ok(())
    }

    /// One more reason for the node to be offline.
    pub(crate) fn node_down(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let n = &mut self.ledger.nodes[node as usize];
        n.down_causes += 1;
        self.ledger.sync_node(node);
        if self.ledger.nodes[node as usize].down_causes > 1 {
            return Ok(());
        }
        self.trace(s.now(), TraceKind::NodeDown, Some(node), None, None, None);
        self.went_offline(s, node)
    }

    /// Empties a node's slot queue (it restarted or left).
    pub(crate) fn clear_queue(&mut self, node: u32) {
        self.market.queues.clear(node);
    }

    /// Reads the sales a node's outage or return is about to refresh, one
    /// after the other: their loads do not wait on each other, so the
    /// memory fetches overlap, and the refreshes that follow (each of which
    /// waits on the last) find them in cache. A node holds thousands of
    /// sales scattered over every live sale's record (megabytes: see
    /// BENCHMARKS.md).
    pub(crate) fn touch_sales(&self, sales: &[u32]) {
        let mut sum = 0u64;
        for &x in sales {
            let sx = &self.ledger.sales[x as usize];
            // (A sale spans two cache lines: a field at each end.)
            sum = sum
                .wrapping_add(sx.state as u64)
                .wrapping_add(sx.collateral as u64)
                .wrapping_add(sx.pending_miss.is_some() as u64);
        }
        std::hint::black_box(sum);
    }

    /// The node just went offline or left: abort downloads, restart proofs.
    pub(crate) fn went_offline(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        self.clear_queue(node);
        self.net_node_down(s, node)?;
        let sales = self.ledger.nodes[node as usize].sales.clone();
        self.touch_sales(&sales);
        for sale in sales {
            match self.ledger.sales[sale as usize].state {
                SaleState::Downloading => self.abort_download(s, sale)?,
                SaleState::Filled | SaleState::Zombie | SaleState::Orphan => {
                    self.refresh_sale(s, sale)?
                }
                SaleState::Done => {}
            }
        }
        Ok(())
    }

    pub(crate) fn node_up(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let n = &mut self.ledger.nodes[node as usize];
        if n.gone || n.down_causes == 0 {
            return Ok(());
        }
        n.down_causes -= 1;
        self.ledger.sync_node(node);
        if self.ledger.nodes[node as usize].down_causes > 0 {
            return Ok(());
        }
        self.trace(s.now(), TraceKind::NodeUp, Some(node), None, None, None);
        self.exchange_node(s, node, true)?;
        for (req, slot) in std::mem::take(&mut self.repair.waiting) {
            self.start_exp_repair(s, req, slot)?;
        }
        let sales = self.ledger.nodes[node as usize].sales.clone();
        self.touch_sales(&sales);
        for sale in sales {
            if matches!(
                self.ledger.sales[sale as usize].state,
                SaleState::Filled | SaleState::Zombie
            ) {
                self.refresh_sale(s, sale)?;
            }
        }
        self.kick(s, node)
    }

    /// The node's disk and everything on it is gone; it is offline until a
    /// new disk arrives. Its local sales are lost; the contract still lists it
    /// as the host of its slots (zombie) until they are freed.
    pub(crate) fn disk_loss(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let now = s.now();
        self.trace(now, TraceKind::DiskLost, Some(node), None, None, None);
        self.ledger.nodes[node as usize].down_causes += 1;
        self.ledger.sync_node(node);
        if self.ledger.nodes[node as usize].down_causes == 1 {
            self.trace(now, TraceKind::NodeDown, Some(node), None, None, None);
        }
        self.lose_local_state(s, node)
    }

    pub(crate) fn lose_local_state(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
    ) -> Result<(), Stop> {
        self.went_offline(s, node)?;
        let sales = self.ledger.nodes[node as usize].sales.clone();
        let mut to_free = Vec::new();
        for sale in sales {
            match self.ledger.sales[sale as usize].state {
                SaleState::Filled => {
                    self.drop_data(s, sale)?;
                    // Local bookkeeping is gone with the disk; the bytes return.
                    self.ledger.lose_disk(sale, s.now());
                    self.money_zombie(sale);
                    self.market.queues.clear_seen(node);
                    self.refresh_sale(s, sale)?;
                    let x = &self.ledger.sales[sale as usize];
                    to_free.push((x.request, x.slot));
                }
                SaleState::Orphan => self.close_sale(s, sale, false)?,
                _ => {}
            }
        }
        if self.cfg.repair.detection == Detection::Immediate {
            for (req, slot) in to_free {
                if self.ledger.requests[req as usize].active() {
                    self.free_slot(s, req, slot)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn node_leaves(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        if self.ledger.nodes[node as usize].gone {
            return Ok(());
        }
        let now = s.now();
        self.trace(now, TraceKind::NodeLeft, Some(node), None, None, None);
        // Gone first: the repairs and retries its departure sets off must
        // not pick it as a host or a source.
        self.ledger.leave(node);
        self.lose_local_state(s, node)?;
        self.clear_queue(node);
        // Refresh proofs: a gone node can never prove.
        let sales = self.ledger.nodes[node as usize].sales.clone();
        for sale in sales {
            self.refresh_sale(s, sale)?;
        }
        Ok(())
    }

    pub(crate) fn on_disk_replaced(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
        process: u32,
    ) -> Result<(), Stop> {
        if self.ledger.nodes[node as usize].gone {
            return Ok(());
        }
        self.node_up(s, node)?;
        if process != NO_PROCESS {
            self.schedule_fault(s, process, node)?;
        }
        Ok(())
    }

    /// A domain's outage ends: its nodes come back, its process goes on.
    pub(crate) fn on_domain_outage_end(
        &mut self,
        s: &mut Scheduler<Ev>,
        level: u32,
        domain: u32,
        process: u32,
    ) -> Result<(), Stop> {
        let members = self.ledger.domains[level as usize][domain as usize].clone();
        for n in members {
            self.node_up(s, n)?;
        }
        if process != NO_PROCESS {
            self.schedule_fault(s, process, domain)?;
        }
        Ok(())
    }
}
