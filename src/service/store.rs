//! The server's state in SQLite (rusqlite, bundled SQLite): state machines, tags,
//! executions and their history events. WAL with `synchronous=NORMAL`: a committed
//! write survives a crash of the process (`kill -9`); a power loss may take the last
//! transactions. `:memory:` keeps nothing.
//!
//! Reads and the control plane's writes go through one connection behind a mutex. The
//! writes of running executions (new executions, their ends, parkings and journal
//! entries) go to one writer thread that owns a second connection and commits them in
//! batches: one `BEGIN IMMEDIATE` transaction for every write waiting, each caller told
//! when its write is committed (group commit: many executions' transitions cost one
//! commit).

use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Mutex;

/// Numbered migrations; `PRAGMA user_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    type TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL,
    revision TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE tags (
    resource TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource, key)
);
CREATE TABLE executions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started REAL NOT NULL,
    stopped REAL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX executions_by_machine ON executions (machine_arn, seq);
CREATE TABLE events (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
);
"#,
    r#"
ALTER TABLE executions ADD COLUMN wake_at REAL;
CREATE TABLE journal (
    execution_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (execution_arn, key)
);
"#,
    r#"
CREATE TABLE versions (
    machine_arn TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT NOT NULL,
    revision TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (machine_arn, version)
);
CREATE TABLE aliases (
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    routing TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL,
    PRIMARY KEY (machine_arn, name)
);
ALTER TABLE state_machines ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN version_arn TEXT;
ALTER TABLE executions ADD COLUMN alias_arn TEXT;
"#,
    r#"
ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_date REAL;
ALTER TABLE executions ADD COLUMN segments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE executions ADD COLUMN pending_from INTEGER;
"#,
    r#"
CREATE TABLE map_runs (
    arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    stopped REAL,
    total INTEGER NOT NULL,
    succeeded INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    results_written INTEGER NOT NULL,
    max_concurrency INTEGER NOT NULL,
    tolerated_failure_percentage REAL NOT NULL,
    tolerated_failure_count INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, seq);
"#,
];

#[derive(Debug, Clone)]
pub struct Machine {
    pub arn: String,
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    pub kind: String,
    pub created: f64,
    pub updated: Option<f64>,
    pub revision: String,
}

#[derive(Debug, Clone)]
pub struct ExecutionRow {
    pub arn: String,
    pub machine_arn: String,
    pub name: String,
    pub status: String,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub started: f64,
    pub stopped: Option<f64>,
    /// The definition the execution runs (the machine's when it started).
    pub definition: String,
    pub role_arn: String,
    /// The version or alias the execution was started on, if any.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub redrive_count: i64,
    pub redrive_date: Option<f64>,
    /// How the ids of a replayed run's events map to stored ids after redrives:
    /// `[[first engine id, its stored id], …]` (JSON).
    pub segments: String,
    /// After a redrive: the stored id where the redriven run's new events begin.
    pub pending_from: Option<i64>,
}

/// A Distributed Map's run, as DescribeMapRun shows it.
#[derive(Debug, Clone)]
pub struct MapRunRow {
    pub arn: String,
    pub execution_arn: String,
    pub status: String,
    pub started: f64,
    pub stopped: Option<f64>,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub results_written: i64,
    pub max_concurrency: i64,
    pub tolerated_failure_percentage: f64,
    pub tolerated_failure_count: i64,
}

const MAP_RUN_COLUMNS: &str = "arn, execution_arn, status, started, stopped, total, succeeded, failed, results_written, max_concurrency, tolerated_failure_percentage, tolerated_failure_count";

fn map_run(r: &rusqlite::Row<'_>) -> Sql<MapRunRow> {
    Ok(MapRunRow {
        arn: r.get(0)?,
        execution_arn: r.get(1)?,
        status: r.get(2)?,
        started: r.get(3)?,
        stopped: r.get(4)?,
        total: r.get(5)?,
        succeeded: r.get(6)?,
        failed: r.get(7)?,
        results_written: r.get(8)?,
        max_concurrency: r.get(9)?,
        tolerated_failure_percentage: r.get(10)?,
        tolerated_failure_count: r.get(11)?,
    })
}

/// A published version of a state machine.
#[derive(Debug, Clone)]
pub struct Version {
    pub machine_arn: String,
    pub version: i64,
    pub definition: String,
    pub role_arn: String,
    pub description: String,
    pub revision: String,
    pub created: f64,
}

/// An alias: up to two versions with weights.
#[derive(Debug, Clone)]
pub struct Alias {
    pub machine_arn: String,
    pub name: String,
    pub description: String,
    /// `[{"stateMachineVersionArn", "weight"}]` as JSON text.
    pub routing: String,
    pub created: f64,
    pub updated: Option<f64>,
}

pub struct Store {
    /// Reads, and the writes of the control plane (machines, tags, versions).
    conn: Mutex<Connection>,
    /// The group-committing writer of executions, histories and journals; None for
    /// `:memory:` (one connection does all).
    writer: Option<crossbeam::channel::Sender<Pending>>,
    /// Where the state is kept, as said at start.
    pub location: String,
}

/// The writes of running executions, applied by the writer thread in batches: each
/// batch is one transaction (group commit), and each caller hears back once its write
/// is committed.
enum Write {
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
    Park(String, f64, Vec<(u64, String)>),
    Journal(String, String, String),
}

struct Finish {
    arn: String,
    status: String,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    stopped: f64,
    events: Vec<(u64, String)>,
}

struct Pending {
    write: Write,
    done: crossbeam::channel::Sender<Sql<bool>>,
}

/// Most writes in one transaction.
const MAX_BATCH: usize = 512;

fn apply(tx: &rusqlite::Transaction<'_>, w: &Write) -> Sql<bool> {
    match w {
        Write::Insert(e, events) => {
            let seq: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM executions",
                [],
                |r| r.get(0),
            )?;
            tx.prepare_cached(&format!("INSERT INTO executions ({EXECUTION_COLUMNS}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"))?
                .execute(params![e.arn, e.machine_arn, e.name, e.status, e.input, e.output, e.error, e.cause, e.started, e.stopped, e.definition, e.role_arn, e.version_arn, e.alias_arn, e.redrive_count, e.redrive_date, e.segments, e.pending_from, seq])?;
            insert_events(tx, &e.arn, events)?;
            Ok(true)
        }
        Write::Finish(f) => {
            let n = tx.prepare_cached(
                "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stopped = ?6 WHERE arn = ?1 AND status = 'RUNNING'",
            )?
            .execute(params![f.arn, f.status, f.output, f.error, f.cause, f.stopped])?;
            if n == 1 {
                insert_events(tx, &f.arn, &f.events)?;
            }
            Ok(n == 1)
        }
        Write::Park(arn, wake_at, events) => {
            tx.prepare_cached(
                "UPDATE executions SET wake_at = ?2 WHERE arn = ?1 AND status = 'RUNNING'",
            )?
            .execute(params![arn, wake_at])?;
            insert_events(tx, arn, events)?;
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
fn commit_batch(conn: &mut Connection, batch: Vec<Pending>) {
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

type Sql<T> = rusqlite::Result<T>;

fn machine(r: &rusqlite::Row<'_>) -> Sql<Machine> {
    Ok(Machine {
        arn: r.get(0)?,
        name: r.get(1)?,
        definition: r.get(2)?,
        role_arn: r.get(3)?,
        kind: r.get(4)?,
        created: r.get(5)?,
        updated: r.get(6)?,
        revision: r.get(7)?,
    })
}

const MACHINE_COLUMNS: &str = "arn, name, definition, role_arn, type, created, updated, revision";
const EXECUTION_COLUMNS: &str = "arn, machine_arn, name, status, input, output, error, cause, started, stopped, definition, role_arn, version_arn, alias_arn, redrive_count, redrive_date, segments, pending_from";

fn execution(r: &rusqlite::Row<'_>) -> Sql<ExecutionRow> {
    Ok(ExecutionRow {
        arn: r.get(0)?,
        machine_arn: r.get(1)?,
        name: r.get(2)?,
        status: r.get(3)?,
        input: r.get(4)?,
        output: r.get(5)?,
        error: r.get(6)?,
        cause: r.get(7)?,
        started: r.get(8)?,
        stopped: r.get(9)?,
        definition: r.get(10)?,
        role_arn: r.get(11)?,
        version_arn: r.get(12)?,
        alias_arn: r.get(13)?,
        redrive_count: r.get(14)?,
        redrive_date: r.get(15)?,
        segments: r.get(16)?,
        pending_from: r.get(17)?,
    })
}

fn version(r: &rusqlite::Row<'_>) -> Sql<Version> {
    Ok(Version {
        machine_arn: r.get(0)?,
        version: r.get(1)?,
        definition: r.get(2)?,
        role_arn: r.get(3)?,
        description: r.get(4)?,
        revision: r.get(5)?,
        created: r.get(6)?,
    })
}

fn alias(r: &rusqlite::Row<'_>) -> Sql<Alias> {
    Ok(Alias {
        machine_arn: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        routing: r.get(3)?,
        created: r.get(4)?,
        updated: r.get(5)?,
    })
}

const VERSION_COLUMNS: &str =
    "machine_arn, version, definition, role_arn, description, revision, created";
const ALIAS_COLUMNS: &str = "machine_arn, name, description, routing, created, updated";

impl Store {
    /// Opens (creating and migrating) the database at `path`, or an in-memory one.
    pub fn open(path: &str) -> Result<Store, String> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()
        } else {
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            Connection::open(path)
        }
        .map_err(|e| format!("{path}: {e}"))?;
        let setup = || -> Sql<()> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            let done: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
                conn.execute_batch(&format!(
                    "BEGIN; {m}; PRAGMA user_version = {}; COMMIT;",
                    i + 1
                ))?;
            }
            Ok(())
        };
        setup().map_err(|e| format!("{path}: {e}"))?;
        let writer = if path == ":memory:" {
            None
        } else {
            let mut wconn = Connection::open(path).map_err(|e| format!("{path}: {e}"))?;
            wconn
                .pragma_update(None, "synchronous", "NORMAL")
                .and_then(|_| wconn.busy_timeout(std::time::Duration::from_secs(5)))
                .map_err(|e| format!("{path}: {e}"))?;
            let (tx, rx) = crossbeam::channel::unbounded::<Pending>();
            std::thread::Builder::new()
                .name("asl-store-writer".into())
                .spawn(move || {
                    while let Ok(first) = rx.recv() {
                        let mut batch = vec![first];
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(p) => batch.push(p),
                                Err(_) => break,
                            }
                        }
                        commit_batch(&mut wconn, batch);
                    }
                })
                .map_err(|e| format!("the store's writer thread did not start: {e}"))?;
            Some(tx)
        };
        Ok(Store {
            conn: Mutex::new(conn),
            writer,
            location: path.to_string(),
        })
    }

    /// A write of a running execution: through the writer thread (group commit), or
    /// directly for `:memory:`. Returns once it is committed.
    fn write(&self, w: Write) -> Sql<bool> {
        match &self.writer {
            Some(tx) => {
                let (done, answer) = crossbeam::channel::bounded(1);
                if tx.send(Pending { write: w, done }).is_err() {
                    return Err(rusqlite::Error::InvalidQuery);
                }
                answer.recv().unwrap_or(Err(rusqlite::Error::InvalidQuery))
            }
            None => self.with(|c| {
                let tx = c.transaction()?;
                let r = apply(&tx, &w)?;
                tx.commit()?;
                Ok(r)
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Sql<T>) -> Sql<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c)
    }

    // ---- state machines ----

    pub fn machine_by_name(&self, name: &str) -> Sql<Option<Machine>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE name = ?1"),
                [name],
                machine,
            )
            .optional()
        })
    }

    pub fn insert_machine(&self, m: &Machine) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO state_machines (arn, name, definition, role_arn, type, created, updated, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![m.arn, m.name, m.definition, m.role_arn, m.kind, m.created, m.updated, m.revision],
            )?;
            Ok(())
        })
    }

    pub fn update_machine(&self, m: &Machine) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "UPDATE state_machines SET definition = ?2, role_arn = ?3, updated = ?4, revision = ?5 WHERE arn = ?1",
                params![m.arn, m.definition, m.role_arn, m.updated, m.revision],
            )?;
            Ok(())
        })
    }

    pub fn delete_machine(&self, arn: &str) -> Sql<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM state_machines WHERE arn = ?1", [arn])?;
            tx.execute(
                "DELETE FROM tags WHERE resource = ?1 OR resource LIKE ?1 || ':%'",
                [arn],
            )?;
            tx.execute("DELETE FROM versions WHERE machine_arn = ?1", [arn])?;
            tx.execute("DELETE FROM aliases WHERE machine_arn = ?1", [arn])?;
            tx.commit()
        })
    }

    /// Machines by name, `limit` from `offset`.
    pub fn machines(&self, offset: usize, limit: usize) -> Sql<Vec<Machine>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {MACHINE_COLUMNS} FROM state_machines ORDER BY name LIMIT ?1 OFFSET ?2"
            ))?;
            st.query_map(params![limit as i64, offset as i64], machine)?
                .collect()
        })
    }

    // ---- tags ----

    pub fn set_tags(&self, resource: &str, tags: &[(String, String)]) -> Sql<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for (k, v) in tags {
                tx.execute(
                    "INSERT INTO tags (resource, key, value) VALUES (?1, ?2, ?3) ON CONFLICT (resource, key) DO UPDATE SET value = excluded.value",
                    params![resource, k, v],
                )?;
            }
            tx.commit()
        })
    }

    pub fn remove_tags(&self, resource: &str, keys: &[String]) -> Sql<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for k in keys {
                tx.execute(
                    "DELETE FROM tags WHERE resource = ?1 AND key = ?2",
                    params![resource, k],
                )?;
            }
            tx.commit()
        })
    }

    pub fn tags(&self, resource: &str) -> Sql<Vec<(String, String)>> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT key, value FROM tags WHERE resource = ?1 ORDER BY key")?;
            st.query_map([resource], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }

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
    ) -> Sql<bool> {
        self.write(Write::Finish(Box::new(Finish {
            arn: arn.to_string(),
            status: status.to_string(),
            output: output.map(str::to_string),
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
            stopped,
            events: events.to_vec(),
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

    // ---- versions and aliases ----

    pub fn versions(&self, machine_arn: &str, offset: usize, limit: usize) -> Sql<Vec<Version>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE machine_arn = ?1 ORDER BY version DESC LIMIT ?2 OFFSET ?3"
            ))?;
            st.query_map(params![machine_arn, limit as i64, offset as i64], version)?
                .collect()
        })
    }

    pub fn version(&self, machine_arn: &str, number: i64) -> Sql<Option<Version>> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM versions WHERE machine_arn = ?1 AND version = ?2"
                ),
                params![machine_arn, number],
                version,
            )
            .optional()
        })
    }

    /// Publishes the machine's current definition as its next version number; numbers
    /// are never reused, even after a version is deleted (AWS's rule).
    pub fn publish(&self, m: &Machine, description: &str, created: f64) -> Sql<Version> {
        self.with(|c| {
            let tx = c.transaction()?;
            let next: i64 = tx.query_row(
                "UPDATE state_machines SET last_version = last_version + 1 WHERE arn = ?1 RETURNING last_version",
                [&m.arn],
                |r| r.get(0),
            )?;
            let v = Version {
                machine_arn: m.arn.clone(),
                version: next,
                definition: m.definition.clone(),
                role_arn: m.role_arn.clone(),
                description: description.to_string(),
                revision: m.revision.clone(),
                created,
            };
            tx.execute(
                &format!("INSERT INTO versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![v.machine_arn, v.version, v.definition, v.role_arn, v.description, v.revision, v.created],
            )?;
            tx.commit()?;
            Ok(v)
        })
    }

    pub fn delete_version(&self, machine_arn: &str, number: i64) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM versions WHERE machine_arn = ?1 AND version = ?2",
                params![machine_arn, number],
            )?;
            Ok(())
        })
    }

    pub fn aliases(&self, machine_arn: &str, offset: usize, limit: usize) -> Sql<Vec<Alias>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE machine_arn = ?1 ORDER BY name LIMIT ?2 OFFSET ?3"
            ))?;
            st.query_map(params![machine_arn, limit as i64, offset as i64], alias)?
                .collect()
        })
    }

    pub fn alias(&self, machine_arn: &str, name: &str) -> Sql<Option<Alias>> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases WHERE machine_arn = ?1 AND name = ?2"
                ),
                params![machine_arn, name],
                alias,
            )
            .optional()
        })
    }

    /// Inserts or replaces an alias.
    pub fn put_alias(&self, a: &Alias) -> Sql<()> {
        self.with(|c| {
            c.execute(
                &format!("INSERT OR REPLACE INTO aliases ({ALIAS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![a.machine_arn, a.name, a.description, a.routing, a.created, a.updated],
            )?;
            Ok(())
        })
    }

    pub fn delete_alias(&self, machine_arn: &str, name: &str) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM aliases WHERE machine_arn = ?1 AND name = ?2",
                params![machine_arn, name],
            )?;
            Ok(())
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
    pub fn park_execution(&self, arn: &str, wake_at: f64, events: &[(u64, String)]) -> Sql<()> {
        self.write(Write::Park(arn.to_string(), wake_at, events.to_vec()))
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

fn insert_events(tx: &rusqlite::Transaction<'_>, arn: &str, events: &[(u64, String)]) -> Sql<()> {
    // A replayed execution reports its earlier events again: the first record stands.
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO events (execution_arn, id, body) VALUES (?1, ?2, ?3)",
    )?;
    for (id, body) in events {
        st.execute(params![arn, *id as i64, body])?;
    }
    Ok(())
}
