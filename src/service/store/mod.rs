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

mod activities;
mod control;
mod executions;
mod rows;
mod writer;

pub use activities::{Activity, ActivityTask};
pub use control::{Alias, Machine, Version};
pub use rows::{ExecutionRow, MapRunRow};

use rusqlite::Connection;
use std::sync::Mutex;
use writer::{MAX_BATCH, Pending, Write, apply, commit_batch};

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
    r#"
CREATE TABLE activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE activity_tasks (
    token TEXT PRIMARY KEY,
    activity_arn TEXT NOT NULL,
    input TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    task_key TEXT NOT NULL,
    created REAL NOT NULL,
    taken REAL,
    worker TEXT
);
CREATE INDEX activity_tasks_waiting ON activity_tasks (activity_arn, taken, created);
"#,
    r#"
ALTER TABLE executions ADD COLUMN test_case TEXT;
"#,
];

pub struct Store {
    /// Reads, and the writes of the control plane (machines, tags, versions).
    conn: Mutex<Connection>,
    /// The group-committing writer of executions, histories and journals; None for
    /// `:memory:` (one connection does all).
    writer: Option<crossbeam::channel::Sender<Pending>>,
    /// Where the state is kept, as said at start.
    pub location: String,
}

type Sql<T> = rusqlite::Result<T>;

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
}
