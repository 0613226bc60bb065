use std::path::{Path, PathBuf};

use super::*;

/// A fresh project folder with `files` (relative path → text).
fn project(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("komo-loader-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn error(dir: &Path) -> String {
    LoadedProject::load(dir).and_then(|p| p.engine_project_with(&|_| None)).unwrap_err().to_string()
}

#[test]
fn one_read_gives_the_catalog_and_the_engine_project() {
    let dir = project(
        "whole",
        &[
            (
                "komo.toml",
                "[workspace]\nid = \"acme\"\n[secrets]\nTOKEN = { env = \"ACME_TOKEN\" }\n\
                 MISSING = { env = \"ACME_UNSET\" }\n[webhooks]\nsecret = { env = \"ACME_HOOKS\" }\n\
                 [limits]\nmax_chain_depth = 3\n[catalog]\nlists = [\"VIP\"]\n",
            ),
            ("templates/welcome.html", "<p>{{ data.code }}</p>"),
            ("templates/notes.md", "ignored"),
            ("workflows/b.komo", "workflow b {\n  scope workspace\n  trigger Prize.Won\n}\n"),
            ("workflows/a.komo", "workflow a {\n  scope workspace\n  trigger Contact.Identified\n}\n"),
            ("workflows/readme.txt", "not a workflow"),
        ],
    );
    let loaded = LoadedProject::load(&dir).unwrap();
    assert_eq!(loaded.templates().keys().collect::<Vec<_>>(), ["welcome.html"]);
    let env = |name: &str| match name {
        "ACME_TOKEN" => Some("t0ken".to_string()),
        "ACME_HOOKS" => Some("whsec_x".to_string()),
        _ => None,
    };
    let project = loaded.engine_project_with(&env).unwrap();
    assert_eq!(project.workspace_id, "acme");
    assert_eq!(project.secrets.iter().collect::<Vec<_>>(), [(&"TOKEN".to_string(), &"t0ken".to_string())]);
    assert_eq!(project.webhook_secret.as_deref(), Some("whsec_x"));
    assert_eq!(project.max_chain_depth, 3);
    let names: Vec<&str> = project.workflows.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(project.catalog.names(crate::check::project_catalog::Kind::List, ""), Some(vec!["VIP"]));
    assert_eq!(
        project.catalog.names(crate::check::project_catalog::Kind::Template, ""),
        Some(vec!["welcome"])
    );
    assert_eq!(*project.catalog, loaded.catalog().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_catalog_may_live_in_its_own_file_but_not_in_both_places() {
    let dir = project(
        "catalog-file",
        &[("komo.toml", "[catalog]\nfile = \"catalog.toml\"\n"), ("catalog.toml", "offers = [\"SPRING\"]\n")],
    );
    let catalog = load_catalog(&dir).unwrap();
    assert_eq!(catalog.names(crate::check::project_catalog::Kind::Offer, ""), Some(vec!["SPRING"]));
    std::fs::write(dir.join("komo.toml"), "[catalog]\nfile = \"catalog.toml\"\nlists = [\"VIP\"]\n").unwrap();
    let both = load_catalog(&dir).unwrap_err().to_string();
    assert!(
        both.ends_with("`[catalog]` names a file (`catalog.toml`) and declares things too; keep one"),
        "{both}"
    );
    std::fs::write(dir.join("komo.toml"), "[catalog]\nfile = \"catalog.toml\"\n").unwrap();
    std::fs::write(dir.join("catalog.toml"), "file = \"more.toml\"\n").unwrap();
    let nested = load_catalog(&dir).unwrap_err().to_string();
    assert!(nested.ends_with("catalog.toml: a catalog file cannot name another (`file`)"), "{nested}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_name_the_file_at_fault() {
    let dir = project("errors", &[]);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("komo.toml").display().to_string();
    assert!(error(&dir).starts_with(&format!("cannot read {config}: ")), "{}", error(&dir));
    std::fs::write(dir.join("komo.toml"), "[catalog]\nlists = [\"VIP\"]\n").unwrap();
    assert!(load_catalog(&dir).is_ok(), "`komo check` needs no [workspace]");
    assert_eq!(error(&dir), format!("{config}: missing field `workspace`"));
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \" \"\n").unwrap();
    assert_eq!(error(&dir), format!("{config}: `workspace.id` is empty"));
    std::fs::write(dir.join("komo.toml"), "[catalog.properties]\nage = \"Integer\"\n").unwrap();
    let catalog = load_catalog(&dir).unwrap_err().to_string();
    assert!(catalog.starts_with(&format!("{config}: catalog.properties.age: ")), "{catalog}");
    std::fs::write(dir.join("komo.toml"), "[workspace\n").unwrap();
    assert!(error(&dir).starts_with(&format!("{config}: TOML parse error")), "{}", error(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn http_stand_ins_are_read_and_a_wrong_one_stops_the_load() {
    let write = |dir: &Path, http: &str| {
        std::fs::write(dir.join("komo.toml"), format!("[workspace]\nid = \"w\"\n[http]\n{http}\n")).unwrap();
    };
    let dir = project("stand-ins", &[]);
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, r#"stand_ins = { "https://ops.example.com" = "http://127.0.0.1:8788" }"#);
    assert!(LoadedProject::load(&dir).unwrap().engine_project_with(&|_| None).is_ok());
    write(&dir, r#"stand_ins = { "https://ops.example.com/alerts" = "http://127.0.0.1:8788" }"#);
    let error = error(&dir);
    assert!(error.contains("[http] stand-in origin `https://ops.example.com/alerts`"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_root_is_found_from_a_file_or_a_folder_below_it() {
    let dir = project("root", &[("komo.toml", ""), ("workflows/a.komo", "")]);
    let root = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(find_root(&dir.join("workflows/a.komo")), Some(root.clone()));
    assert_eq!(find_root(&dir.join("workflows")), Some(root));
    assert_eq!(workflow_files(&dir), [dir.join("workflows/a.komo")]);
    let _ = std::fs::remove_dir_all(&dir);
}
