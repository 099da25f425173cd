//! What the load generators (`examples/bench_*.rs`) share: flags, a process's CPU time and
//! memory from `/proc`, and load worker processes (the example started again with its own
//! flags, talking to the coordinator one line at a time over stdin/stdout).

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The value after the first of `names` on the command line, or `default`.
pub fn arg(names: &[&str], default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    names
        .iter()
        .find_map(|name| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1).cloned())
        })
        .unwrap_or_else(|| default.to_string())
}

/// Microseconds since the Unix epoch (the clock every process of one machine shares).
pub fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// utime + stime of a `/proc/…/stat` line, in seconds (fields 14 and 15, which are 11 and 12
/// after the command name).
fn stat_cpu_secs(stat: &str) -> f64 {
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU time of a process (all its threads), in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    stat_cpu_secs(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// A process's threads: (thread id, name, CPU seconds).
pub fn thread_cpu(pid: u32) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for e in dir.flatten() {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let name = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map(|(n, _)| n.to_string())
            .unwrap_or_default();
        let tid = e.file_name().to_string_lossy().into_owned();
        out.push((tid, name, stat_cpu_secs(&stat)));
    }
    out
}

/// VmRSS of a process, in bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// The RSS once it stops moving (two equal readings 500 ms apart, at most 5 s).
pub async fn settled_rss(pid: u32) -> u64 {
    let mut last = rss_bytes(pid);
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = rss_bytes(pid);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

/// A load worker: this program started again with `args`; killed when dropped.
pub struct LoadWorker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl LoadWorker {
    /// Starts `current_exe ARGS` with piped stdin and stdout (stderr inherited).
    pub fn spawn(args: &[String]) -> io::Result<LoadWorker> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        Ok(LoadWorker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// The next line the worker prints (without its line end); an error once it has ended.
    pub fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Err(io::Error::other("a load worker ended"));
        }
        Ok(line.trim_end().to_string())
    }

    /// Reads lines until one starts with `prefix`; returns the rest of it.
    pub fn expect(&mut self, prefix: &str) -> io::Result<String> {
        loop {
            let line = self.line().map_err(|_| {
                io::Error::other(format!("a load worker ended while {prefix:?} was awaited"))
            })?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.trim_start().to_string());
            }
        }
    }

    /// Sends the worker one line.
    pub fn tell(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()
    }
}

impl Drop for LoadWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In a worker: the coordinator's lines, read on a thread of their own (stdin reads block).
pub fn coordinator_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for l in io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    rx
}

/// In a worker: prints one line to the coordinator, flushed at once.
pub fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A camera-shaped RTP load, the benchmarks' publisher: `fps` H.264 frames a second of
/// `video_packets` packets of `payload_len` bytes (the key frame's first packet an IDR NAL, the
/// rest non-IDR slices, the frame's last packet marked), a key frame every `gop_frames`, and
/// when `audio` an Opus packet every 20 ms.
#[derive(Debug, Clone, Copy)]
pub struct CameraLoad {
    /// Video frames a second.
    pub fps: u64,
    /// RTP packets per video frame.
    pub video_packets: u64,
    /// Bytes per video packet.
    pub payload_len: usize,
    /// Frames from one key frame to the next.
    pub gop_frames: u64,
    /// Whether Opus packets go along.
    pub audio: bool,
}

/// Bytes per Opus packet of [`CameraLoad`].
pub const OPUS_PAYLOAD: usize = 120;

impl Default for CameraLoad {
    /// ≈ 1.5 Mbit/s: 30 frames of 5 × 1 200 bytes, a key frame every 2 s, and Opus.
    fn default() -> Self {
        CameraLoad {
            fps: 30,
            video_packets: 5,
            payload_len: 1200,
            gop_frames: 60,
            audio: true,
        }
    }
}

impl CameraLoad {
    /// Sends the load to every publisher for `seconds`, paced in real time; answers the
    /// packets sent per publisher.
    pub async fn send(
        &self,
        publishers: &[&crate::media::MediaPeer],
        seconds: u64,
    ) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
        use crate::media::PeerCmd;
        use str0m::media::MediaKind;
        let frames = self.fps * seconds;
        let frame_interval = Duration::from_secs_f64(1.0 / self.fps as f64);
        let audio_interval = Duration::from_millis(20);
        let start = tokio::time::Instant::now();
        let end = start + frame_interval * frames as u32;
        let (mut vseq, mut aseq, mut sent) = (1000u64, 1000u64, 0u64);
        let (mut next_frame, mut next_audio) = (start, start);
        let (mut frame, mut audio_i) = (0u64, 0u64);
        let audio = self.audio;
        while frame < frames || (audio && next_audio < end) {
            if frame < frames && (next_frame <= next_audio || !audio || next_audio >= end) {
                tokio::time::sleep_until(next_frame).await;
                let key = frame % self.gop_frames == 0;
                for k in 0..self.video_packets {
                    let nal = if key && k == 0 { 0x65 } else { 0x41 };
                    let mut payload = vec![nal; self.payload_len];
                    payload[1] = 0x88;
                    for p in publishers {
                        p.cmd
                            .send(PeerCmd::Rtp {
                                kind: MediaKind::Video,
                                seq: vseq,
                                time: (frame * 90_000 / self.fps) as u32,
                                marker: k + 1 == self.video_packets,
                                payload: payload.clone(),
                            })
                            .await?;
                    }
                    vseq += 1;
                    sent += 1;
                }
                frame += 1;
                next_frame += frame_interval;
            } else {
                tokio::time::sleep_until(next_audio).await;
                for p in publishers {
                    p.cmd
                        .send(PeerCmd::Rtp {
                            kind: MediaKind::Audio,
                            seq: aseq,
                            time: (audio_i * 960) as u32,
                            marker: false,
                            payload: vec![0xfc; OPUS_PAYLOAD],
                        })
                        .await?;
                }
                aseq += 1;
                audio_i += 1;
                sent += 1;
                next_audio += audio_interval;
            }
        }
        Ok(sent)
    }
}

/// Counts the RTP packets a player receives, in a task of its own that holds the peer until it
/// ends or the task is aborted.
pub fn count_rtp(
    mut peer: crate::media::MediaPeer,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicU64>,
    tokio::task::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let n = std::sync::Arc::new(AtomicU64::new(0));
    let counter = n.clone();
    let task = tokio::spawn(async move {
        while let Some(ev) = peer.out.recv().await {
            if matches!(ev, crate::media::PeerOut::Rtp { .. }) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    (n, task)
}
