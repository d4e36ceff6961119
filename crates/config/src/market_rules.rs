//! The marketplace's rules beyond the contract's numbers: validators as
//! processes (`[validators]`), the expanding reservation window
//! (`[marketplace.reservation_window]`) and how a long-lived dataset is
//! renewed (`workload.renewal`). Raw tables, typed values and their
//! validation; sources in `docs/marketplace-sources.md`.

use codexsim_engine::{Dist, SimDuration};
use serde::{Deserialize, Serialize};

use crate::dist::RawDist;
use crate::validate::{Ctx, Unit};

/// `[validators]`: the validators as processes. Without the section, an
/// ideal validator marks every missed proof one second into the next
/// period.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawValidators {
    /// How many validators run. Default 1.
    #[serde(default = "one")]
    pub count: i64,
    /// `--validator-groups`: the slot-id space is split into this many groups
    /// (2..=65535) and validator i watches group i mod groups. Default: no
    /// groups, every validator watches every slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<i64>,
    /// `--validator-max-slots`: a validator watches at most this many slots
    /// (a SlotFilled beyond it is dropped); 0 means no limit. Default 1000.
    #[serde(default = "default_max_slots")]
    pub max_slots: i64,
    /// `"outside"` (default: machines of their own) or `"fleet"` (validator
    /// i runs on node i x nodes / count, and is down when its node is).
    #[serde(default = "default_placement")]
    pub placement: String,
    /// Time between one validator's own failures (a distribution). Default:
    /// it never fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_interval_s: Option<RawDist>,
    /// How long a validator stays down after a failure. Default 1 h.
    #[serde(default = "default_down")]
    pub failure_duration_s: RawDist,
}

fn one() -> i64 {
    1
}
fn default_max_slots() -> i64 {
    1000
}
fn default_placement() -> String {
    "outside".into()
}
fn default_down() -> RawDist {
    RawDist::Scalar(crate::units::RawQuantity::Text("1 h".into()))
}

/// Where validators run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidatorPlacement {
    /// On machines of their own.
    Outside,
    /// On nodes of the fleet, down with them.
    Fleet,
}

/// Validated `[validators]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Validators {
    /// How many.
    pub count: u32,
    /// Groups of the slot-id space, if any.
    pub groups: Option<u32>,
    /// Most slots one watches (`None`: no limit).
    pub max_slots: Option<u32>,
    /// Where they run.
    pub placement: ValidatorPlacement,
    /// Their own failures: time between (s) and downtime (s).
    pub failures: Option<(Dist, Dist)>,
}

/// Validates `[validators]` for a fleet of `fleet_nodes`.
pub fn validate_validators(c: &mut Ctx, v: &RawValidators, fleet_nodes: u64) -> Option<Validators> {
    let count = c.int_in("validators.count", v.count, 1, 65_535);
    let groups = match v.groups {
        Some(g) => c.int_in("validators.groups", g, 2, 65_535).map(Some),
        None => Some(None),
    };
    let max_slots = c.int_in("validators.max_slots", v.max_slots, 0, i64::from(u32::MAX));
    let placement = c.choice(
        "validators.placement",
        &v.placement,
        &[
            ("outside", ValidatorPlacement::Outside),
            ("fleet", ValidatorPlacement::Fleet),
        ],
    );
    if placement == Some(ValidatorPlacement::Fleet) {
        if let Some(n) = count {
            if n as u64 > fleet_nodes {
                c.errors.push(
                    "validators.count",
                    n.to_string(),
                    format!(
                        "must not exceed the fleet's {fleet_nodes} nodes with placement = \"fleet\""
                    ),
                );
            }
        }
    }
    let failures = match &v.failure_interval_s {
        Some(i) => {
            let interval = c.dist("validators.failure_interval_s", i, Unit::Seconds);
            let down = c.dist(
                "validators.failure_duration_s",
                &v.failure_duration_s,
                Unit::Seconds,
            );
            Some(interval.zip(down))
        }
        None => Some(None),
    };
    Some(Validators {
        count: count? as u32,
        groups: groups?.map(|g| g as u32),
        max_slots: match max_slots? {
            0 => None,
            m => Some(m as u32),
        },
        placement: placement?,
        failures: failures?,
    })
}

/// `[marketplace.reservation_window]`: a host may reserve a slot only when
/// the XOR distance between its address and the slot's reservation point is
/// inside a window that widens with time (codex-research
/// `design/slot-reservations.md`; designed, never shipped).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// `h`: the share of the address space eligible halfway to the window's
    /// end (the design's dispersal parameter), in (0, 1). Default 0.25.
    #[serde(default = "default_dispersal")]
    pub dispersal: f64,
    /// `delta`: the window is full this share of the way before its end
    /// (`t' = min(t / (1 - delta), 1)`), in [0, 1). Default 0.1.
    #[serde(default = "default_tail")]
    pub tail: f64,
}

fn default_dispersal() -> f64 {
    0.25
}
fn default_tail() -> f64 {
    0.1
}

/// Validated window: `F(x) = (e^(s x) - 1) / (e^s - 1)`, `s = 2 ln((1 - h) / h)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// `h`.
    pub dispersal: f64,
    /// `delta`.
    pub tail: f64,
}

impl Window {
    fn s(&self) -> f64 {
        2.0 * ((1.0 - self.dispersal) / self.dispersal).ln()
    }

    /// The share of the address space eligible at `x` of the window (the
    /// tail applied), in [0, 1].
    pub fn share(&self, x: f64) -> f64 {
        let x = (x / (1.0 - self.tail)).clamp(0.0, 1.0);
        let s = self.s();
        if s.abs() < 1e-9 {
            return x;
        }
        ((s * x).exp() - 1.0) / (s.exp() - 1.0)
    }

    /// The first `x` (share of the window's length) at which a host at
    /// distance `u` (uniform in [0, 1)) is eligible: `F^-1(u)`, tail applied.
    pub fn opens_at(&self, u: f64) -> f64 {
        let s = self.s();
        let x = if s.abs() < 1e-9 {
            u
        } else {
            (1.0 + u * (s.exp() - 1.0)).ln() / s
        };
        (x * (1.0 - self.tail)).clamp(0.0, 1.0)
    }
}

/// Validates `[marketplace.reservation_window]`.
pub fn validate_window(c: &mut Ctx, w: &RawWindow) -> Option<Window> {
    let path = "marketplace.reservation_window";
    let h = w.dispersal;
    let dispersal = if h > 0.0 && h < 1.0 {
        Some(h)
    } else {
        c.errors.push(
            format!("{path}.dispersal"),
            h.to_string(),
            "must be strictly between 0 and 1",
        );
        None
    };
    let tail = if (0.0..1.0).contains(&w.tail) {
        Some(w.tail)
    } else {
        c.errors.push(
            format!("{path}.tail"),
            w.tail.to_string(),
            "must be at least 0 and below 1",
        );
        None
    };
    Some(Window {
        dispersal: dispersal?,
        tail: tail?,
    })
}

/// How a long-lived dataset is kept past its request's end
/// (`workload.renewal`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// The client posts a new request for the same data `lead` before the
    /// old one ends; new hosts fill it by downloading from the old ones.
    NewRequest {
        /// How long before the end.
        lead: SimDuration,
        /// The renewal request's expiry.
        expiry: SimDuration,
    },
    /// The contract is extended with the same hosts and no data moves
    /// (which the contract cannot do: a what-if).
    SameHosts,
}

/// `workload.renewal` and `workload.renewal_lead_s`, validated against the
/// request duration when datasets are renewed (`renew`).
pub fn validate_renewal(
    c: &mut Ctx,
    (renewal, renew): (&str, bool),
    (lead, expiry): (
        Option<&crate::units::RawQuantity>,
        Option<&crate::units::RawQuantity>,
    ),
    duration: Option<SimDuration>,
) -> Option<Renewal> {
    let lead = match (lead, duration) {
        (Some(l), _) => c.duration("workload.renewal_lead_s", l, SimDuration::ZERO),
        (None, d) => {
            let day = SimDuration::from_days(1);
            Some(d.map_or(day, |d| day.min(SimDuration::from_nanos(d.as_nanos() / 2))))
        }
    };
    let expiry = match expiry {
        Some(e) => c
            .duration("workload.renewal_expiry_s", e, SimDuration::from_nanos(1))
            .map(Some),
        None => Some(None),
    };
    let new_request = c.choice(
        "workload.renewal",
        renewal,
        &[("new_request", true), ("same_hosts", false)],
    )?;
    if !new_request {
        return Some(Renewal::SameHosts);
    }
    let lead = lead?;
    let expiry = expiry?.unwrap_or_else(|| SimDuration::from_hours(2).min(lead));
    if let Some(d) = duration.filter(|_| renew) {
        if lead >= d {
            c.errors.push(
                "workload.renewal_lead_s",
                format!("{lead}"),
                format!("must be shorter than workload.duration_s ({d})"),
            );
            return None;
        }
    }
    Some(Renewal::NewRequest { lead, expiry })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_share_and_its_inverse_agree() {
        for h in [0.1, 0.25, 0.5, 0.75] {
            let w = Window {
                dispersal: h,
                tail: 0.1,
            };
            assert_eq!(w.share(0.0), 0.0);
            assert!((w.share(0.9) - 1.0).abs() < 1e-12);
            assert!((w.share(0.45) - h).abs() < 1e-12, "F(0.5) = h");
            for u in [0.0, 0.01, 0.3, 0.77, 0.999] {
                let x = w.opens_at(u);
                assert!((w.share(x) - u).abs() < 1e-9, "h {h} u {u}");
            }
        }
    }
}
