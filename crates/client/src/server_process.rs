//! The real `liveroom` binary as a child process, for the benchmarks and tests that measure the
//! process itself (its CPU, its memory): started, its ready line read, killed when dropped.

use std::io::{self, BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `liveroom` process; dropping it kills it.
pub struct ServerProcess {
    /// The process.
    pub child: Child,
    /// Its ready line (`{"http": "127.0.0.1:PORT", "rtc": …}`), parsed.
    pub ready: serde_json::Value,
}

impl ServerProcess {
    /// Starts `binary ARGS` with `LIVEROOM_LOG = log` (stderr inherited) and waits for its ready
    /// line on stdout.
    pub fn start(binary: &str, args: &[&str], log: &str) -> io::Result<ServerProcess> {
        Self::start_with_env(binary, args, log, &[])
    }

    /// [`ServerProcess::start`] with these environment variables set too (the benchmark's own
    /// settings, e.g. `LIVEROOM_ROOM__MAX_USERS_PER_ROOM`).
    pub fn start_with_env(
        binary: &str,
        args: &[&str],
        log: &str,
        env: &[(&str, &str)],
    ) -> io::Result<ServerProcess> {
        let mut child = Command::new(binary)
            .args(args)
            .env("LIVEROOM_LOG", log)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let ready = serde_json::from_str(&line).map_err(|e| {
            let _ = child.kill();
            io::Error::other(format!("no ready line ({e}): {line:?}"))
        })?;
        Ok(ServerProcess { child, ready })
    }

    /// The HTTP address of the ready line (`host:port`).
    pub fn http(&self) -> io::Result<String> {
        self.ready["http"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| io::Error::other("no http in the ready line"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
