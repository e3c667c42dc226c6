//! `asl serve`: the Step Functions API (AWS JSON 1.0, as the SDKs and the aws CLI speak
//! it) over HTTP, with state machines, executions and histories kept in SQLite.
//!
//! The layer sits beside the interpreter and uses it through [`crate::exec`] only:
//! - [`http`]: axum on tokio; one route, `POST /`, whose `X-Amz-Target` names the
//!   operation; bodies taken as bytes (axum's `Json` refuses `application/x-amz-json-1.0`).
//! - [`api`]: one function per operation; each checks its fields as AWS does, calls the
//!   store and the runner, and answers AWS's shape or one of AWS's error codes.
//! - [`store`]: SQLite (WAL) with numbered migrations.
//! - [`runner`]: Standard executions run in the background on their own threads, never
//!   on the reactor; their results and histories are written when they end.
//!
//! Not yet here (see the README): executions resumed from a journal after a crash
//! (a RUNNING execution found at start runs again from its start), parking of waiting
//! executions without a thread, versions, aliases, redrive, map runs, activities and
//! callbacks.

pub mod api;
pub mod arn;
pub mod auth;
pub mod console;
pub mod error;
pub mod http;
pub mod runner;
pub mod store;

use crate::exec::Executor;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// What `asl serve` is told at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `host:port`; port 0 picks a free one (printed at start).
    pub listen: String,
    /// SQLite file, or `:memory:`.
    pub db: String,
    pub region: String,
    pub account: String,
    /// A log line per request.
    pub log_requests: bool,
    /// Keys whose Signature V4 every request must carry; None accepts any request.
    pub auth: Option<auth::Keys>,
    /// The mock configuration whose test cases `stateMachineArn#TestCase` runs.
    pub mock_config: Option<crate::exec::mock::MockConfig>,
    /// Serve the console at `/` (off with `--no-console`).
    pub console: bool,
}

/// StopExecution's `error` and `cause`.
pub type StopReason = (Option<String>, Option<String>);

/// The server's shared state.
pub struct Service {
    pub store: store::Store,
    pub executor: Executor,
    pub place: arn::Place,
    /// Stop flags of the executions running in this process.
    pub running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// StopExecution's error and cause, for the run that ends aborted.
    pub stop_reasons: Mutex<HashMap<String, StopReason>>,
    /// When parked executions wake.
    pub timers: runner::Timers,
    /// Wakes the workers waiting in GetActivityTask.
    activity_posted: api::activities::Posted,
    /// Executions woken while running (see `runner::wake`).
    woken: Mutex<std::collections::HashSet<String>>,
    /// Loaded definitions by their text, so a start does not parse and check it again.
    loaded: Mutex<HashMap<String, Arc<crate::asl::model::StateMachine>>>,
    /// Held by the requests that read and then change machines, versions, aliases,
    /// tags or Map Runs (see `api::dispatch`).
    control: Mutex<()>,
    pub log_requests: bool,
    pub auth: Option<auth::Keys>,
    mock_config: Option<crate::exec::mock::MockConfig>,
}

impl Service {
    pub fn new(config: &Config, executor: Executor) -> Result<Arc<Service>, String> {
        let store = store::Store::open(&config.db)?;
        let mut executor = executor;
        Ok(Arc::new_cyclic(|me| {
            // The integrations this server answers itself: nested executions.
            api::nested::register(&mut executor, me.clone());
            api::callbacks::register(&mut executor, me.clone());
            api::activities::register(&mut executor, me.clone());
            Service {
                store,
                executor,
                place: arn::Place {
                    region: config.region.clone(),
                    account: config.account.clone(),
                },
                running: Mutex::new(HashMap::new()),
                stop_reasons: Mutex::new(HashMap::new()),
                timers: runner::Timers::default(),
                woken: Mutex::default(),
                activity_posted: Default::default(),
                loaded: Mutex::new(HashMap::new()),
                control: Mutex::new(()),
                log_requests: config.log_requests,
                auth: config.auth.clone(),
                mock_config: config.mock_config.clone(),
            }
        }))
    }
}

impl Service {
    /// The test case `case` of the machine `machine` in the mock configuration, checked
    /// against the definition `sm` (each mocked state a Task state of it).
    pub fn test_case(
        &self,
        machine: &str,
        case: &str,
        sm: &crate::asl::model::StateMachine,
    ) -> Result<Arc<crate::exec::mock::TestCase>, error::ApiError> {
        let invalid = |m: String| error::ApiError::new(error::Code::ValidationException, m);
        let config = self.mock_config.as_ref().ok_or_else(|| {
            invalid(format!(
                "The test case '{case}' can't run: the server has no mock configuration (start it with --mock-config FILE or SFN_MOCK_CONFIG)"
            ))
        })?;
        let found = config.test_case(machine, case).ok_or_else(|| {
            invalid(format!(
                "{}: the state machine '{machine}' has no test case '{case}'",
                config.path
            ))
        })?;
        let mut tasks = std::collections::HashSet::new();
        sm.for_each_task(&mut |state, _| {
            tasks.insert(state.to_string());
        });
        if let Some(s) = found.unknown_states(|s| tasks.contains(s)).first() {
            return Err(invalid(format!(
                "{}: /StateMachines/{machine}/TestCases/{case}/{s}: the definition has no Task state named '{s}'",
                config.path
            )));
        }
        Ok(found)
    }

    /// The state machine a definition describes, loaded once.
    pub fn load(&self, definition: &str) -> Result<Arc<crate::asl::model::StateMachine>, String> {
        /// Loaded definitions kept at most (the cache starts over past it).
        const MAX_LOADED: usize = 1024;
        if let Some(sm) = self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(definition)
        {
            return Ok(Arc::clone(sm));
        }
        let sm = Arc::new(crate::asl::model::load_text(definition).map_err(|e| e.to_string())?);
        let mut cache = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_LOADED {
            cache.clear();
        }
        cache.insert(definition.to_string(), Arc::clone(&sm));
        Ok(sm)
    }
}

/// Runs the server until the process is stopped (Ctrl-C ends it cleanly).
pub fn serve(config: Config, executor: Executor) -> Result<(), String> {
    let service = Service::new(&config, executor)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("asl-serve")
        .build()
        .map_err(|e| format!("could not start the runtime: {e}"))?;
    rt.block_on(async {
        let listener = http::bind(&config.listen).await?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        runner::Timers::start(&service);
        let recovered = {
            let s = Arc::clone(&service);
            tokio::task::spawn_blocking(move || runner::recover(&s))
                .await
                .map_err(|e| format!("recovery: {e}"))??
        };
        eprintln!(
            "asl serve: listening on http://{addr} (AWS JSON 1.0, X-Amz-Target: AWSStepFunctions.*){}; state in {}{}; {}",
            if config.console {
                format!("; console at http://{addr}/")
            } else {
                String::new()
            },
            if service.store.location == ":memory:" {
                "memory (kept nowhere)".to_string()
            } else {
                service.store.location.clone()
            },
            if recovered > 0 {
                format!("; {recovered} running executions resumed from their journals")
            } else {
                String::new()
            },
            match &service.auth {
                Some(k) => format!("Signature V4 required ({} keys)", k.0.len()),
                None => "any credentials are accepted (--auth to require Signature V4)".to_string(),
            },
        );
        http::serve(listener, service, config.console).await
    })
}

/// The time now, in seconds since the epoch with milliseconds, as the API's dates are.
pub fn now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}
