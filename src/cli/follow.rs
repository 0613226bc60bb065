//! `komo runs follow ID`: a run's timeline until the run ends, like `gh run watch`.
//!
//! In: a run's id, a server and a key, how often to read the run (`--every`, 1 s). Out:
//! the timeline `komo runs show` prints, on stdout, each time it changes. On a terminal
//! it is redrawn in place (the screen cleared first, as `watch` does); otherwise (a
//! pipe, a file, CI) each changed timeline is printed whole after a blank line, so a log
//! keeps every state the run went through and ends with the final one. Exit 0 when the
//! run succeeded; 1 when it failed or was cancelled (`error: the run failed` on stderr),
//! or when the server refused (no such run); 2 no key, no server, a refused key.

use std::io::{self, IsTerminal};
use std::time::Duration;

use super::client::Client;
use super::runs::{FollowArgs, record};
use super::{Console, Exit, timeline};
use crate::ir::RunStatus;

/// Clears the screen and puts the cursor at its top left.
const CLEAR: &str = "\u{1b}[H\u{1b}[2J";

/// How a timeline is shown again when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redraw {
    /// On a terminal: clear the screen, draw it.
    InPlace,
    /// Elsewhere: print it whole after the last one, a blank line between.
    Append,
}

pub(crate) fn follow(client: &Client, console: &mut Console<'_>, args: &FollowArgs) -> io::Result<Exit> {
    let every = match Duration::try_from_secs_f64(args.every) {
        Ok(every) if !every.is_zero() => every,
        _ => {
            let message = format!("`--every {}` is not a number of seconds above 0", args.every);
            writeln!(console.err, "{} {message}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let redraw = if io::stdout().is_terminal() { Redraw::InPlace } else { Redraw::Append };
    let mut shown: Option<String> = None;
    loop {
        let record = match record(client, &args.id) {
            Ok(record) => record,
            Err(failure) => return failure.report(console),
        };
        let text = timeline::render(&record, None, "");
        if shown.as_deref() != Some(text.as_str()) {
            write!(console.out, "{}", frame(redraw, shown.is_some(), &text))?;
            console.out.flush()?;
            shown = Some(text);
        }
        match record.status {
            RunStatus::Succeeded => return Ok(Exit::Success),
            RunStatus::Failed | RunStatus::Cancelled => {
                writeln!(console.err, "{} the run {}", console.red("error:"), record.status.as_str())?;
                return Ok(Exit::Failure);
            }
            RunStatus::Pending | RunStatus::Running | RunStatus::Waiting => std::thread::sleep(every),
        }
    }
}

/// What to write to show `text`, `again` when a timeline was shown before.
fn frame(redraw: Redraw, again: bool, text: &str) -> String {
    match (redraw, again) {
        (Redraw::InPlace, _) => format!("{CLEAR}{text}"),
        (Redraw::Append, false) => text.to_owned(),
        (Redraw::Append, true) => format!("\n{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_is_redrawn_and_a_log_appended_to() {
        assert_eq!(frame(Redraw::InPlace, false, "a\n"), "\u{1b}[H\u{1b}[2Ja\n");
        assert_eq!(frame(Redraw::InPlace, true, "b\n"), "\u{1b}[H\u{1b}[2Jb\n");
        assert_eq!(frame(Redraw::Append, false, "a\n"), "a\n");
        assert_eq!(frame(Redraw::Append, true, "b\n"), "\nb\n");
    }
}
