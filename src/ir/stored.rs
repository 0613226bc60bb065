//! One workflow's IR as the engine stores it: the workflow with the `ir_version` it was
//! written in, checked on every read.
//!
//! In: a workflow to store, or stored JSON. Out: the JSON to store, or the workflow; a
//! stored version other than [`IR_VERSION`] is an error that names both versions (never
//! a misread). IR stored before versions were written beside it (a bare workflow
//! object) is version 1, the only version that existed then.

use serde::{Deserialize, Serialize};

use super::{IR_VERSION, Workflow};

/// Why stored IR cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredIrError {
    /// Written by another version of komo.
    Version { stored: u32, supported: u32 },
    /// Not the IR of a workflow.
    Unreadable(String),
}

impl std::fmt::Display for StoredIrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredIrError::Version { stored, supported } => write!(
                f,
                "the stored IR is version {stored}, and this komo reads version {supported}: activate the workflow again with this komo, or run the komo that stored it"
            ),
            StoredIrError::Unreadable(e) => write!(f, "the stored IR is unreadable: {e}"),
        }
    }
}

#[derive(Serialize)]
struct Writing<'a> {
    ir_version: u32,
    workflow: &'a Workflow,
}

#[derive(Deserialize)]
struct Versioned {
    ir_version: u32,
    workflow: serde_json::Value,
}

/// The JSON the engine stores for `wf`.
pub fn to_json(wf: &Workflow) -> Result<String, StoredIrError> {
    serde_json::to_string(&Writing { ir_version: IR_VERSION, workflow: wf })
        .map_err(|e| StoredIrError::Unreadable(e.to_string()))
}

/// The workflow in stored JSON, if its version is this komo's.
pub fn from_json(json: &str) -> Result<Workflow, StoredIrError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| StoredIrError::Unreadable(e.to_string()))?;
    let workflow = if value.get("ir_version").is_some() {
        let versioned: Versioned =
            serde_json::from_value(value).map_err(|e| StoredIrError::Unreadable(e.to_string()))?;
        if versioned.ir_version != IR_VERSION {
            return Err(StoredIrError::Version { stored: versioned.ir_version, supported: IR_VERSION });
        }
        versioned.workflow
    } else {
        value
    };
    serde_json::from_value(workflow).map_err(|e| StoredIrError::Unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow() -> Workflow {
        let source = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"A\")\n}\n";
        let mut map = crate::source::SourceMap::default();
        map.add("w.komo", source);
        let checked = crate::check_sources(&map);
        let program = crate::ir::lower_program(&checked).unwrap_or_else(|_| unreachable!());
        program.workflows.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn stored_ir_round_trips_and_names_its_version() {
        let wf = workflow();
        let json = to_json(&wf).unwrap_or_default();
        assert!(json.starts_with(&format!("{{\"ir_version\":{IR_VERSION},")), "{json}");
        assert_eq!(from_json(&json), Ok(wf.clone()));
        // Stored before the version was written beside it: version 1.
        let bare = serde_json::to_string(&wf).unwrap_or_default();
        assert_eq!(from_json(&bare), Ok(wf));
    }

    #[test]
    fn another_version_is_refused_by_name() {
        let json = to_json(&workflow()).unwrap_or_default().replacen(
            &format!("\"ir_version\":{IR_VERSION}"),
            "\"ir_version\":99",
            1,
        );
        let error = from_json(&json).err();
        assert_eq!(error, Some(StoredIrError::Version { stored: 99, supported: IR_VERSION }));
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("version 99") && text.contains(&format!("reads version {IR_VERSION}")),
            "{text}"
        );
        assert!(matches!(from_json("{\"name\": 3}"), Err(StoredIrError::Unreadable(_))));
    }

    #[test]
    fn actions_and_triggers_are_stored_by_name_and_read_back_checked() {
        let json = to_json(&workflow()).unwrap_or_default();
        assert!(json.contains(r#""trigger":"Contact.Identified""#), "{json}");
        assert!(json.contains(r#""action":"contact.add_to_list""#), "{json}");
        for (from, to, why) in [
            ("contact.add_to_list", "contact.add_to_lists", "unknown action `contact.add_to_lists`"),
            ("Contact.Identified", "Contact.Created", "unknown trigger `Contact.Created`"),
        ] {
            let error = from_json(&json.replace(from, to)).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.starts_with("the stored IR is unreadable: ") && error.contains(why), "{error}");
        }
    }
}
