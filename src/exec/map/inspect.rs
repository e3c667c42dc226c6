//! TestState's view of a Map (see `exec::test_state`): its items and settings
//! recorded for `inspectionData`, `afterItemSelector` computed, and a mocked Map failed
//! as AWS fails it when `mapIterationFailureCount` exceeds what it tolerates. A
//! Distributed Map's items come from `mapItemReaderData` read by its own ItemReader.

use super::{MapJob, MapSettings, exceeded_threshold, map_items};
use crate::asl::Failure;
use crate::asl::model::{Map, State};
use crate::exec::context::StateEnv;
use crate::exec::run::Run;
use crate::io::reader;
use serde_json::{Value, json};
use std::borrow::Cow;

impl Run<'_> {
    /// TestState: records the Map's items and settings, and fails it as AWS would when
    /// the iterations said to have failed (`mapIterationFailureCount`) exceed what it
    /// tolerates.
    pub(super) fn inspect_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
        settings: &MapSettings<'_>,
        items: &[Value],
    ) -> Result<(), Failure> {
        let Some(t) = self.inspect.as_ref().filter(|t| t.state == st.name) else {
            return Ok(());
        };
        if st.ql != crate::asl::model::QueryLanguage::JsonAta && m.item_reader.is_none() {
            self.record(st, "afterItemsPath", || Value::Array(items.to_vec()));
        }
        if m.item_selector.is_some() || m.item_selector_ata.is_some() {
            let job = MapJob::whole(m, env, items, &st.name);
            let selected = (0..items.len())
                .map(|i| self.item_input(&job, i).map(Cow::into_owned))
                .collect::<Result<Vec<_>, _>>()?;
            self.record(st, "afterItemSelector", || Value::Array(selected));
        }
        if let Some(spec) = &m.item_batcher {
            let ata = st.ql == crate::asl::model::QueryLanguage::JsonAta;
            let b = self.resolve_batcher(spec, env, ata)?;
            let mut pending = super::dataplane::Pending::default();
            let mut batches = self.make_batches(items.to_vec(), &b, m, env, 0, &mut pending)?;
            batches.extend(pending.flush(&b.batch_input));
            self.record(st, "afterItemBatcher", || Value::Array(batches));
        }
        self.record(st, "maxConcurrency", || {
            json!(settings.max_concurrency.unwrap_or(0))
        });
        if let Some(n) = settings.tolerance.count {
            self.record(st, "toleratedFailureCount", || json!(n));
        }
        if let Some(p) = settings.tolerance.percentage {
            self.record(st, "toleratedFailurePercentage", || json!(p.round() as u64));
        }
        match t.map_iteration_failure_count {
            Some(n) if settings.tolerance.exceeded(u64::from(n)) => Err(exceeded_threshold()),
            _ => Ok(()),
        }
    }

    /// TestState's check of a mocked Map: its items and settings are evaluated (and
    /// recorded), the mock is its result unless the failed iterations exceed what it
    /// tolerates.
    pub(crate) fn tested_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
        mocked: Result<Value, Failure>,
    ) -> Result<Value, Failure> {
        let given = self
            .inspect
            .as_ref()
            .and_then(|t| t.map_item_reader_data.as_deref());
        let ata = st.ql == crate::asl::model::QueryLanguage::JsonAta;
        let items_v = match (given, self.reader_config(m, env, ata)?) {
            (Some(text), Some(cfg)) => {
                let items = reader::read_given(&cfg, text)?;
                if cfg.items_pointer.as_deref().is_some_and(|p| !p.is_empty()) {
                    self.record(st, "afterItemsPointer", || Value::Array(items.clone()));
                }
                Cow::Owned(Value::Array(items))
            }
            _ => map_items(m, env)?,
        };
        let items = items_v.as_array().map(Vec::as_slice).unwrap_or(&[]);
        let settings = self.map_settings(m, env, items.len())?;
        self.inspect_map(st, m, env, &settings, items)?;
        mocked
    }
}
