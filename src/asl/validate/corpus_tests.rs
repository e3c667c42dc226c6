//! Runs the labelled corpus.
