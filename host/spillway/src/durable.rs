//! Small files that survive a crash: replaced atomically (write a temporary
//! file, fsync it, rename it over the old one, fsync the directory), so a
//! crash at any moment leaves either the old content or the new.

use std::io::Write;
use std::path::Path;

/// Replaces `file`'s content with `content`, atomically and durably.
pub fn replace(file: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let temporary = file.with_extension("tmp");
    let mut out = std::fs::File::create(&temporary)?;
    out.write_all(content)?;
    out.sync_all()?;
    std::fs::rename(&temporary, file)?;
    std::fs::File::open(dir)?.sync_all()
}
