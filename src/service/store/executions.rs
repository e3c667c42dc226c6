//! Executions, their history events, journals and Map Runs.

use super::rows::{
    EXECUTION_COLUMNS, ExecutionRow, MAP_RUN_COLUMNS, MapRunRow, execution, map_run,
};
use super::writer::{Finish, Write};
use super::{Sql, Store};
use rusqlite::{OptionalExtension, params};

impl Store {
    // ---- executions ----

    /// Records a new RUNNING execution and its first events.
    pub fn insert_execution(&self, e: &ExecutionRow, events: &[(u64, String)]) -> Sql<()> {
        self.write(Write::Insert(Box::new(e.clone()), events.to_vec()))
            .map(|_| ())
    }

    pub fn execution(&self, arn: &str) -> Sql<Option<ExecutionRow>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"),
                [arn],
                execution,
            )
            .optional()
        })
    }

    /// Ends an execution that is still RUNNING: its status, result and the rest of its
    /// history (events after those recorded), in one transaction. False when it had
    /// already ended (stopped meanwhile).
    #[allow(clippy::too_many_arguments)]
    pub fn finish_execution(
        &self,
        arn: &str,
        status: &str,
        output: Option<&str>,
        error: Option<&str>,
        cause: Option<&str>,
        stopped: f64,
        events: &[(u64, String)],
        replace_events: bool,
    ) -> Sql<bool> {
        self.write(Write::Finish(Box::new(Finish {
            arn: arn.to_string(),
            status: status.to_string(),
            output: output.map(str::to_string),
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
            stopped,
            events: events.to_vec(),
            replace_events,
        })))
    }

    /// Executions of a machine (or of one of its versions or aliases: `qualified`),
    /// newest first, optionally of one status.
    pub fn executions(
        &self,
        machine_arn: &str,
        qualified: Option<&str>,
        status: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Sql<Vec<ExecutionRow>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE machine_arn = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR version_arn = ?3 OR alias_arn = ?3) ORDER BY seq DESC LIMIT ?4 OFFSET ?5"
            ))?;
            st.query_map(
                params![machine_arn, status, qualified, limit as i64, offset as i64],
                execution,
            )?
            .collect()
        })
    }

    /// Executions left RUNNING (by a crash), oldest first.
    pub fn running(&self) -> Sql<Vec<ExecutionRow>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE status = 'RUNNING' ORDER BY seq"
            ))?;
            st.query_map([], execution)?.collect()
        })
    }

    /// Parks a RUNNING execution until `wake_at`, with the events it reached.
    pub fn park_execution(
        &self,
        arn: &str,
        wake_at: f64,
        events: &[(u64, String)],
        replace_events: bool,
    ) -> Sql<()> {
        self.write(Write::Park(
            arn.to_string(),
            wake_at,
            events.to_vec(),
            replace_events,
        ))
        .map(|_| ())
    }

    /// When a parked execution is to wake (None: not parked).
    pub fn wake_at(&self, arn: &str) -> Sql<Option<f64>> {
        self.with(|c| {
            c.query_row(
                "SELECT wake_at FROM executions WHERE arn = ?1",
                [arn],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// The journal of an execution: key → entry (JSON text).
    pub fn journal(&self, arn: &str) -> Sql<Vec<(String, String)>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT key, entry FROM journal WHERE execution_arn = ?1")?;
            st.query_map([arn], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }

    /// One journal entry of an execution (JSON text).
    pub fn journal_entry(&self, arn: &str, key: &str) -> Sql<Option<String>> {
        self.with(|c| {
            c.query_row(
                "SELECT entry FROM journal WHERE execution_arn = ?1 AND key = ?2",
                [arn, key],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Redrives a closed execution (see [`Write::Redrive`]); false when it is not
    /// closed.
    pub fn redrive(&self, arn: &str, date: f64, event: (u64, String)) -> Sql<bool> {
        self.write(Write::Redrive {
            arn: arn.to_string(),
            date,
            event,
        })
    }

    /// Records how a redriven run's event ids map to stored ones.
    pub fn set_segments(&self, arn: &str, segments: &str) -> Sql<()> {
        self.write(Write::Segments(arn.to_string(), segments.to_string()))
            .map(|_| ())
    }

    /// Records (or replaces, for a replayed run) the Map Runs of an execution.
    pub fn put_map_runs(&self, runs: &[MapRunRow]) -> Sql<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for m in runs {
                let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM map_runs", [], |r| r.get(0))?;
                tx.execute(
                    &format!("INSERT OR REPLACE INTO map_runs ({MAP_RUN_COLUMNS}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
                    params![m.arn, m.execution_arn, m.status, m.started, m.stopped, m.total, m.succeeded, m.failed, m.results_written, m.max_concurrency, m.tolerated_failure_percentage, m.tolerated_failure_count, seq],
                )?;
            }
            tx.commit()
        })
    }

    pub fn map_run(&self, arn: &str) -> Sql<Option<MapRunRow>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE arn = ?1"),
                [arn],
                map_run,
            )
            .optional()
        })
    }

    pub fn map_runs(
        &self,
        execution_arn: &str,
        offset: usize,
        limit: usize,
    ) -> Sql<Vec<MapRunRow>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_arn = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3"
            ))?;
            st.query_map(params![execution_arn, limit as i64, offset as i64], map_run)?
                .collect()
        })
    }

    /// UpdateMapRun's settings.
    pub fn update_map_run(&self, m: &MapRunRow) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "UPDATE map_runs SET max_concurrency = ?2, tolerated_failure_percentage = ?3, tolerated_failure_count = ?4 WHERE arn = ?1",
                params![m.arn, m.max_concurrency, m.tolerated_failure_percentage, m.tolerated_failure_count],
            )?;
            Ok(())
        })
    }

    /// The highest event id stored for an execution.
    pub fn last_event_id(&self, arn: &str) -> Sql<u64> {
        self.with(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(id), 0) FROM events WHERE execution_arn = ?1",
                [arn],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }

    /// Records one journal entry (committed when this returns).
    pub fn put_journal(&self, arn: &str, key: &str, entry: &str) -> Sql<()> {
        self.write(Write::Journal(
            arn.to_string(),
            key.to_string(),
            entry.to_string(),
        ))
        .map(|_| ())
    }

    /// Events of an execution, by id (descending when `reverse`), `limit` from `offset`.
    pub fn events(
        &self,
        arn: &str,
        reverse: bool,
        offset: usize,
        limit: usize,
    ) -> Sql<Vec<String>> {
        self.with(|c| {
            let order = if reverse { "DESC" } else { "ASC" };
            let mut st = c.prepare(&format!(
                "SELECT body FROM events WHERE execution_arn = ?1 ORDER BY id {order} LIMIT ?2 OFFSET ?3"
            ))?;
            st.query_map(params![arn, limit as i64, offset as i64], |r| r.get(0))?
                .collect()
        })
    }
}
