//! A large execution input whose first state is a Map over one of its arrays
//! (`{"items": [ … a million … ]}`): the input is parsed without that array, and the
//! array's items are parsed a chunk at a time, in parallel, right before they run, so
//! the whole input never exists as a tree of values (for 1,000,000 small objects that
//! tree is most of the memory a run takes, and building it is single-threaded).
//!
//! [`split_input`] decides (from the definition alone) and splits the text; the Map
//! takes the items with [`Run::take_large_items`] and runs them chunk by chunk through
//! the same strategies and the same per-item code as any inline Map, so its results,
//! errors and warnings are those of the ordinary run. Whatever the split can't vouch
//! for (an item that is not JSON, nesting too deep) makes the caller parse the whole
//! text the ordinary way, before anything ran.

use super::{Ctl, MapJob, Outcome, exceeded_threshold};
use crate::asl::Failure;
use crate::asl::model::template::Template;
use crate::asl::model::{
    Map, PathField, ProcessorMode, QueryLanguage, State, StateKind, StateMachine, Transition,
};
use crate::asl::path::PathRoot;
use crate::exec::MAX_PAYLOAD_BYTES;
use crate::exec::context::StateEnv;
use crate::exec::progress::ProgressBar;
use crate::exec::run::Run;
use crate::io::json_scan;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Inputs smaller than this are parsed whole (the split pays off for large ones).
pub const LARGE_INPUT_BYTES: usize = 8 << 20;

/// Items parsed and run per chunk, per thread of the pool.
const CHUNK_ITEMS_PER_THREAD: usize = 32 * 1024;

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
    let Some((start, end)) = json_scan::locate(&text, &keys) else {
        return Err(text);
    };
    let Some(ranges) = json_scan::array_items(&text, start, end) else {
        return Err(text);
    };
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

/// One item (checked by `split_input`: a failure here is not the input's): an object
/// keeps only the fields in `keep`, when given (their order and values as parsed).
fn parse_item(text: &[u8], keep: Option<&HashSet<&str>>) -> Value {
    let parsed = match keep {
        Some(keep) => {
            let mut de = serde_json::Deserializer::from_slice(text);
            serde::de::DeserializeSeed::deserialize(Projected(keep), &mut de)
        }
        None => serde_json::from_slice(text),
    };
    parsed.unwrap_or(Value::Null)
}

/// Deserializes a JSON value keeping, when it is an object, only some of its fields
/// (the others are skipped without being built).
struct Projected<'k>(&'k HashSet<&'k str>);

impl<'de> serde::de::DeserializeSeed<'de> for Projected<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Projected<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.0.contains(key.as_ref()) {
                out.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }
    // Anything but an object is taken whole, as serde_json builds it.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
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

    /// Runs an inline Map over items given as text: a chunk at a time, each chunk
    /// parsed in parallel and run with the Map's strategy, as [`Run::run_map`] runs a
    /// whole array.
    pub(super) fn run_large_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
        large: Arc<LargeItems>,
    ) -> Result<Value, Failure> {
        let total = large.ranges.len();
        let settings = self.map_settings(m, env, total)?;
        self.event("MapStateStarted", || {
            Some(("mapStateStartedEventDetails", json!({"length": total})))
        });
        let ctl = Ctl::new(&settings);
        let bar = ProgressBar::start(self.ex.progress, &st.name, total, &ctl.counters);
        let chunk = CHUNK_ITEMS_PER_THREAD * self.ex.threads().max(1);
        // The results as values, or (when they are the execution's output) as its text.
        let raw = large.raw_output && !self.limits.state_payloads;
        let mut results = Vec::with_capacity(if raw { 0 } else { total });
        let mut text_out = String::new();
        if raw {
            // Reserved, not touched: growing it by doubling would copy it again and again.
            text_out.reserve(large.text.len().saturating_mul(2));
            text_out.push('[');
        }
        // Where the time goes (`ASL_PHASES=1` prints it): parsing, running, writing.
        let mut phases = [std::time::Duration::ZERO; 3];
        let mut clock = std::time::Instant::now();
        let mut lap = |i: usize| {
            let now = std::time::Instant::now();
            phases[i] += now - clock;
            clock = now;
        };
        // Items run by the kernels keep only the fields the kernels read.
        let projection: Option<HashSet<&str>> = match (&settings.strategy, &settings.plan.columnar)
        {
            (crate::plan::Strategy::Columnar, Some(p)) if !p.needs_whole_item() => {
                Some(p.input_columns().iter().map(String::as_str).collect())
            }
            _ => None,
        };
        for (c, ranges) in large.ranges.chunks(chunk).enumerate() {
            let text = &large.text;
            let items: Vec<Value> = self.ex.in_pool(|| {
                ranges
                    .par_iter()
                    .map(|&(s, e)| parse_item(&text[s..e], projection.as_ref()))
                    .collect()
            });
            let whole = MapJob::whole(m, env, &items, &st.name);
            let job = whole.part(&items, c * chunk);
            lap(0);
            let outcomes = self.run_chunk(&job, &ctl, &settings);
            drop(items);
            lap(1);
            if self.is_suspended() || self.stopped() {
                return Err(self.history_full());
            }
            if raw {
                let written = self.write_results(outcomes, &settings, &mut text_out);
                lap(2);
                match written {
                    Ok(()) => continue,
                    Err(f) => {
                        drop(bar);
                        self.event("MapStateFailed", || None);
                        return Err(f);
                    }
                }
            }
            if let Err(f) = super::collect(outcomes, settings.tolerance.tolerant(), &mut results) {
                drop(bar);
                self.event("MapStateFailed", || None);
                return Err(f);
            }
        }
        drop(bar);
        if std::env::var_os("ASL_PHASES").is_some() {
            eprintln!(
                "asl: large input: {total} items: parsing {:.3} s, running {:.3} s, writing {:.3} s",
                phases[0].as_secs_f64(),
                phases[1].as_secs_f64(),
                phases[2].as_secs_f64()
            );
        }
        let failures = ctl.counters.failures.load(Ordering::Relaxed);
        if settings.tolerance.tolerant() && settings.tolerance.exceeded(failures) {
            self.event("MapStateFailed", || None);
            return Err(exceeded_threshold());
        }
        self.event("MapStateSucceeded", || None);
        if raw {
            text_out.push(']');
            if text_out.len() > MAX_PAYLOAD_BYTES {
                self.output_over_limit(st)?;
            }
            *self.raw_output.lock().unwrap_or_else(|p| p.into_inner()) = Some(text_out);
            return Ok(Value::Null);
        }
        Ok(Value::Array(results))
    }

    /// Appends a chunk's results to the output text (serialized in parallel, each as
    /// compact JSON, as the whole array would be); the first failure not tolerated.
    fn write_results(
        &self,
        outcomes: Vec<Outcome>,
        settings: &super::MapSettings<'_>,
        out: &mut String,
    ) -> Result<(), Failure> {
        let tolerant = settings.tolerance.tolerant();
        if let Some(f) = outcomes.iter().find_map(|o| match o {
            Outcome::Failed(f) if !tolerant => Some(f.clone()),
            _ => None,
        }) {
            return Err(f);
        }
        let pieces: Vec<Vec<u8>> = self.ex.in_pool(|| {
            outcomes
                .par_chunks(1024)
                .map(|part| {
                    let mut s: Vec<u8> = Vec::with_capacity(part.len() * 96);
                    for o in part {
                        let v = match o {
                            Outcome::Done(v) => std::borrow::Cow::Borrowed(v),
                            Outcome::Failed(f) => {
                                std::borrow::Cow::Owned(json!({"Error": f.error, "Cause": f.cause}))
                            }
                            Outcome::Skipped => continue,
                        };
                        if !s.is_empty() {
                            s.push(b',');
                        }
                        // Writing JSON into a Vec can't fail.
                        let _ = serde_json::to_writer(&mut s, &*v);
                    }
                    s
                })
                .collect()
        });
        for p in pieces.into_iter().filter(|p| !p.is_empty()) {
            if out.len() > 1 {
                out.push(',');
            }
            // serde_json writes UTF-8.
            out.push_str(std::str::from_utf8(&p).unwrap_or_default());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
