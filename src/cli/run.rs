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
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::compile::{self, Loaded};
use super::project::LoadedProject;
use super::{Console, Exit, timeline};
use crate::catalog::TriggerId;
use crate::connectors::Connectors;
use crate::connectors::live::LiveHost;
use crate::diagnostics::did_you_mean;
use crate::ir::{RunStatus, Scope, Workflow};
use crate::runtime::admit::{Admission, admit, in_scope};
use crate::runtime::event::{EnvelopeError, TriggerEvent, parse_envelope};
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
        Err(error) => {
            writeln!(console.err, "{} {error}", console.red("error:"))?;
            return Ok(error.exit());
        }
    };
    let wf = match choose_workflow(&loaded.program.workflows, args.workflow.as_deref(), &event) {
        Ok(wf) => wf,
        Err(error) => {
            writeln!(console.err, "{} {error}", console.red("error:"))?;
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
            Err(error) => {
                writeln!(console.err, "{} {error}", console.red("error:"))?;
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

/// Which file an input problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InputFile {
    /// `--event`.
    Event,
    /// `--contact`.
    Contact,
}

/// Why the event or contact file could not be used.
#[derive(Debug)]
enum RunInputError {
    /// The file cannot be read (exit 2).
    Unreadable { path: PathBuf, cause: io::Error },
    /// The file is not JSON (exit 1).
    NotJson { path: PathBuf, cause: serde_json::Error },
    /// The envelope (or the contact in it) does not fit its trigger (exit 1); `cause`'s
    /// path is the envelope's, `contact.…` for the contact file.
    Invalid { file: PathBuf, input: InputFile, cause: EnvelopeError },
}

impl RunInputError {
    fn exit(&self) -> Exit {
        match self {
            RunInputError::Unreadable { .. } => Exit::Usage,
            RunInputError::NotJson { .. } | RunInputError::Invalid { .. } => Exit::Failure,
        }
    }
}

/// `` `e.json` is not a valid event: field `data.source`: expected a String, found 5 ``.
impl fmt::Display for RunInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunInputError::Unreadable { path, cause } => f.write_str(&super::files::cannot_read(path, cause)),
            RunInputError::NotJson { path, cause } => {
                write!(f, "`{}` is not valid JSON: {cause}", path.display())
            }
            RunInputError::Invalid { file, input, cause } => {
                let (what, field) = match input {
                    InputFile::Event => ("event", cause.path.as_str()),
                    InputFile::Contact => {
                        ("contact", cause.path.strip_prefix("contact.").unwrap_or_default())
                    }
                };
                write!(f, "`{}` is not a valid {what}: ", file.display())?;
                if !field.is_empty() {
                    write!(f, "field `{field}`: ")?;
                }
                f.write_str(&cause.message)
            }
        }
    }
}

impl std::error::Error for RunInputError {}

/// The event envelope, with the contact from `--contact` in place of its own (checked
/// as the envelope's would be).
fn read_event(args: &RunArgs) -> Result<TriggerEvent, RunInputError> {
    let mut envelope = read_json(&args.event)?;
    if let Some(path) = &args.contact {
        let contact = read_json(path)?;
        if let serde_json::Value::Object(fields) = &mut envelope {
            fields.insert("contact".to_owned(), contact);
        }
    }
    parse_envelope(&envelope).map_err(|cause| match &args.contact {
        Some(file) if cause.path == "contact" || cause.path.starts_with("contact.") => {
            RunInputError::Invalid { file: file.clone(), input: InputFile::Contact, cause }
        }
        _ => RunInputError::Invalid { file: args.event.clone(), input: InputFile::Event, cause },
    })
}

fn read_json(path: &Path) -> Result<serde_json::Value, RunInputError> {
    use std::io::Read as _;
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|file| file.take(MAX_JSON_BYTES).read_to_string(&mut text));
    if let Err(cause) = read {
        return Err(RunInputError::Unreadable { path: path.to_path_buf(), cause });
    }
    serde_json::from_str(&text).map_err(|cause| RunInputError::NotJson { path: path.to_path_buf(), cause })
}

/// A workflow as a choice lists it: its name and its trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Listed {
    name: String,
    trigger: TriggerId,
}

impl Listed {
    fn of(wf: &Workflow) -> Listed {
        Listed { name: wf.name.clone(), trigger: wf.trigger }
    }
}

/// Why the workflow to run cannot be told (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
enum WorkflowChoiceError {
    /// `--workflow` names no workflow of the file; `suggestion` is the closest name.
    Unknown { name: String, suggestion: Option<String>, available: Vec<Listed> },
    /// `--workflow` names a workflow of another trigger.
    WrongTrigger { name: String, listens: TriggerId, trigger: TriggerId },
    /// No workflow of the file listens to the event's trigger.
    NoneListens { trigger: TriggerId, available: Vec<Listed> },
    /// Several do, and `--workflow` does not choose.
    Several { trigger: TriggerId, fitting: Vec<Listed> },
}

impl fmt::Display for WorkflowChoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// `` `a` (Contact.Identified), `b` (Prize.Won) ``, or `no workflows`.
        fn list(workflows: &[Listed]) -> String {
            let names: Vec<String> =
                workflows.iter().map(|wf| format!("`{}` ({})", wf.name, wf.trigger)).collect();
            if names.is_empty() { "no workflows".to_owned() } else { names.join(", ") }
        }
        match self {
            WorkflowChoiceError::Unknown { name, suggestion, available } => {
                write!(f, "no workflow `{name}`")?;
                if let Some(other) = suggestion {
                    write!(f, "; did you mean `{other}`?")?;
                }
                write!(f, "; the file has {}", list(available))
            }
            WorkflowChoiceError::WrongTrigger { name, listens, trigger } => {
                write!(f, "workflow `{name}` listens to `{listens}`, but the event is a `{trigger}` event")
            }
            WorkflowChoiceError::NoneListens { trigger, available } => {
                write!(f, "no workflow listens to `{trigger}`; the file has {}", list(available))
            }
            WorkflowChoiceError::Several { trigger, fitting } => write!(
                f,
                "several workflows listen to `{trigger}`: {}; choose one with `--workflow NAME`",
                list(fitting)
            ),
        }
    }
}

impl std::error::Error for WorkflowChoiceError {}

/// The workflow named `--workflow`, which must listen to the event's trigger, or else
/// the only one that does.
fn choose_workflow<'p>(
    workflows: &'p [Workflow],
    named: Option<&str>,
    event: &TriggerEvent,
) -> Result<&'p Workflow, WorkflowChoiceError> {
    let trigger = event.trigger.id;
    let all = || workflows.iter().map(Listed::of).collect();
    if let Some(name) = named {
        let Some(wf) = workflows.iter().find(|wf| wf.name == name) else {
            let names: Vec<&str> = workflows.iter().map(|wf| wf.name.as_str()).collect();
            let suggestion = did_you_mean(name, &names).map(str::to_owned);
            return Err(WorkflowChoiceError::Unknown { name: name.to_owned(), suggestion, available: all() });
        };
        if wf.trigger != trigger {
            return Err(WorkflowChoiceError::WrongTrigger {
                name: name.to_owned(),
                listens: wf.trigger,
                trigger,
            });
        }
        return Ok(wf);
    }
    let fitting: Vec<&Workflow> = workflows.iter().filter(|wf| wf.trigger == trigger).collect();
    match fitting.as_slice() {
        [wf] => Ok(wf),
        [] => Err(WorkflowChoiceError::NoneListens { trigger, available: all() }),
        several => Err(WorkflowChoiceError::Several {
            trigger,
            fitting: several.iter().map(|wf| Listed::of(wf)).collect(),
        }),
    }
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

/// Why `--live-connectors` has no connectors to use (exit 2).
#[derive(Debug)]
enum LiveSetupError {
    /// No `komo.toml` from `start` (the file's directory) up.
    NoProject { start: PathBuf },
    /// The project or its connectors could not be loaded.
    Project(super::project::ProjectError),
}

impl fmt::Display for LiveSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveSetupError::NoProject { start } => write!(
                f,
                "--live-connectors needs a project: no `komo.toml` in `{}` or any directory above it",
                start.display()
            ),
            LiveSetupError::Project(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for LiveSetupError {}

/// Loads the project around `file` (its komo.toml, found from the file's directory up)
/// with its connectors.
fn live_setup(file: &Path) -> Result<Live, LiveSetupError> {
    let start = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = super::serve::find_project(None, start)
        .map_err(|_| LiveSetupError::NoProject { start: start.to_path_buf() })?;
    let project =
        LoadedProject::load(&dir).and_then(|p| p.engine_project()).map_err(LiveSetupError::Project)?;
    Ok(Live { connectors: project.connectors, secrets: project.secrets })
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
        let several = choose_workflow(&program.workflows, None, &identified).unwrap_err().to_string();
        assert!(several.contains("several workflows listen to `Contact.Identified`: `a`"), "{several}");
        assert!(several.contains("--workflow"), "{several}");
        assert_eq!(choose_workflow(&program.workflows, Some("b"), &identified).unwrap().name, "b");
        let unknown = choose_workflow(&program.workflows, Some("c"), &identified).unwrap_err().to_string();
        assert!(unknown.starts_with("no workflow `c`"), "{unknown}");
        let program = program.workflows.get(..1).unwrap();
        assert_eq!(choose_workflow(program, None, &identified).unwrap().name, "a");
    }

    #[test]
    fn envelope_errors_name_the_file_and_the_field() {
        let invalid = |input: InputFile, path: &str, message: &str| {
            let cause = EnvelopeError::new(path, message);
            RunInputError::Invalid { file: PathBuf::from("e.json"), input, cause }.to_string()
        };
        assert_eq!(
            invalid(InputFile::Event, "data.source", "expected String, found Int"),
            "`e.json` is not a valid event: field `data.source`: expected String, found Int"
        );
        assert_eq!(
            invalid(InputFile::Event, "", "not an object"),
            "`e.json` is not a valid event: not an object"
        );
        assert_eq!(
            invalid(InputFile::Contact, "contact.email", "expected a String, found 5"),
            "`e.json` is not a valid contact: field `email`: expected a String, found 5"
        );
        assert_eq!(
            invalid(InputFile::Contact, "contact", "not an object"),
            "`e.json` is not a valid contact: not an object"
        );
    }
}
