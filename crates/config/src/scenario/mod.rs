//! The scenario schema: raw tables as written, typed tables after validation.
//!
//! Sections: `[run]`, `[marketplace]`, `[[domain_levels]]`, `[[node_groups]]`,
//! `[[faults]]`, `[[scheduled_faults]]`, `[workload]`, `[repair]`,
//! `[network]`, `[canary]`. Every key
//! has a default except where noted, so a section may be left out.
//!
//! The raw serde types are in `raw.rs`, the typed ones in `typed.rs`, and the
//! validation from one to the other in `validate/`, one function per section;
//! a link's keys, which two tables share, in `link.rs`. All are re-exported
//! here.

mod link;
mod raw;
mod typed;
mod validate;

pub use link::RawLink;
pub use raw::*;
pub use typed::*;
pub use validate::budget::{
    human_bytes, WorkEstimate, DEFAULT_MAX_ARRIVALS, DEFAULT_MAX_CANARY_ROUNDS, DEFAULT_MAX_NODES,
    DEFAULT_MAX_SERIES_ROWS,
};
