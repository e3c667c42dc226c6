//! Typed model.
