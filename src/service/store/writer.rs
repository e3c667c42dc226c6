//! The group-committing writer: the writes of running executions, applied by one
//! thread in batches of one transaction each.

use super::Sql;
use super::rows::{EXECUTION_COLUMNS, ExecutionRow};
use rusqlite::{Connection, params};

/// The writes of running executions, applied by the writer thread in batches: each
/// batch is one transaction (group commit), and each caller hears back once its write
/// is committed.
pub(super) enum Write {
    Insert(Box<ExecutionRow>, Vec<(u64, String)>),
    /// A closed execution runs again: RUNNING, one more redrive, its failed journal
    /// entries (and retry intervals) dropped, the `ExecutionRedriven` event added.
    Redrive {
        arn: String,
        date: f64,
        event: (u64, String),
    },
    /// How the replayed run's event ids map to stored ones.
    Segments(String, String),
    Finish(Box<Finish>),
    /// Parked until the time, with the run's events (replacing the stored ones when
    /// the flag says so, see [`Finish::replace_events`]).
    Park(String, f64, Vec<(u64, String)>, bool),
    Journal(String, String, String),
}

pub(super) struct Finish {
    pub(super) arn: String,
    pub(super) status: String,
    pub(super) output: Option<String>,
    pub(super) error: Option<String>,
    pub(super) cause: Option<String>,
    pub(super) stopped: f64,
    pub(super) events: Vec<(u64, String)>,
    /// The events are the run's whole history: they replace the stored ones (a replay
    /// re-emits every event; concurrent scopes may order them differently).
    pub(super) replace_events: bool,
}

pub(super) struct Pending {
    pub(super) write: Write,
    pub(super) done: crossbeam::channel::Sender<Sql<bool>>,
}

/// Most writes in one transaction.
pub(super) const MAX_BATCH: usize = 512;

pub(super) fn apply(tx: &rusqlite::Transaction<'_>, w: &Write) -> Sql<bool> {
    match w {
        Write::Insert(e, events) => {
            let seq: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM executions",
                [],
                |r| r.get(0),
            )?;
            tx.prepare_cached(&format!("INSERT INTO executions ({EXECUTION_COLUMNS}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"))?
                .execute(params![e.arn, e.machine_arn, e.name, e.status, e.input, e.output, e.error, e.cause, e.started, e.stopped, e.definition, e.role_arn, e.version_arn, e.alias_arn, e.redrive_count, e.redrive_date, e.segments, e.pending_from, e.test_case, seq])?;
            insert_events(tx, &e.arn, events)?;
            Ok(true)
        }
        Write::Finish(f) => {
            let n = tx.prepare_cached(
                "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stopped = ?6 WHERE arn = ?1 AND status = 'RUNNING'",
            )?
            .execute(params![f.arn, f.status, f.output, f.error, f.cause, f.stopped])?;
            if n == 1 {
                if f.replace_events {
                    delete_events(tx, &f.arn)?;
                }
                insert_events(tx, &f.arn, &f.events)?;
            }
            Ok(n == 1)
        }
        Write::Park(arn, wake_at, events, replace) => {
            let n = tx
                .prepare_cached(
                    "UPDATE executions SET wake_at = ?2 WHERE arn = ?1 AND status = 'RUNNING'",
                )?
                .execute(params![arn, wake_at])?;
            if n == 1 {
                if *replace {
                    delete_events(tx, arn)?;
                }
                insert_events(tx, arn, events)?;
            }
            Ok(true)
        }
        Write::Redrive { arn, date, event } => {
            let n = tx
                .prepare_cached(
                    "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stopped = NULL, wake_at = NULL, redrive_count = redrive_count + 1, redrive_date = ?2, pending_from = ?3 WHERE arn = ?1 AND status IN ('FAILED', 'TIMED_OUT', 'ABORTED')",
                )?
                .execute(params![arn, date, event.0 as i64 + 1])?;
            if n == 1 {
                tx.prepare_cached(
                    "DELETE FROM journal WHERE execution_arn = ?1 AND ((json_type(entry, '$.ok') IS NULL AND json_type(entry, '$.until') IS NULL) OR key LIKE '%/retry%')",
                )?
                .execute([arn])?;
                insert_events(tx, arn, std::slice::from_ref(event))?;
            }
            Ok(n == 1)
        }
        Write::Segments(arn, segments) => {
            tx.prepare_cached(
                "UPDATE executions SET segments = ?2, pending_from = NULL WHERE arn = ?1",
            )?
            .execute(params![arn, segments])?;
            Ok(true)
        }
        Write::Journal(arn, key, entry) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO journal (execution_arn, key, entry) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![arn, key, entry])?;
            Ok(true)
        }
    }
}

/// Applies `batch` in one transaction; if that fails, each write on its own (so one
/// bad write fails alone).
pub(super) fn commit_batch(conn: &mut Connection, batch: Vec<Pending>) {
    let together = (|| -> Sql<Vec<bool>> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        for p in &batch {
            out.push(apply(&tx, &p.write)?);
        }
        tx.commit()?;
        Ok(out)
    })();
    match together {
        Ok(results) => {
            for (p, r) in batch.into_iter().zip(results) {
                let _ = p.done.send(Ok(r));
            }
        }
        Err(_) => {
            for p in batch {
                let r = (|| {
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let r = apply(&tx, &p.write)?;
                    tx.commit()?;
                    Ok(r)
                })();
                let _ = p.done.send(r);
            }
        }
    }
}

fn delete_events(tx: &rusqlite::Transaction<'_>, arn: &str) -> Sql<()> {
    tx.prepare_cached("DELETE FROM events WHERE execution_arn = ?1")?
        .execute([arn])?;
    Ok(())
}

pub(super) fn insert_events(
    tx: &rusqlite::Transaction<'_>,
    arn: &str,
    events: &[(u64, String)],
) -> Sql<()> {
    // A replayed execution reports its earlier events again: the first record stands.
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO events (execution_arn, id, body) VALUES (?1, ?2, ?3)",
    )?;
    for (id, body) in events {
        st.execute(params![arn, *id as i64, body])?;
    }
    Ok(())
}
