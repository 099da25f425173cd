//! The real `liveroom` binary as a child process (tests that measure the process itself).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `liveroom` process, killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `liveroom --dev ARGS` (`LIVEROOM_BIN`, else the one cargo built) with `LIVEROOM_LOG
/// = log`; returns it and its ready line.
pub fn spawn_dev(args: &[&str], log: &str) -> (Proc, serde_json::Value) {
    let bin =
        std::env::var("LIVEROOM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_liveroom").into());
    let mut child = Command::new(bin)
        .arg("--dev")
        .args(args)
        .env("LIVEROOM_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("liveroom starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready = serde_json::from_str(&line).expect("ready line");
    (Proc(child), ready)
}
