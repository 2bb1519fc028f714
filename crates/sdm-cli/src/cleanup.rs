//! Temporary files (`--out`, `--out-dir`) removed when a signal stops the process: SIGINT
//! (Ctrl-C), SIGTERM (`kill`, a CI runner's timeout) and SIGHUP (the terminal closed). Dropping
//! a `tempfile::NamedTempFile` removes it on every other way out, but a signal ends the process
//! without running destructors, and left `.FILE.XXXXXX.part` behind.
//!
//! Files are registered while they exist. The handler is installed with the first one, so a
//! command that writes no file keeps the default behaviour of every signal; once installed, it
//! removes the registered files (on a thread of its own, not in the signal handler) and then
//! ends the process as the signal would have (the shell sees the same status).

use std::io;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tempfile::NamedTempFile;

/// The temporary files that exist now.
static PARTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary file to remove if a signal stops the process, until this is dropped.
#[derive(Debug)]
pub struct Registered {
    path: PathBuf,
}

/// Creates a temporary file with `create` and registers it for removal on SIGINT, SIGTERM
/// and SIGHUP. The handler is installed first and the list locked while the file is made, so
/// a signal that comes once the file exists always finds it registered.
pub fn create_registered(
    create: impl FnOnce() -> io::Result<NamedTempFile>,
) -> io::Result<(NamedTempFile, Registered)> {
    install();
    let mut parts = parts();
    let temp = create()?;
    parts.push(temp.path().to_owned());
    let registered = Registered {
        path: temp.path().to_owned(),
    };
    Ok((temp, registered))
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut parts = parts();
        if let Some(index) = parts.iter().position(|p| *p == self.path) {
            parts.swap_remove(index);
        }
    }
}

fn parts() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while holding the lock leaves the list as valid as it was.
    PARTS.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(unix)]
fn install() {
    use std::sync::Once;

    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            // No handler: the files stay behind on a signal, as before; nothing else changes.
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("sdm-signals".to_owned())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // Held until the process ends: no file is registered (or renamed into
                    // place by a commit that unregisters it) meanwhile.
                    let parts = parts();
                    for path in parts.iter() {
                        let _ = std::fs::remove_file(path);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    // Only reached if the default action did not end the process.
                    std::process::exit(128 + signal);
                }
            });
        drop(spawned);
    });
}

#[cfg(not(unix))]
fn install() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_registered_while_their_guard_lives() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, registered) =
            create_registered(|| tempfile::NamedTempFile::new_in(dir.path())).unwrap();
        let path = temp.path().to_owned();
        assert!(parts().contains(&path));
        drop(registered);
        assert!(!parts().contains(&path));
        let failed = create_registered(|| Err(io::Error::other("no room")));
        assert!(failed.is_err());
    }
}
