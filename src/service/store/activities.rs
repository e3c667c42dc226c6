//! Activities and their tasks: a task waits in `activity_tasks` until one worker takes
//! it (GetActivityTask), and leaves when it is answered or its execution's wait ends.

use super::{Sql, Store};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone)]
pub struct Activity {
    pub arn: String,
    pub name: String,
    pub created: f64,
}

/// A task handed to a worker.
#[derive(Debug, Clone)]
pub struct ActivityTask {
    pub token: String,
    pub input: String,
    pub execution_arn: String,
    pub task_key: String,
}

fn activity(r: &rusqlite::Row<'_>) -> Sql<Activity> {
    Ok(Activity {
        arn: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
    })
}

impl Store {
    /// Records an activity; false when one of that name exists.
    pub fn insert_activity(&self, a: &Activity) -> Sql<bool> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO activities (arn, name, created) VALUES (?1, ?2, ?3)",
                params![a.arn, a.name, a.created],
            )
            .map(|n| n == 1)
        })
    }

    pub fn activity(&self, arn: &str) -> Sql<Option<Activity>> {
        self.with(|c| {
            c.query_row(
                "SELECT arn, name, created FROM activities WHERE arn = ?1",
                [arn],
                activity,
            )
            .optional()
        })
    }

    pub fn activities(&self, offset: usize, limit: usize) -> Sql<Vec<Activity>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT arn, name, created FROM activities ORDER BY created, name LIMIT ?1 OFFSET ?2",
            )?;
            st.query_map(params![limit as i64, offset as i64], activity)?
                .collect()
        })
    }

    /// Deletes an activity and the tasks that no worker took.
    pub fn delete_activity(&self, arn: &str) -> Sql<()> {
        self.with(|c| {
            c.execute("DELETE FROM activities WHERE arn = ?1", [arn])?;
            c.execute(
                "DELETE FROM activity_tasks WHERE activity_arn = ?1 AND taken IS NULL",
                [arn],
            )?;
            Ok(())
        })
    }

    /// Queues a task for the workers of `activity_arn` (again after a replay: once).
    pub fn add_activity_task(&self, activity_arn: &str, t: &ActivityTask, created: f64) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO activity_tasks (token, activity_arn, input, execution_arn, task_key, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.token, activity_arn, t.input, t.execution_arn, t.task_key, created],
            )?;
            Ok(())
        })
    }

    /// Hands the oldest task that no worker took to `worker`: each task to one worker.
    pub fn take_activity_task(
        &self,
        activity_arn: &str,
        worker: &str,
        at: f64,
    ) -> Sql<Option<ActivityTask>> {
        // One statement: atomic, and it waits for the writer like any other write.
        self.with(|c| {
            c.query_row(
                "UPDATE activity_tasks SET taken = ?2, worker = ?3 WHERE token = (SELECT token FROM activity_tasks WHERE activity_arn = ?1 AND taken IS NULL ORDER BY created, rowid LIMIT 1) RETURNING token, input, execution_arn, task_key",
                params![activity_arn, at, worker],
                |r| {
                    Ok(ActivityTask {
                        token: r.get(0)?,
                        input: r.get(1)?,
                        execution_arn: r.get(2)?,
                        task_key: r.get(3)?,
                    })
                },
            )
            .optional()
        })
    }

    /// A task that was answered, or whose wait ended.
    pub fn remove_activity_task(&self, token: &str) -> Sql<()> {
        self.with(|c| {
            c.execute("DELETE FROM activity_tasks WHERE token = ?1", [token])?;
            Ok(())
        })
    }
}
