//! Which files a run lints: explicit files as given, directories walked honouring
//! `.gitignore` (and `.ignore`), keeping `.yaml`, `.yml` and `.json`.

use std::path::{Path, PathBuf};

use crate::engine::Input;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

fn has_pipeline_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A path named on the command line that does not exist.
#[derive(Debug)]
pub struct MissingPath(pub PathBuf);

/// Expands paths into the files to lint, sorted and without duplicates.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, MissingPath> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.is_dir() {
            let walker = ignore::WalkBuilder::new(path)
                .hidden(false)
                .require_git(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walker.flatten() {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if is_file && has_pipeline_extension(entry.path()) {
                    inputs.push(Input {
                        path: entry.into_path(),
                        explicit: false,
                        config: None,
                    });
                }
            }
        } else if path.exists() || path.is_symlink() {
            inputs.push(Input {
                path: path.clone(),
                explicit: true,
                config: None,
            });
        } else {
            return Err(MissingPath(path.clone()));
        }
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    inputs.dedup_by(|a, b| a.path == b.path);
    Ok(inputs)
}
