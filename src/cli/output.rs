//! Where commands write: stdout for data, stderr for people, with broken pipes
//! treated as "the reader has seen enough" rather than as errors.

use std::io::{self, Write};

/// The two output streams of a command, and whether stderr may be coloured.
pub(crate) struct Console<'a> {
    /// Data: JSON, short diagnostics, explanations.
    pub out: &'a mut dyn Write,
    /// People: human diagnostics, summaries, errors.
    pub err: &'a mut dyn Write,
    /// Whether ANSI colour may be written to `err`.
    pub color: bool,
}

impl std::fmt::Debug for Console<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").field("color", &self.color).finish_non_exhaustive()
    }
}

impl Console<'_> {
    /// `text` in bold red when colour is on (for `error:` prefixes).
    pub fn red(&self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// `text` in bold when colour is on.
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color { format!("\u{1b}[{sgr}m{text}\u{1b}[0m") } else { text.to_owned() }
    }
}

/// A writer that, once its reader has gone away (`EPIPE`), silently drops the rest of
/// the output: `komo check --format short | head -1` must not fail or panic. Other
/// errors pass through.
#[derive(Debug)]
pub(crate) struct PipeSafe<W> {
    inner: W,
    closed: bool,
}

impl<W> PipeSafe<W> {
    pub fn new(inner: W) -> PipeSafe<W> {
        PipeSafe { inner, closed: false }
    }
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then reports a broken pipe (or another error).
    struct Closing {
        room: usize,
        kind: io::ErrorKind,
        written: Vec<u8>,
    }

    impl Write for Closing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.written.len() + buf.len() > self.room {
                return Err(io::Error::from(self.kind));
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_swallows_the_rest() {
        let inner = Closing { room: 4, kind: io::ErrorKind::BrokenPipe, written: Vec::new() };
        let mut out = PipeSafe::new(inner);
        assert!(out.write_all(b"abc").is_ok());
        assert!(out.write_all(b"def").is_ok());
        assert!(out.write_all(b"ghi").is_ok());
        assert!(out.flush().is_ok());
        assert_eq!(out.inner.written, b"abc");
    }

    #[test]
    fn other_errors_pass_through() {
        let inner = Closing { room: 0, kind: io::ErrorKind::StorageFull, written: Vec::new() };
        let mut out = PipeSafe::new(inner);
        assert!(out.write_all(b"x").is_err());
    }

    #[test]
    fn paints_only_with_colour() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let plain = Console { out: &mut out, err: &mut err, color: false };
        assert_eq!(plain.red("error"), "error");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let colored = Console { out: &mut out, err: &mut err, color: true };
        assert_eq!(colored.red("error"), "\u{1b}[1;31merror\u{1b}[0m");
    }
}
