//! Integration tests of the `codexsim` binary, as one test binary.
//!
//! Modules:
//! - `cli`: commands, exit codes and messages as a user sees them;
//! - `rundir`: run directories are complete or absent.

mod cli;
mod common;
mod rundir;
