//! The files pipelint touches besides linting them: reading untrusted files (configs,
//! policies, baselines, standard input, pipelines) only as regular files and only up to a
//! size, and writing the files the user named (`--output`, `--write-baseline`) only as
//! regular files, atomically.
//!
//! Every read of a named file and every write goes through here, so that the rules hold in
//! one place: a FIFO, device, socket or directory is never read (a FIFO blocks, `/dev/zero`
//! never ends) nor replaced (run as root, a rename over `/dev/null` would swap the device
//! node for a regular file).

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// A FIFO, device, socket or directory (what it is, for the message).
    NotRegular(&'static str),
    /// Over the size limit: the size seen (or the bytes read so far) and the limit.
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(kind) => write!(f, "not a regular file ({kind})"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "{size} bytes is over the {limit} byte limit")
            }
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What a file that is not a regular file is, for messages.
fn kind_of(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// Reads `path` (following symlinks) if it is a regular file of at most `limit` bytes.
/// The type is checked before opening, so that a FIFO is never opened (the open would block
/// until a writer comes), and again on the open file (the path may have been swapped).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let file = File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(&meta)));
    }
    // Room for the whole file and the one byte that tells it grew: read in place, not into
    // a buffer doubled and copied a dozen times on the way (`take` hides the file's size).
    let room = usize::try_from(meta.len().min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(room);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    // A file that grew while it was read.
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_regular`] for text: invalid UTF-8 is an I/O error of kind `InvalidData`.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// Reads at most `limit + 1` bytes, so that the caller can tell "exactly at the limit" from
/// "over it" without reading an endless stream (standard input, a growing file) to its end.
pub fn read_up_to(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why a named file was not written. The message names the file the user named and, when
/// it is a symlink, the file it points to (the one that would have been written).
#[derive(Debug)]
pub struct WriteError {
    pub message: String,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WriteError {}

/// How many symlinks are followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Writes `contents` to `path`, atomically: into a new temporary file next to the real
/// target, flushed to disk, then renamed over it. A symlink is followed and its target
/// written (the link stays a link); anything but a regular file (or a path that does not
/// exist yet) is refused and left as it was. An existing file keeps its permissions. On
/// every error the temporary file is removed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let (target, existing) = resolve_target(path).map_err(|reason| WriteError {
        message: format!("{}: {reason}", path.display()),
    })?;
    let name_it = |reason: String| WriteError {
        message: if target == path {
            format!("{}: {reason}", path.display())
        } else {
            format!(
                "{} (a link to {}): {reason}",
                path.display(),
                target.display()
            )
        },
    };
    let (mut file, temp) = create_temp_beside(&target).map_err(|e| name_it(e.to_string()))?;
    let written = (|| {
        if let Some(meta) = &existing {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(name_it(e.to_string()));
    }
    // The rename is durable once the folder is; a failure here loses nothing already written.
    if let Some(dir) = parent_of(&target) {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// The folder a path is in (`.` for a bare file name).
fn parent_of(path: &Path) -> Option<&Path> {
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Some(Path::new(".")),
        other => other,
    }
}

/// The file a write to `path` lands on: `path` itself or, through symlinks, what they point
/// to; with its metadata if it exists. Refuses anything that is not a regular file.
fn resolve_target(path: &Path) -> Result<(PathBuf, Option<Metadata>), String> {
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&target).map_err(|e| e.to_string())?;
                target = match parent_of(&target) {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(meta) if meta.is_file() => return Ok((target, Some(meta))),
            Ok(meta) => {
                let shown = if target == path {
                    String::new()
                } else {
                    format!(" {}", target.display())
                };
                return Err(format!(
                    "{}{shown} is {}, not a regular file; pipelint writes only regular files",
                    if target == path { "it" } else { "links to" },
                    kind_of(&meta)
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((target, None)),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("too many levels of symbolic links".into())
}

/// A new file next to `target`, named after it, the process and a counter, created with
/// `create_new` so that nothing already there (a file, or a link planted in its place) is
/// ever opened.
fn create_temp_beside(target: &Path) -> std::io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = parent_of(target).unwrap_or(Path::new("."));
    let stem = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{stem}.pipelint-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            // Left over by a process of the same id that was killed: try the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pipelint-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_through_a_symlink_and_keeps_permissions() {
        let dir = temp_dir("link");
        let real = dir.join("real.json");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.json");
        symlink("real.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(entries(&dir), ["link.json", "real.json"]);
        // A dangling link creates its target, as a shell redirection does.
        let dangling = dir.join("dangling.json");
        symlink("made.json", &dangling).unwrap();
        write_atomic(&dangling, b"x").unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("made.json")).unwrap(), "x");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = temp_dir("refuse");
        let e = write_atomic(&dir, b"x").unwrap_err().message;
        assert!(e.contains("is a directory, not a regular file"), "{e}");
        let e = write_atomic(Path::new("/dev/null"), b"x")
            .unwrap_err()
            .message;
        assert_eq!(
            e,
            "/dev/null: it is a character device, not a regular file; pipelint writes only regular files"
        );
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        let link = dir.join("null.json");
        symlink("/dev/null", &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err().message;
        assert!(
            e.contains("links to /dev/null is a character device"),
            "{e}"
        );
        assert_eq!(entries(&dir), ["null.json"]);
        let looped = dir.join("loop.json");
        symlink("loop.json", &looped).unwrap();
        let e = write_atomic(&looped, b"x").unwrap_err().message;
        assert!(e.contains("too many levels of symbolic links"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_only_regular_files_up_to_the_limit() {
        let dir = temp_dir("read");
        let file = dir.join("a.yaml");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), b"12345");
        let e = read_regular(&file, 4).unwrap_err().to_string();
        assert_eq!(e, "5 bytes is over the 4 byte limit");
        let e = read_regular(Path::new("/dev/zero"), 100)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "not a regular file (a character device)");
        let e = read_regular(&dir, 100).unwrap_err().to_string();
        assert_eq!(e, "not a regular file (a directory)");
        assert_eq!(read_up_to(std::io::repeat(b'x'), 10).unwrap().len(), 11);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
