//! The real `liveroom` binary as a child process (tests that measure the process itself).

pub use liveroom_client::server_process::ServerProcess as Proc;

/// Starts `liveroom --dev ARGS` (`LIVEROOM_BIN`, else the one cargo built) with `LIVEROOM_LOG
/// = log`; returns it and its ready line.
pub fn spawn_dev(args: &[&str], log: &str) -> (Proc, serde_json::Value) {
    let bin =
        std::env::var("LIVEROOM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_liveroom").into());
    let args: Vec<&str> = std::iter::once("--dev")
        .chain(args.iter().copied())
        .collect();
    let p = Proc::start(&bin, &args, log).expect("liveroom starts");
    let ready = p.ready.clone();
    (p, ready)
}
