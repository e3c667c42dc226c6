//! A large execution input whose first state is a Map over one of its arrays
//! (`{"items": [ … a million … ]}`): the input is parsed without that array, and the
//! array's items are parsed a chunk at a time, in parallel, right before they run, so
//! the whole input never exists as a tree of values (for 1,000,000 small objects that
//! tree is most of the memory a run takes, and building it is single-threaded).
//!
//! [`split_input`] decides (from the definition alone) and splits the text; the Map
//! takes the items with [`Run::take_large_items`] and runs them chunk by chunk through
//! the same strategies and the same per-item code as any inline Map (see `run.rs`:
//! items the Arrow kernels run go from text straight into columns, and their outputs
//! from columns straight into the output's text), so its results, errors and warnings
//! are those of the ordinary run. Whatever the split can't vouch for (an item that is
//! not JSON, nesting too deep) makes the caller parse the whole text the ordinary way,
//! before anything ran.

use crate::asl::model::template::Template;
use crate::asl::model::{
    Map, PathField, ProcessorMode, QueryLanguage, State, StateKind, StateMachine, Transition,
};
use crate::asl::path::PathRoot;
use crate::exec::MAX_PAYLOAD_BYTES;
use crate::exec::context::StateEnv;
use crate::exec::run::Run;
use crate::io::json_scan;
use rayon::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// Inputs smaller than this are parsed whole (the split pays off for large ones).
pub const LARGE_INPUT_BYTES: usize = 8 << 20;

/// The items of the first state's Map, still as text.
#[derive(Debug)]
pub struct LargeItems {
    /// The Map state they are for.
    pub state: String,
    /// The whole input text.
    pub text: Vec<u8>,
    /// Each item's byte range in `text`, in order.
    pub ranges: Vec<(usize, usize)>,
    /// The Map's result is the execution's output (it ends the execution, with no
    /// ResultSelector or OutputPath): its results are written straight into the
    /// output text instead of being kept as values.
    pub raw_output: bool,
    /// The whole input, as compact JSON, is over AWS's payload limit.
    pub input_over_limit: bool,
}

/// The object keys of a path made of names only (`$.a.b` → `[a, b]`), read from `$`.
fn field_keys(p: &crate::asl::path::JsonPath) -> Option<Vec<String>> {
    if *p.root() != PathRoot::Input {
        return None;
    }
    p.segments()
        .iter()
        .map(|s| match s {
            crate::asl::path::Segment::Name(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// Whether a template reads nothing of `$` (only literals, `$$` and variables), so
/// it sees the same values whether or not the input still holds the items.
fn reads_no_input(t: &Template) -> bool {
    match t {
        Template::Literal(_) => true,
        Template::Path(p) => *p.root() != PathRoot::Input,
        Template::Intrinsic(_) => false,
        Template::Object(fields) => fields.iter().all(|(_, t)| reads_no_input(t)),
        Template::Array(items) => items.iter().all(reads_no_input),
    }
}

/// The first state and the keys of the array its Map reads, when the run can take the
/// items as text: a JSONPath inline Map first, reading `$.a.b…` of the execution input
/// unchanged (no InputPath), whose output is its result (no ResultPath other than
/// `$`, no Catch or Retry that would see the input again, no Assign), with an
/// ItemSelector (if any) that reads nothing of `$`, in a definition that never reads
/// `$$.Execution.Input`.
fn streamable<'s>(sm: &'s StateMachine, definition_text: &str) -> Option<(&'s State, Vec<String>)> {
    if definition_text.contains("Execution.Input") {
        return None;
    }
    let st = sm.state(sm.start_at);
    let StateKind::Map(m) = &st.kind else {
        return None;
    };
    let m: &Map = m;
    let plain = st.ql == QueryLanguage::JsonPath
        && m.mode == ProcessorMode::Inline
        && m.item_reader.is_none()
        && m.item_batcher.is_none()
        && m.result_writer.is_none()
        && st.retry.is_empty()
        && st.catch.is_empty()
        && st.assign.is_none()
        && matches!(st.io.input_path, PathField::Default)
        && st.io.parameters.is_none()
        && m.item_selector.as_ref().is_none_or(reads_no_input);
    let replaces = match &st.io.result_path {
        PathField::Default => true,
        PathField::Path(p) => field_keys(p).is_some_and(|k| k.is_empty()),
        PathField::Null => false,
    };
    if !plain || !replaces {
        return None;
    }
    let keys = match &m.items_path {
        PathField::Default => Vec::new(),
        PathField::Path(p) => field_keys(p)?,
        PathField::Null => return None,
    };
    Some((st, keys))
}

/// Splits a large input for `sm`: the input without the first Map's array (which
/// then holds `[]`) and that array's items as text. `Err(text)` gives the text back
/// when the run should parse it whole (small, not streamable, or not something the
/// split can vouch for: the ordinary parse then gives the ordinary error).
pub fn split_input(
    sm: &StateMachine,
    definition_text: &str,
    text: Vec<u8>,
) -> Result<(Value, LargeItems), Vec<u8>> {
    split_input_from(sm, definition_text, text, LARGE_INPUT_BYTES)
}

/// [`split_input`] for inputs of at least `min_bytes` (tests split small ones).
pub fn split_input_from(
    sm: &StateMachine,
    definition_text: &str,
    text: Vec<u8>,
    min_bytes: usize,
) -> Result<(Value, LargeItems), Vec<u8>> {
    if text.len() < min_bytes {
        return Err(text);
    }
    let Some((st, keys)) = streamable(sm, definition_text) else {
        return Err(text);
    };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let clock = std::time::Instant::now();
    let Some(((start, end), ranges)) = json_scan::locate_array(&text, &keys) else {
        return Err(text);
    };
    let scanned = clock.elapsed();
    let skeleton = [&text[..start], b"[]", &text[end..]].concat();
    let Ok(input) = serde_json::from_slice::<Value>(&skeleton) else {
        return Err(text);
    };
    // Every item is checked before anything runs (without building it), and the
    // input's size as AWS counts it (compact JSON) is known: from the number of items
    // when that settles it, else by adding up each item's compact length.
    let frame =
        crate::asl::model::template::to_compact(&input).len() + ranges.len().saturating_sub(1);
    let input_over_limit = if frame + ranges.len() > MAX_PAYLOAD_BYTES {
        let valid = ranges
            .par_iter()
            .all(|&(s, e)| serde_json::from_slice::<serde::de::IgnoredAny>(&text[s..e]).is_ok());
        if !valid {
            return Err(text);
        }
        true
    } else {
        let lengths: Option<Vec<usize>> = ranges
            .par_iter()
            .map(|&(s, e)| {
                serde_json::from_slice::<Value>(&text[s..e])
                    .ok()
                    .map(|v| crate::asl::model::template::to_compact(&v).len())
            })
            .collect();
        let Some(lengths) = lengths else {
            return Err(text);
        };
        frame + lengths.iter().sum::<usize>() > MAX_PAYLOAD_BYTES
    };
    if std::env::var_os("ASL_PHASES").is_some() {
        eprintln!(
            "asl: large input: {} items: scanning {:.3} s, checking {:.3} s",
            ranges.len(),
            scanned.as_secs_f64(),
            (clock.elapsed() - scanned).as_secs_f64()
        );
    }
    let raw_output = st.transition == Transition::End
        && st.io.result_selector.is_none()
        && matches!(st.io.output_path, PathField::Default);
    Ok((
        input,
        LargeItems {
            state: st.name.clone(),
            text,
            ranges,
            raw_output,
            input_over_limit,
        },
    ))
}

impl Run<'_> {
    /// The first Map's items as text, once (a top-level Map state named as they say).
    pub(super) fn take_large_items(
        &self,
        st: &State,
        env: &StateEnv<'_>,
    ) -> Option<Arc<LargeItems>> {
        if env.state.map_item.is_some() {
            return None;
        }
        let mut slot = self.large_items.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|l| l.state == st.name) {
            slot.take()
        } else {
            None
        }
    }
}

mod run;
#[cfg(test)]
mod tests;
