//! A file's bytes kept for later, when its CSV cannot be parsed yet (the `skip_lines` part
//! comes after the `file` part): in memory up to [`MEMORY_LIMIT`], then on disk, as Django's
//! upload handlers do, so a large upload still costs little memory.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes kept in memory before the stash moves to a temporary file.
const MEMORY_LIMIT: usize = 8 << 20;
/// The size of the pieces a stash is read back in.
const READ_PIECE: usize = 64 * 1024;

/// Distinguishes the temporary files of one process.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// Bytes in memory or in a temporary file (removed when the stash is dropped).
#[derive(Debug, Default)]
pub(crate) struct Stash {
    memory: Vec<u8>,
    disk: Option<(File, PathBuf)>,
    failed: bool,
}

impl Stash {
    /// Appends bytes. A failure to write the temporary file is remembered for
    /// [`Stash::replay`].
    pub(crate) fn push(&mut self, data: &[u8]) {
        if self.failed {
            return;
        }
        if self.disk.is_none() && self.memory.len() + data.len() <= MEMORY_LIMIT {
            self.memory.extend_from_slice(data);
            return;
        }
        if let Err(error) = self.write_to_disk(data) {
            tracing::warn!(%error, "sdm-mock could not stash an upload on disk");
            self.failed = true;
        }
    }

    /// Moves to disk if not there yet, then appends `data` there.
    fn write_to_disk(&mut self, data: &[u8]) -> io::Result<()> {
        if self.disk.is_none() {
            let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("sdm-mock-upload-{}-{n}", std::process::id()));
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.disk = Some((file, path));
        }
        if let Some((file, _)) = &mut self.disk {
            file.write_all(data)?;
        }
        Ok(())
    }

    /// Hands every byte, in order and in pieces, to `f`.
    pub(crate) fn replay(mut self, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other("the upload could not be stashed"));
        }
        match &mut self.disk {
            None => {
                for piece in self.memory.chunks(READ_PIECE) {
                    f(piece);
                }
            }
            Some((file, _)) => {
                file.rewind()?;
                let mut buf = vec![0; READ_PIECE];
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    f(&buf[..n]);
                }
            }
        }
        Ok(())
    }
}

impl Drop for Stash {
    fn drop(&mut self) {
        if let Some((_, path)) = self.disk.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replayed(stash: Stash) -> Vec<u8> {
        let mut out = Vec::new();
        stash.replay(|piece| out.extend_from_slice(piece)).unwrap();
        out
    }

    #[test]
    fn small_stashes_stay_in_memory_large_ones_go_to_disk_and_are_removed() {
        let mut small = Stash::default();
        small.push(b"abc");
        small.push(b"def");
        assert!(small.disk.is_none());
        assert_eq!(replayed(small), b"abcdef");

        let piece: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
        let mut large = Stash::default();
        for _ in 0..9 {
            large.push(&piece);
        }
        let path = large.disk.as_ref().unwrap().1.clone();
        assert!(path.exists());
        let back = replayed(large);
        assert_eq!(back.len(), 9 << 20);
        assert!(back.chunks(1 << 20).all(|c| c == piece));
        assert!(!path.exists());
    }
}
