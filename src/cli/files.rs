//! Finding and reading `.komo` files.
//!
//! In: the paths given on the command line. Out: the files to check, in a stable order,
//! with the names to show for them, and their bytes (at most a little over the 1 MiB
//! source limit, so an absurdly large file is never read whole), or the reasons some
//! paths could not be read.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The source file size limit (engine.md §7); the parser reports larger files (K0006).
pub(crate) const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// Directories never walked into (hidden ones, `.git` among them, are skipped too).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

/// A file to check: where it is and what to call it in diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourcePath {
    pub path: PathBuf,
    /// The path as given (or found under a given directory), without a leading `./`.
    pub name: String,
}

/// The `.komo` files named by `paths`: a file is taken as it is (whatever its
/// extension), a directory is walked recursively for `*.komo` files, in sorted order,
/// skipping hidden entries, `target/` and `node_modules/`. A file reached twice is
/// checked once. Paths that cannot be read are returned as messages.
pub(crate) fn collect(paths: &[PathBuf]) -> (Vec<SourcePath>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut found, &mut problems),
            Ok(_) => found.push(path.clone()),
            Err(error) => problems.push(cannot_read(path, &error)),
        }
    }
    let mut seen = HashSet::new();
    let files = found
        .into_iter()
        .filter(|path| seen.insert(fs::canonicalize(path).unwrap_or_else(|_| path.clone())))
        .map(|path| SourcePath { name: display_name(&path), path })
        .collect();
    (files, problems)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(cannot_read(dir, &error));
            return;
        }
    };
    let mut entries: Vec<fs::DirEntry> = entries
        .filter_map(|entry| entry.map_err(|error| problems.push(cannot_read(dir, &error))).ok())
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if !SKIPPED_DIRS.iter().any(|skipped| OsStr::new(skipped) == name) {
                walk(&path, found, problems);
            }
        } else if path.extension() == Some(OsStr::new("komo")) {
            // Symbolic links are followed to files, never to directories (no cycles).
            let is_file = kind.is_file() || fs::metadata(&path).is_ok_and(|meta| meta.is_file());
            if is_file {
                found.push(path);
            }
        }
    }
}

/// Reads a source file, but never much more than the size limit: a longer file is cut
/// just past [`MAX_SOURCE_BYTES`], at a character boundary, which is enough for the
/// parser to report it as too large without a spurious encoding error at the cut.
pub(crate) fn read_source(path: &Path) -> io::Result<Vec<u8>> {
    const UTF8_MAX: usize = 4;
    let limit = MAX_SOURCE_BYTES + UTF8_MAX;
    let mut bytes = Vec::new();
    fs::File::open(path)?.take(limit as u64).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        let is_continuation = |at: usize| bytes.get(at).is_some_and(|b| b & 0b1100_0000 == 0b1000_0000);
        let cut = (MAX_SOURCE_BYTES + 1..bytes.len()).find(|&at| !is_continuation(at)).unwrap_or(bytes.len());
        bytes.truncate(cut);
    }
    Ok(bytes)
}

pub(crate) fn cannot_read(path: &Path, error: &io::Error) -> String {
    format!("cannot read `{}`: {}", path.display(), describe(error))
}

/// An I/O error in words, without the `(os error 2)` suffix.
/// An I/O error in words, without the `(os error 2)` suffix.
pub(crate) fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Replaces `path` with `bytes` through a temporary file in the same directory (keeping
/// the permissions of the file it replaces, if any): readers see the old file or the new
/// one, never a part, and a failure leaves no temporary behind.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    let written = fs::File::create(&temp).and_then(|mut file| {
        io::Write::write_all(&mut file, bytes)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()
    });
    let renamed = written.and_then(|()| fs::rename(&temp, path));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    renamed
}

fn display_name(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A fresh, empty directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("komo-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn touch(dir: &Path, relative: &str, content: &[u8]) {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    #[test]
    fn walks_sorted_and_skips_what_is_not_source() {
        let dir = scratch("walk");
        for file in [
            "b.komo",
            "a/z.komo",
            "a/b.komo",
            "notes.txt",
            ".hidden/x.komo",
            ".git/y.komo",
            "target/debug/t.komo",
            "node_modules/m.komo",
            ".swap.komo",
            "deep/er/still.komo",
        ] {
            touch(&dir, file, b"");
        }
        let (files, problems) = collect(std::slice::from_ref(&dir));
        assert!(problems.is_empty(), "{problems:?}");
        let relative: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(relative, ["a/b.komo", "a/z.komo", "b.komo", "deep/er/still.komo"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_is_taken_as_given_and_only_once() {
        let dir = scratch("once");
        touch(&dir, "w.komo", b"");
        touch(&dir, "plain.txt", b"");
        let file = dir.join("w.komo");
        let (files, problems) = collect(&[file.clone(), dir.join("plain.txt"), dir.clone()]);
        assert!(problems.is_empty());
        assert_eq!(files.len(), 2);
        assert_eq!(files.first().map(|f| &f.path), Some(&file));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_paths_are_problems() {
        let (files, problems) = collect(&[PathBuf::from("no/such/place.komo")]);
        assert!(files.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("cannot read `no/such/place.komo`: "), "{problems:?}");
        assert!(!problems[0].contains("os error"), "{problems:?}");
    }

    #[test]
    fn names_drop_a_leading_dot_slash() {
        assert_eq!(display_name(Path::new("./workflows/a.komo")), "workflows/a.komo");
        assert_eq!(display_name(Path::new("workflows/a.komo")), "workflows/a.komo");
        assert_eq!(display_name(Path::new("../x/a.komo")), "../x/a.komo");
    }

    #[test]
    fn large_files_are_read_only_past_the_limit_and_cut_between_characters() {
        let dir = scratch("large");
        // "é" is two bytes: a one-byte prefix makes the limit fall inside a character.
        let mut content = b"x".to_vec();
        while content.len() < MAX_SOURCE_BYTES + 100 {
            content.extend_from_slice("é".as_bytes());
        }
        touch(&dir, "big.komo", &content);
        let bytes = read_source(&dir.join("big.komo")).unwrap();
        assert!(bytes.len() > MAX_SOURCE_BYTES && bytes.len() <= MAX_SOURCE_BYTES + 4);
        assert!(std::str::from_utf8(&bytes).is_ok());

        touch(&dir, "small.komo", "é".as_bytes());
        assert_eq!(read_source(&dir.join("small.komo")).unwrap(), "é".as_bytes());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporary() {
        let dir = std::env::temp_dir().join(format!("komo-compile-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("ir.json");
        fs::write(&out, "old").unwrap();
        write_atomically(&out, b"new").unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "new");
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["ir.json"]);
        assert!(write_atomically(&dir.join("missing/ir.json"), b"x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_writes_keep_permissions_and_leave_no_temporary() {
        let dir = std::env::temp_dir().join(format!("komo-fmt-write-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.komo");
        fs::write(&file, "old").unwrap();
        let mut readonly = fs::metadata(&file).unwrap().permissions();
        readonly.set_readonly(true);
        fs::set_permissions(&file, readonly).unwrap();
        write_atomically(&file, b"new").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert!(fs::metadata(&file).unwrap().permissions().readonly());
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.komo"]);
        fs::remove_dir_all(dir).unwrap();
    }
}

/// Every `.komo` file under `paths`, read and decoded into one source map.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    pub sources: crate::source::SourceMap,
    /// Decoding findings (invalid UTF-8).
    pub diagnostics: Vec<crate::diagnostics::Diagnostic>,
    /// Paths that could not be read, worded for stderr.
    pub problems: Vec<String>,
}

/// Collects and reads `paths` (files, or directories walked for `.komo` files).
pub(crate) fn read_sources(paths: &[PathBuf]) -> Sources {
    let (found, mut problems) = collect(paths);
    let mut sources = crate::source::SourceMap::new();
    let mut diagnostics = Vec::new();
    for SourcePath { path, name } in &found {
        match read_source(path) {
            Ok(bytes) => {
                let id = crate::source::FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
                let (text, decoded) = crate::syntax::decode_source(id, &bytes);
                sources.add(name.as_str(), text);
                diagnostics.extend(decoded);
            }
            Err(error) => problems.push(cannot_read(path, &error)),
        }
    }
    Sources { sources, diagnostics, problems }
}
