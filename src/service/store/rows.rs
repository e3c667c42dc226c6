//! The rows of the `executions` and `map_runs` tables as the API reads them, with
//! their columns in the order the readers expect.

use super::Sql;

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
    /// The mock configuration's test case it runs (`stateMachineArn#TestCase`).
    pub test_case: Option<String>,
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

pub(super) const MAP_RUN_COLUMNS: &str = "arn, execution_arn, status, started, stopped, total, succeeded, failed, results_written, max_concurrency, tolerated_failure_percentage, tolerated_failure_count";

pub(super) fn map_run(r: &rusqlite::Row<'_>) -> Sql<MapRunRow> {
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

pub(super) const EXECUTION_COLUMNS: &str = "arn, machine_arn, name, status, input, output, error, cause, started, stopped, definition, role_arn, version_arn, alias_arn, redrive_count, redrive_date, segments, pending_from, test_case";

pub(super) fn execution(r: &rusqlite::Row<'_>) -> Sql<ExecutionRow> {
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
        test_case: r.get(18)?,
    })
}
