//! `asl serve`: the Step Functions API server.

use super::args::{LogLevel, ServeArgs};
use super::setup::build_executor;
use super::{EXIT_OK, EXIT_USAGE};
use asl_engine::service::{Config, serve as run_server};

pub fn serve(a: ServeArgs) -> i32 {
    let loopback = a
        .listen
        .parse::<std::net::SocketAddr>()
        .map(|s| s.ip().is_loopback())
        .unwrap_or_else(|_| a.listen.starts_with("localhost:"));
    let auth = match a
        .auth
        .as_deref()
        .map(asl_engine::service::auth::Keys::parse)
    {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            eprintln!("asl serve: {e}");
            return EXIT_USAGE;
        }
    };
    if !loopback && !a.allow_remote && auth.is_none() {
        eprintln!(
            "asl serve: --listen {}: not a loopback address; without --auth requests are not authenticated, so listening there needs --allow-remote",
            a.listen
        );
        return EXIT_USAGE;
    }
    if a.account.len() != 12 || !a.account.bytes().all(|b| b.is_ascii_digit()) {
        eprintln!(
            "asl serve: --account must be 12 digits, got '{}'",
            a.account
        );
        return EXIT_USAGE;
    }
    let mock_config = match &a.mock_config {
        Some(path) => match asl_engine::exec::mock::MockConfig::load(path) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("asl serve: {e}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let executor = match build_executor("serve", &a.exec, &a.region) {
        Ok(ex) => ex,
        Err(code) => return code,
    };
    let config = Config {
        listen: a.listen,
        db: a.db,
        region: a.region,
        account: a.account,
        log_requests: a.log == LogLevel::Debug,
        auth,
        mock_config,
        console: !a.no_console,
    };
    match run_server(config, executor) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("asl serve: {e}");
            EXIT_USAGE
        }
    }
}
