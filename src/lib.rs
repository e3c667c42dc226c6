//! asl-engine: runs Amazon States Language (AWS Step Functions) workflows on one machine.
//!
//! Pipeline: definition text → [`asl::validate`] (diagnostics with JSON Pointers) →
//! [`asl::model::StateMachine`] (typed, resolved) → [`exec::Executor`] (runs it).

pub mod asl;
pub mod error;
pub mod exec;
pub mod graph;
pub mod io;
pub mod jsonata;
pub mod plan;
pub mod service;

pub use error::{Error, Result};
