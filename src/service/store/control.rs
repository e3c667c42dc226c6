//! The control plane's rows: state machines, tags, versions and aliases.

use super::{Sql, Store};
use rusqlite::{OptionalExtension, params};

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
}
