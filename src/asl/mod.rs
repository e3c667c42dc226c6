//! The language: model, paths, intrinsic functions, Choice rules and the validator.
//! This layer knows nothing of threads or Arrow.

pub mod choice;
pub mod failure;
pub mod intrinsic;
pub mod model;
pub mod path;
pub mod validate;

pub use failure::Failure;
