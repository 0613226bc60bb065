//! `komo deploy [--project DIR] [--activate]`: the project's workflows to a running
//! engine.
//!
//! In: a project (found as `komo serve` finds it), its `workflows/*.komo`, a server and
//! a key ([`ServerArgs`]). The files are checked together first: with errors, the
//! diagnostics go to stderr and nothing is sent (exit 1). Otherwise each workflow's own
//! source (from its doc comment to its closing brace, cut as the engine cuts it when it
//! loads a project, so unchanged workflows compare equal) is saved as the draft with
//! `PUT /v1/workflows/{name}` unless the server has it already. Out, on stdout, one line
//! a workflow: `saved NAME (draft)` or `unchanged NAME`, and with `--activate` its new
//! state (`NAME: active (version 3)`); a summary on stderr. Exit 0 all deployed, 1
//! errors (local diagnostics, or the server refused a workflow), 2 no project, no key,
//! no server, a refused key.

use std::io;
use std::path::{Path, PathBuf};

use clap::Args;

use super::client::{Client, Failure, ServerArgs, state_line, write_refusal};
use super::files::{self, Sources};
use super::serve::ProjectLookupError;
use super::{Console, Exit};
use crate::diagnostics::{render, sort_diagnostics, tally};
use crate::engine::api::WorkflowDetail;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Deploy checks workflows/*.komo locally first (as `komo check` would) and sends nothing
when there are errors. Each workflow is saved as a draft; drafts change nothing until
activated, here with `--activate` or later with `komo workflows activate NAME`. The
server is `--server URL`, else KOMO_SERVER, else http://127.0.0.1:8080; the key is
`--key KEY`, else KOMO_KEY (`komo keys create` prints one).

Examples:
  komo deploy                                   save the changed workflows as drafts
  komo deploy --activate                        and make each one's draft its active version
  komo deploy --project acme --server https://komo.example.com

Exit status: 0 deployed, 1 errors in the workflows or a workflow the server refused, 2
no project, no key, no server or a refused key.")]
pub(crate) struct DeployArgs {
    /// The project directory, with its komo.toml [default: the nearest directory with
    /// one, from the current directory up]
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,

    /// Activate every workflow after saving it (a new version of each)
    #[arg(long)]
    activate: bool,

    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run(args: &DeployArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let client = match Client::new(&args.server) {
        Ok(client) => client,
        Err(failure) => return failure.report(console),
    };
    let workflows = match project_workflows(args.project.as_deref(), console)? {
        Ok(workflows) => workflows,
        Err(exit) => return Ok(exit),
    };
    let mut tally = Tally::default();
    // Only what the server now has as its draft is activated.
    let mut sent = Vec::new();
    for (name, source) in &workflows {
        match save(&client, name, source) {
            Ok(true) => {
                tally.saved += 1;
                sent.push(name);
                writeln!(console.out, "saved {name} (draft)")?;
            }
            Ok(false) => {
                tally.unchanged += 1;
                sent.push(name);
                writeln!(console.out, "unchanged {name}")?;
            }
            Err(failure @ Failure::Usage(_)) => return failure.report(console),
            Err(Failure::Refused { message, .. }) => {
                tally.failed += 1;
                writeln!(console.err, "{} `{name}` was not saved: {message}", console.red("error:"))?;
            }
        }
    }
    if args.activate {
        for name in sent {
            match client.post::<WorkflowDetail>(&["v1", "workflows", name, "activate"], None) {
                Ok(detail) => {
                    tally.activated += 1;
                    writeln!(console.out, "{}", state_line(&detail.summary))?;
                }
                Err(failure @ Failure::Usage(_)) => return failure.report(console),
                Err(failure) => {
                    tally.failed += 1;
                    write_refusal(console, name, &failure)?;
                }
            }
        }
    }
    tally.report(workflows.len(), client.server(), console)
}

/// What happened to the workflows sent.
#[derive(Debug, Default)]
struct Tally {
    saved: usize,
    unchanged: usize,
    activated: usize,
    /// Saves and activations the server refused.
    failed: usize,
}

impl Tally {
    fn report(&self, total: usize, server: &str, console: &mut Console<'_>) -> io::Result<Exit> {
        let mut line = format!(
            "deployed {} to {server}: {} saved, {} unchanged",
            counted(total, "workflow"),
            self.saved,
            self.unchanged
        );
        if self.activated > 0 {
            line.push_str(&format!(", {} activated", self.activated));
        }
        if self.failed == 0 {
            writeln!(console.err, "{}", console.bold(&line))?;
            return Ok(Exit::Success);
        }
        let refused = counted(self.failed, "request");
        writeln!(console.err, "{} {line}; the server refused {refused}", console.red("error:"))?;
        Ok(Exit::Failure)
    }
}

fn counted(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Saves `source` as the draft of `name` unless the server's draft is the same text;
/// answers whether it was saved.
fn save(client: &Client, name: &str, source: &str) -> Result<bool, Failure> {
    match client.get::<WorkflowDetail>(&["v1", "workflows", name]) {
        Ok(detail) if detail.source == source => return Ok(false),
        Ok(_) => {}
        Err(failure) if failure.is_not_found() => {}
        Err(failure) => return Err(failure),
    }
    client.put_text::<WorkflowDetail>(&["v1", "workflows", name], source).map(|_| true)
}

/// The project's workflows, `(name, own source)` in file order, once they check clean;
/// or the exit code after saying on stderr why not (diagnostics, a missing project).
fn project_workflows(
    given: Option<&Path>,
    console: &mut Console<'_>,
) -> io::Result<Result<Vec<(String, String)>, Exit>> {
    let found =
        std::env::current_dir().map_err(|cause| ProjectLookupError::NoCurrentDir { cause }).and_then(|cwd| {
            super::serve::find_project(given, &cwd).and_then(|project| workflow_files(&project, &cwd))
        });
    let paths = match found {
        Ok(paths) => paths,
        Err(error) => {
            writeln!(console.err, "{} {error}", console.red("error:"))?;
            return Ok(Err(Exit::Usage));
        }
    };
    let Sources { sources, mut diagnostics, problems } = files::read_sources(&paths);
    if !problems.is_empty() {
        for problem in &problems {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
        }
        return Ok(Err(Exit::Usage));
    }
    let catalog = match super::project::catalog_for(&paths) {
        Ok(catalog) => catalog,
        Err(problem) => {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
            return Ok(Err(Exit::Usage));
        }
    };
    diagnostics.extend(crate::check_sources_in(&sources, &catalog).diagnostics);
    sort_diagnostics(&mut diagnostics);
    if !diagnostics.is_empty() {
        writeln!(console.err, "{}", render::human(&sources, &diagnostics, console.color))?;
    }
    let (errors, _) = tally(&diagnostics);
    if errors > 0 {
        let found = counted(errors, "error");
        writeln!(console.err, "{} nothing was deployed: the workflows have {found}", console.red("error:"))?;
        return Ok(Err(Exit::Failure));
    }
    let workflows: Vec<(String, String)> =
        sources.files().flat_map(|(_, file)| crate::engine::project::split_workflows(&file.text)).collect();
    if workflows.is_empty() {
        writeln!(
            console.err,
            "{} no workflows to deploy in the project's workflows/*.komo",
            console.red("error:")
        )?;
        return Ok(Err(Exit::Usage));
    }
    Ok(Ok(workflows))
}

/// `<project>/workflows/*.komo`, sorted, as the engine loads them; named relative to
/// `cwd` when they are under it.
fn workflow_files(project: &Path, cwd: &Path) -> Result<Vec<PathBuf>, ProjectLookupError> {
    let dir = project.join("workflows");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(cause) => return Err(ProjectLookupError::WorkflowsUnreadable { dir, cause }),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "komo"))
        .map(|path| path.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(path))
        .collect();
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_splits_into_its_workflows_with_their_docs() {
        let text = "/// Hello.\n/// Twice.\nworkflow a {\n  scope workspace\n  trigger Contact.Identified\n}\n\n\
                    test \"t\" {\n  workflow a\n}\nworkflow b {\n  scope workspace\n  trigger Prize.Won\n}\n";
        let split = crate::engine::project::split_workflows(text);
        let names: Vec<&str> = split.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            split[0].1,
            "/// Hello.\n/// Twice.\nworkflow a {\n  scope workspace\n  trigger Contact.Identified\n}\n"
        );
        assert_eq!(split[1].1, "workflow b {\n  scope workspace\n  trigger Prize.Won\n}\n");
    }

    #[test]
    fn workflow_files_are_the_komo_files_sorted_and_named_from_here() {
        let dir = std::env::temp_dir().join(format!("komo-deploy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("workflows/sub")).unwrap();
        for file in ["b.komo", "a.komo", "notes.txt", "sub/c.komo"] {
            std::fs::write(dir.join("workflows").join(file), "").unwrap();
        }
        let files = workflow_files(&dir, &dir).unwrap();
        assert_eq!(files, [PathBuf::from("workflows/a.komo"), PathBuf::from("workflows/b.komo")]);
        let elsewhere = workflow_files(&dir, Path::new("/nowhere")).unwrap();
        assert_eq!(elsewhere.first(), Some(&dir.join("workflows/a.komo")));
        assert!(
            workflow_files(&dir.join("workflows"), &dir).unwrap_err().to_string().starts_with("cannot read")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
