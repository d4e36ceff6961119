//! Validation: who marks a missed proof. Without `[validators]`, an ideal
//! validator marks every miss one second into the next period. With it,
//! validators are processes (nim-codex `codex/validation.nim`, read in
//! `docs/marketplace-sources.md`): each watches the slots of its group
//! (`(top 64 bits of the slot id) mod groups`; validator i has group index
//! i mod groups), learns a slot from its SlotFilled event unless it already
//! watches `max_slots` (the event is then dropped for good), forgets it when
//! the slot stops being filled, and one second into each period marks the
//! previous period's misses of the slots it watches, if it is up. A miss no
//! live validator watching its slot marks is never slashed.
//!
//! Owns [`Validation`]; reads the ledger's nodes (for validators on the
//! fleet), never changes the ledger.

use std::collections::BTreeMap;

use codexsim_config::{ValidatorPlacement, Validators};
use codexsim_engine::{mix64, RandomStream, SimDuration, SimTime, StreamId};

use crate::model::Model;

/// One validator's own up and down times, drawn lazily as the run asks
/// (asks come in time order).
struct Process {
    up: bool,
    /// When the current state ends (`None`: never).
    until: Option<SimTime>,
    rng: RandomStream,
}

/// The validators' state.
pub(crate) struct Validation {
    cfg: Option<Validators>,
    processes: Vec<Process>,
    /// For validators on the fleet: their node.
    nodes: Vec<u32>,
    /// Slots each watches now.
    watched: Vec<u32>,
    /// The validators watching each filled slot (request, slot).
    watchers: BTreeMap<(u32, u32), Vec<u16>>,
    seed: u64,
    /// Misses marked, misses no validator marked, and slots filled that no
    /// validator watches (out of its group's validators' room).
    pub(crate) marked: u64,
    pub(crate) unmarked: u64,
    pub(crate) unwatched_fills: u64,
}

impl Validation {
    pub(crate) fn new(cfg: Option<&Validators>, fleet_nodes: usize, seed: u64) -> Self {
        let count = cfg.map_or(0, |v| v.count as usize);
        let processes = (0..count)
            .map(|i| {
                let mut rng = RandomStream::new(seed, StreamId::new("validator", i as u64));
                let until = cfg.and_then(|v| v.failures.as_ref()).map(|(interval, _)| {
                    SimTime::ZERO
                        .saturating_add(SimDuration::drawn_secs_f64(interval.sample(&mut rng)))
                });
                Process {
                    up: true,
                    until,
                    rng,
                }
            })
            .collect();
        Validation {
            cfg: cfg.cloned(),
            processes,
            nodes: (0..count)
                .map(|i| (i * fleet_nodes / count.max(1)) as u32)
                .collect(),
            watched: vec![0; count],
            watchers: BTreeMap::new(),
            seed,
            marked: 0,
            unmarked: 0,
            unwatched_fills: 0,
        }
    }

    /// The slot's group: its id's top 64 bits mod `groups` (the id a
    /// keccak hash, drawn here from the run's seed).
    fn group_of(&self, req: u32, slot: u32, groups: u32) -> u32 {
        let id = mix64(self.seed ^ mix64((u64::from(req) << 32) | u64::from(slot)));
        (id % u64::from(groups)) as u32
    }

    /// The first validator watching (req, slot) that is up at `now`
    /// (times asked in order), given whether a fleet node is up.
    fn first_live(
        &mut self,
        req: u32,
        slot: u32,
        now: SimTime,
        node_up: impl Fn(u32) -> bool,
    ) -> Option<usize> {
        let cfg = self.cfg.as_ref()?;
        let fleet = cfg.placement == ValidatorPlacement::Fleet;
        for &v in self.watchers.get(&(req, slot))? {
            let v = v as usize;
            if fleet && !node_up(self.nodes[v]) {
                continue;
            }
            let p = &mut self.processes[v];
            if let Some((interval, down)) = &cfg.failures {
                while let Some(until) = p.until.filter(|&u| u <= now) {
                    p.up = !p.up;
                    let d = if p.up { interval } else { down };
                    p.until = Some(
                        until.saturating_add(SimDuration::drawn_secs_f64(d.sample(&mut p.rng))),
                    );
                }
            }
            if p.up {
                return Some(v);
            }
        }
        None
    }
}

impl Model<'_> {
    /// SlotFilled: the validators of the slot's group with room watch it.
    pub(crate) fn watch_slot(&mut self, req: u32, slot: u32) {
        let Some(cfg) = &self.validation.cfg else {
            return;
        };
        let count = cfg.count;
        let groups = cfg.groups;
        // Validator v watches group v mod groups.
        let (first, step) = match groups {
            Some(g) => (self.validation.group_of(req, slot, g), g),
            None => (0, 1),
        };
        let max = cfg.max_slots;
        let mut list = Vec::new();
        for v in (first..count).step_by(step as usize) {
            if max.is_some_and(|m| self.validation.watched[v as usize] >= m) {
                continue;
            }
            self.validation.watched[v as usize] += 1;
            list.push(v as u16);
        }
        if list.is_empty() {
            self.validation.unwatched_fills += 1;
        } else {
            self.validation.watchers.insert((req, slot), list);
        }
    }

    /// The slot is no longer filled (freed, or its request is over): its
    /// validators forget it.
    pub(crate) fn unwatch_slot(&mut self, req: u32, slot: u32) {
        if let Some(list) = self.validation.watchers.remove(&(req, slot)) {
            for v in list {
                self.validation.watched[v as usize] -= 1;
            }
        }
    }

    /// The request is over: its slots are forgotten.
    pub(crate) fn unwatch_request(&mut self, req: u32) {
        if self.validation.cfg.is_none() {
            return;
        }
        for slot in 0..self.ledger.requests[req as usize].slots.len() as u32 {
            self.unwatch_slot(req, slot);
        }
    }

    /// Who marks a miss of (req, slot) at `now`: the first live validator
    /// watching it (0 for the ideal validator), or none.
    pub(crate) fn marker(&mut self, req: u32, slot: u32, now: SimTime) -> Option<usize> {
        if self.validation.cfg.is_none() {
            return Some(0);
        }
        let nodes = &self.ledger.nodes;
        self.validation
            .first_live(req, slot, now, |n| nodes[n as usize].up())
    }

    /// The watched counts match the slots watched.
    pub(crate) fn check_validation(&self) -> Result<(), String> {
        let mut counts = vec![0u32; self.validation.watched.len()];
        for list in self.validation.watchers.values() {
            for &v in list {
                counts[v as usize] += 1;
            }
        }
        if counts != self.validation.watched {
            return Err(format!(
                "validators watch {:?} slots but count {:?}",
                counts, self.validation.watched
            ));
        }
        if let Some(m) = self.validation.cfg.as_ref().and_then(|c| c.max_slots) {
            if let Some(v) = self.validation.watched.iter().position(|&w| w > m) {
                return Err(format!("validator {v} watches more than {m} slots"));
            }
        }
        Ok(())
    }
}
