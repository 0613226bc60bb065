//! `komo run FILE --event EVENT.json [--contact CONTACT.json] [--workflow NAME]
//! [--format human|json]`.
//!
//! In: a `.komo` file, an event envelope (engine.md §3) and optionally a contact. Out:
//! one run of the workflow the event triggers, in the sandbox (a virtual clock, an
//! in-memory store, external actions recorded and not sent), printed as a timeline or
//! as the run record's JSON on stdout; exit 0 when the run succeeded (or the event
//! started no run), 1 when it failed or the inputs have errors, 2 when the workflow to
//! run cannot be told or a file cannot be read.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::compile::{self, Loaded};
use super::{Console, Exit, timeline};
use crate::connectors::Connectors;
use crate::connectors::live::LiveHost;
use crate::diagnostics::did_you_mean;
use crate::engine::Project;
use crate::ir::{RunStatus, Scope, Workflow};
use crate::runtime::admit::{Admission, admit, in_scope};
use crate::runtime::event::{TriggerEvent, parse_envelope};
use crate::runtime::host::{Host, HostError};
use crate::runtime::interp::{Progress, RunStart, resume, start};
use crate::runtime::record::RunRecord;
use crate::runtime::sandbox::SandboxHost;
use crate::runtime::value::Value;

/// The seed of the sandbox's retry jitter (the same as in tests).
const SEED: u64 = 7;

/// The most an event or contact file may be.
const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Args)]
#[command(after_long_help = "\
The event is one JSON envelope, as the engine's ingest API takes it:

  { \"id\": \"evt_01\", \"type\": \"Contact.Identified\", \"occurred_at\": \"2026-01-01T09:00:00Z\",
    \"contact\": { \"email\": \"ana@example.com\", \"first_name\": \"Ana\" },
    \"data\": { \"source\": \"signup-form\" } }

The run is sandboxed as in tests: the clock is virtual and starts at the event's
`occurred_at` (waits and retry delays are shown, not waited), internal actions act on an
in-memory store, external ones (email, SMS, HTTP, CRM) are recorded, not sent. The run id
is `run_` and the event's id. The workflow's `form` and `where` filter apply (an event
they refuse starts no run: `no run: <reason>` on stderr, `{\"no_run\": …}` in JSON); its
`scope` is not applied: an event from another hub or card runs too, with a note on stderr.

Examples:
  komo run welcome.komo --event signup.json                  the run's timeline
  komo run welcome.komo --event signup.json --format json    the run record (JSON)
  komo run welcome.komo --event signup.json --contact ana.json
                                                             start from this contact
  komo run flows.komo --event quiz.json --workflow sponsor_lead_routing
                                                             when several workflows fit
  komo run welcome.komo --event signup.json --live-connectors
                                                             really send the email

With --live-connectors, external actions go through the connectors configured in the
nearest komo.toml (from the file's directory up): [connectors.*] with secrets from the
environment variables it names, [http] allow_hosts, templates/ and [secrets]. Internal
actions and waits stay sandboxed; a retry really waits for its delay (at most 60s).

Exit status: 0 the run succeeded (or the event started no run), 1 the run failed or the
program or event has errors, 2 usage or I/O error (no workflow or several fit the event).")]
pub(crate) struct RunArgs {
    /// The .komo file with the workflow
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The event envelope to run on (a JSON file)
    #[arg(long, value_name = "EVENT.json")]
    event: PathBuf,

    /// The contact the run starts with (a JSON file with a partial contact record);
    /// replaces the envelope's `contact`
    #[arg(long, value_name = "CONTACT.json")]
    contact: Option<PathBuf>,

    /// The workflow to run, when the file has several for the event's trigger
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// How to print the run: a timeline, or the run record as JSON
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Send external actions (email, SMS, HTTP, CRM) through the connectors of the
    /// project's komo.toml instead of recording them
    #[arg(long)]
    live_connectors: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable timeline of the run
    Human,
    /// The run record (the engine's `GET /v1/runs/{id}` shape)
    Json,
}

pub(crate) fn run(args: &RunArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let loaded = match compile::load(std::slice::from_ref(&args.file), "nothing was run", console)? {
        Ok(loaded) => loaded,
        Err(exit) => return Ok(exit),
    };
    let event = match read_event(args) {
        Ok(event) => event,
        Err(problem) => {
            writeln!(console.err, "{} {}", console.red("error:"), problem.message)?;
            return Ok(problem.exit);
        }
    };
    let wf = match choose_workflow(&loaded.program.workflows, args.workflow.as_deref(), &event) {
        Ok(wf) => wf,
        Err(message) => {
            writeln!(console.err, "{} {message}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    if !in_scope(wf, &event) {
        let scope = match &wf.scope {
            Scope::Workspace => "the workspace".to_owned(),
            Scope::Hub(id) => format!("hub `{id}`"),
            Scope::Card(id) => format!("card `{id}`"),
        };
        let note = format!(
            "the event does not come from `{}`'s scope ({scope}); `komo run` runs it anyway",
            wf.name
        );
        writeln!(console.err, "{} {note}", console.bold("note:"))?;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            writeln!(console.err, "{} cannot start the runtime: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let live = match args.live_connectors {
        true => match live_setup(&args.file) {
            Ok(live) => Some(live),
            Err(message) => {
                writeln!(console.err, "{} {message}", console.red("error:"))?;
                return Ok(Exit::Usage);
            }
        },
        false => None,
    };
    let outcome = match runtime.block_on(run_once(wf, event, live)) {
        Ok(outcome) => outcome,
        Err(error) => {
            let message = format!("internal error: the sandbox could not answer: {}", error.message);
            writeln!(console.err, "{} {message}", console.red("error:"))?;
            return Ok(Exit::Internal);
        }
    };
    match outcome {
        Outcome::NoRun(reason) => {
            writeln!(console.err, "no run: {reason}")?;
            if args.format == Format::Json {
                let json = serde_json::json!({ "no_run": reason });
                writeln!(console.out, "{}", serde_json::to_string_pretty(&json).unwrap_or_default())?;
            }
            Ok(Exit::Success)
        }
        Outcome::Ran(record) => {
            match args.format {
                Format::Json => match serde_json::to_string_pretty(&record) {
                    Ok(json) => writeln!(console.out, "{json}")?,
                    Err(error) => {
                        writeln!(console.err, "{} internal error: {error}", console.red("error:"))?;
                        return Ok(Exit::Internal);
                    }
                },
                Format::Human => {
                    let at = error_position(&loaded, &record);
                    console.out.write_all(timeline::render(&record, at.as_deref(), "").as_bytes())?;
                }
            }
            let exit = if record.status == RunStatus::Succeeded { Exit::Success } else { Exit::Failure };
            if exit == Exit::Failure {
                writeln!(console.err, "{} the run {}", console.red("error:"), record.status.as_str())?;
            }
            Ok(exit)
        }
    }
}

/// Why the inputs could not be used, and the exit code that says so.
struct Problem {
    message: String,
    exit: Exit,
}

/// The event envelope, with the contact from `--contact` in place of its own (checked
/// as the envelope's would be).
fn read_event(args: &RunArgs) -> Result<TriggerEvent, Problem> {
    let mut envelope = read_json(&args.event)?;
    if let Some(path) = &args.contact {
        let contact = read_json(path)?;
        if let serde_json::Value::Object(fields) = &mut envelope {
            fields.insert("contact".to_owned(), contact);
        }
    }
    parse_envelope(&envelope).map_err(|error| {
        let message = match &args.contact {
            Some(file) if error.path == "contact" => invalid(file, "contact", "", &error.message),
            Some(file) if error.path.starts_with("contact.") => {
                let field = error.path.get("contact.".len()..).unwrap_or_default();
                invalid(file, "contact", field, &error.message)
            }
            _ => invalid(&args.event, "event", &error.path, &error.message),
        };
        Problem { message, exit: Exit::Failure }
    })
}

/// `` `e.json` is not a valid event: field `data.source`: expected a String, found 5 ``.
fn invalid(file: &Path, what: &str, field: &str, message: &str) -> String {
    let field = if field.is_empty() { String::new() } else { format!("field `{field}`: ") };
    format!("`{}` is not a valid {what}: {field}{message}", file.display())
}

fn read_json(path: &Path) -> Result<serde_json::Value, Problem> {
    use std::io::Read as _;
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|file| file.take(MAX_JSON_BYTES).read_to_string(&mut text));
    if let Err(error) = read {
        let message = super::files::cannot_read(path, &error);
        return Err(Problem { message, exit: Exit::Usage });
    }
    serde_json::from_str(&text).map_err(|error| Problem {
        message: format!("`{}` is not valid JSON: {error}", path.display()),
        exit: Exit::Failure,
    })
}

/// The workflow named `--workflow`, which must listen to the event's trigger, or else
/// the only one that does.
fn choose_workflow<'p>(
    workflows: &'p [Workflow],
    named: Option<&str>,
    event: &TriggerEvent,
) -> Result<&'p Workflow, String> {
    let trigger = event.trigger.id;
    let list = |wfs: &[&Workflow]| -> String {
        let names: Vec<String> = wfs.iter().map(|wf| format!("`{}` ({})", wf.name, wf.trigger)).collect();
        names.join(", ")
    };
    let all: Vec<&Workflow> = workflows.iter().collect();
    if let Some(name) = named {
        let Some(wf) = workflows.iter().find(|wf| wf.name == name) else {
            let names: Vec<&str> = workflows.iter().map(|wf| wf.name.as_str()).collect();
            let hint =
                did_you_mean(name, &names).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            return Err(format!("no workflow `{name}`{hint}; the file has {}", list_or_none(&list(&all))));
        };
        if wf.trigger != trigger {
            return Err(format!(
                "workflow `{name}` listens to `{}`, but the event is a `{trigger}` event",
                wf.trigger
            ));
        }
        return Ok(wf);
    }
    let fitting: Vec<&Workflow> = workflows.iter().filter(|wf| wf.trigger == trigger).collect();
    match fitting.as_slice() {
        [wf] => Ok(wf),
        [] => Err(format!("no workflow listens to `{trigger}`; the file has {}", list_or_none(&list(&all)))),
        several => Err(format!(
            "several workflows listen to `{trigger}`: {}; choose one with `--workflow NAME`",
            list(several)
        )),
    }
}

fn list_or_none(list: &str) -> &str {
    if list.is_empty() { "no workflows" } else { list }
}

/// What the event did.
enum Outcome {
    NoRun(String),
    Ran(Box<RunRecord>),
}

/// The project's connectors and secrets, for `--live-connectors`.
struct Live {
    connectors: Arc<Connectors>,
    secrets: BTreeMap<String, String>,
}

/// Loads the project around `file` (its komo.toml, found from the file's directory up)
/// with its connectors.
fn live_setup(file: &Path) -> Result<Live, String> {
    let start = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = super::serve::find_project(None, start).map_err(|_| {
        format!(
            "--live-connectors needs a project: no `komo.toml` in `{}` or any directory above it",
            start.display()
        )
    })?;
    let project = Project::load(&dir).map_err(|e| e.to_string())?;
    let connectors = project.connectors(&dir).map_err(|e| e.to_string())?;
    Ok(Live { connectors: Arc::new(connectors), secrets: project.secrets })
}

/// A host `run_once` can drive: it moves the virtual clock (a retry may really wait)
/// and keeps the run's `event` where email templates see it (live runs only).
trait Driven: Host + Send {
    fn advance(&mut self, until: jiff::Timestamp, retry: bool) -> impl std::future::Future<Output = ()>;
    fn hold_event(&mut self, event: &Value);
}

impl Driven for SandboxHost {
    async fn advance(&mut self, until: jiff::Timestamp, _retry: bool) {
        self.advance_to(until);
    }

    fn hold_event(&mut self, _event: &Value) {}
}

impl Driven for LiveHost {
    async fn advance(&mut self, until: jiff::Timestamp, retry: bool) {
        self.advance_to(until, retry).await;
    }

    fn hold_event(&mut self, event: &Value) {
        self.set_event(event.clone());
    }
}

/// Admits the event and runs the workflow to its end, moving the virtual clock to the
/// end of each wait; with `live`, external actions go through the project's connectors.
async fn run_once(wf: &Workflow, event: TriggerEvent, live: Option<Live>) -> Result<Outcome, HostError> {
    let run_id = format!("run_{}", event.id);
    let mut host = SandboxHost::new(event.occurred_at, &run_id, SEED);
    let contact = match &event.contact {
        Value::Null if event.trigger.contact_optional => Value::Null,
        Value::Null => Value::Record(std::collections::BTreeMap::new()),
        given => given.clone(),
    };
    host.set_contact(&contact);
    if let Some(entry) = event.context.get("entry").filter(|entry| !entry.is_null()) {
        host.set_entry(entry.clone());
    }
    match live {
        None => drive(wf, event, run_id, host).await,
        Some(live) => drive(wf, event, run_id, LiveHost::new(host, live.connectors, live.secrets)).await,
    }
}

async fn drive<H: Driven>(
    wf: &Workflow,
    event: TriggerEvent,
    run_id: String,
    mut host: H,
) -> Result<Outcome, HostError> {
    let event = match admit(wf, event, &mut host).await? {
        Admission::Run(event) => event,
        Admission::NoRun(reason) => return Ok(Outcome::NoRun(reason)),
    };
    let mut state = start(wf, RunStart { id: run_id, version: 1, started_at: host.now() }, &event);
    host.hold_event(&state.event);
    loop {
        match resume(wf, &mut state, &mut host).await {
            Progress::Finished => break,
            Progress::Waiting(until) => host.advance(until, state.pending.is_some()).await,
            Progress::Interrupted(error) => return Err(error),
        }
    }
    let contact = host.contact().await?;
    Ok(Outcome::Ran(Box::new(state.record(wf, &contact))))
}

/// Where the run's error is in the source, as `file:line:col`.
fn error_position(loaded: &Loaded, record: &RunRecord) -> Option<String> {
    let error = record.error.as_ref()?;
    let file = loaded.workflow_file(&record.workflow)?;
    Some(loaded.position(file, error.span))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(source: &str) -> crate::ir::Program {
        let mut sources = crate::source::SourceMap::new();
        sources.add("t.komo", source);
        crate::ir::lower_program(&crate::check_sources(&sources)).unwrap()
    }

    fn event(kind: &str) -> TriggerEvent {
        let json = serde_json::json!({ "id": "e1", "type": kind, "occurred_at": "2026-01-01T00:00:00Z" });
        parse_envelope(&json).unwrap()
    }

    const TWO: &str = "
workflow a { scope workspace trigger Contact.Identified contact.add_to_list(\"A\") }
workflow b { scope workspace trigger Contact.Identified contact.add_to_list(\"B\") }
";

    #[test]
    fn the_workflow_is_the_only_one_that_fits_or_the_named_one() {
        let program = program(TWO);
        let identified = event("Contact.Identified");
        let several = choose_workflow(&program.workflows, None, &identified).unwrap_err();
        assert!(several.contains("several workflows listen to `Contact.Identified`: `a`"), "{several}");
        assert!(several.contains("--workflow"), "{several}");
        assert_eq!(choose_workflow(&program.workflows, Some("b"), &identified).unwrap().name, "b");
        let unknown = choose_workflow(&program.workflows, Some("c"), &identified).unwrap_err();
        assert!(unknown.starts_with("no workflow `c`"), "{unknown}");
        let program = program.workflows.get(..1).unwrap();
        assert_eq!(choose_workflow(program, None, &identified).unwrap().name, "a");
    }

    #[test]
    fn envelope_errors_name_the_file_and_the_field() {
        assert_eq!(
            invalid(Path::new("e.json"), "event", "data.source", "expected String, found Int"),
            "`e.json` is not a valid event: field `data.source`: expected String, found Int"
        );
        assert_eq!(
            invalid(Path::new("e.json"), "event", "", "not an object"),
            "`e.json` is not a valid event: not an object"
        );
    }
}
