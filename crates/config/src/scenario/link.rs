//! A link's three keys, as `[[domain_levels]]` and `[[node_groups]]` both
//! write them (`link_up_bytes_per_s`, `link_down_bytes_per_s`,
//! `link_latency_s`): their meaning, defaults and validation, in one place.
//!
//! The keys stay flat in both tables, since serde's `flatten` does not work
//! with `deny_unknown_fields` (an unknown key must be refused by name): each
//! table declares the three fields for serde and hands them over as a
//! [`RawLink`], which alone documents and validates them.

use codexsim_engine::SimDuration;

use super::{Link, RawDomainLevel, RawNodeGroup};
use crate::units::RawQuantity;
use crate::validate::Ctx;

/// A link's keys as written: a domain's shared link towards the level above
/// (or the internet), or a node's own link.
#[derive(Clone, Debug, PartialEq)]
pub struct RawLink {
    /// `link_up_bytes_per_s`: capacity in the up direction, bytes per second
    /// (at least 1). Default (absent): unlimited.
    pub up_bytes_per_s: Option<RawQuantity>,
    /// `link_down_bytes_per_s`: capacity in the down direction, bytes per
    /// second (at least 1). Default (absent): unlimited.
    pub down_bytes_per_s: Option<RawQuantity>,
    /// `link_latency_s`: one-way latency, seconds (>= 0). Default 0.
    pub latency_s: RawQuantity,
}

impl Default for RawLink {
    fn default() -> Self {
        RawLink {
            up_bytes_per_s: None,
            down_bytes_per_s: None,
            latency_s: RawLink::default_latency_s(),
        }
    }
}

impl RawLink {
    /// The TOML key of [`RawLink::up_bytes_per_s`].
    pub const UP_KEY: &'static str = "link_up_bytes_per_s";
    /// The TOML key of [`RawLink::down_bytes_per_s`].
    pub const DOWN_KEY: &'static str = "link_down_bytes_per_s";
    /// The TOML key of [`RawLink::latency_s`].
    pub const LATENCY_KEY: &'static str = "link_latency_s";

    /// The default of `link_latency_s`: 0.
    pub fn default_latency_s() -> RawQuantity {
        RawQuantity::Int(0)
    }

    /// Validates the link of the table at `path` (such as `node_groups[2]`);
    /// each problem is named by its key under `path`.
    pub(crate) fn validate(&self, c: &mut Ctx, path: &str) -> Option<Link> {
        let up = match &self.up_bytes_per_s {
            None => Some(None),
            Some(q) => c.bytes(&format!("{path}.{}", Self::UP_KEY), q, 1).map(Some),
        };
        let down = match &self.down_bytes_per_s {
            None => Some(None),
            Some(q) => c
                .bytes(&format!("{path}.{}", Self::DOWN_KEY), q, 1)
                .map(Some),
        };
        let latency = c.duration(
            &format!("{path}.{}", Self::LATENCY_KEY),
            &self.latency_s,
            SimDuration::ZERO,
        );
        Some(Link {
            up_bytes_per_s: up?,
            down_bytes_per_s: down?,
            latency: latency?,
        })
    }
}

impl RawDomainLevel {
    /// Each domain's shared link, as written.
    pub fn link(&self) -> RawLink {
        RawLink {
            up_bytes_per_s: self.link_up_bytes_per_s.clone(),
            down_bytes_per_s: self.link_down_bytes_per_s.clone(),
            latency_s: self.link_latency_s.clone(),
        }
    }
}

impl RawNodeGroup {
    /// Each node's own link, as written.
    pub fn link(&self) -> RawLink {
        RawLink {
            up_bytes_per_s: self.link_up_bytes_per_s.clone(),
            down_bytes_per_s: self.link_down_bytes_per_s.clone(),
            latency_s: self.link_latency_s.clone(),
        }
    }
}
