//! The server's own log output. Field values come from the network (ids, commands, URLs), so
//! the text format writes every value with control characters escaped: a newline in an
//! `id_name` can never start a forged line (the JSON format escapes by itself).

use std::fmt::Write as _;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::Writer;

/// Sets up the global subscriber: `level` is a tracing filter (`LIVEROOM_LOG` wins),
/// `format` "text" or "json".
pub fn init(level: &str, format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIVEROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.fmt_fields(escaped_fields()).init();
    }
}

/// The text format's fields: `name=value`, space-separated, values escaped.
pub fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> {
    tracing_subscriber::fmt::format::debug_fn(
        |w: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
            let raw = format!("{value:?}");
            let text = escape_controls(&raw);
            if field.name() == "message" {
                w.write_str(&text)
            } else {
                write!(w, "{}={text}", field.name())
            }
        },
    )
    .delimited(" ")
}

/// `\n`, `\r`, `\t` as themselves escaped, other controls and bidi formatting as `\u{…}`.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(liveroom_proto::limits::is_forbidden_in_id) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if liveroom_proto::limits::is_forbidden_in_id(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_newline_in_a_field_cannot_forge_a_log_line() {
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .fmt_fields(escaped_fields())
            .finish();
        let evil = "mallory\n2026-12-06T00:00:00Z  INFO ADMIN login ok user=root\u{1b}[2J\u{202e}";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(user = %evil, peer = "127.0.0.1:1", "login token refused");
            tracing::info!("message {evil}");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(
            out.contains(r"user=mallory\n2026-12-06T00:00:00Z  INFO ADMIN login ok"),
            "{out}"
        );
        assert!(out.contains(r"\u{1b}[2J\u{202e}"), "{out}");
        assert!(out.contains("login token refused"), "{out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out}"
        );
    }

    #[test]
    fn plain_text_is_left_alone() {
        assert!(matches!(
            escape_controls("主播 alice"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(escape_controls("a\tb\0"), r"a\tb\u{0}");
    }
}
