//! Integration tests of the `codexsim` binary, as one test binary.
//!
//! Modules:
//! - `cli`: commands, exit codes and messages as a user sees them;
//! - `rundir`: run directories are complete or absent;
//! - `run`: `codexsim run` outputs, determinism, bad scenarios.

mod cli;
mod common;
mod run;
mod rundir;
