//! Saved logins: named profiles of (base URL, token) in the user's config directory.
//!
//! `sdm login` saves a profile; every command reads one when no `--token`, `--token-file` or
//! `SDM_TOKEN` is given. The file is `sdm/credentials.json` in the config directory
//! (`$XDG_CONFIG_HOME`, else `$HOME/.config`; `%APPDATA%` on Windows). It holds secrets, so:
//! - it is written whole to a temporary file in the same directory (mode 0600, as `tempfile`
//!   creates it), flushed to disk, then renamed over the old one: a crash leaves the old file
//!   or the new one, never half of either; the directory is created mode 0700;
//! - on Unix a file that group or others may read is refused, with the `chmod` that fixes it,
//!   as ssh refuses such a key;
//! - a token never appears in a `Debug` dump or an error, not even one about a broken file
//!   (JSON errors are told by line and column only: serde's own text may quote values).
//!
//! Each profile keeps the base URL it was saved with, and the token is only sent there.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sdm_ureq::{BaseUrl, Token};
use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// The profile used when neither `--profile` nor `SDM_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";
/// The credentials file's name, in the `sdm` directory of the config directory.
const FILE_NAME: &str = "credentials.json";
/// The largest credentials file read: a few profiles take a few hundred bytes.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// The longest profile name.
const MAX_NAME_CHARS: usize = 64;
/// The file format's version, written and checked.
const FORMAT_VERSION: u64 = 1;

/// A profile name: 1 to 64 ASCII letters, digits, `-`, `_` or `.`, not starting with `-` or
/// `.`; so no name is a path, an option, or hidden.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProfileName(String);

impl ProfileName {
    /// Checks `text` as a profile name; the error says what a name may hold.
    pub fn parse(text: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let valid = !text.is_empty()
            && text.len() <= MAX_NAME_CHARS
            && text.chars().all(allowed)
            && !text.starts_with(['-', '.']);
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "a profile name is 1 to {MAX_NAME_CHARS} ASCII letters, digits, '-', '_' or \
                 '.', not starting with '-' or '.'"
            ))
        }
    }
}

impl Default for ProfileName {
    fn default() -> Self {
        Self(DEFAULT_PROFILE.to_owned())
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One saved login. `Debug` shows the token as `[redacted]` (it is a [`Token`]).
#[derive(Clone, Debug)]
pub struct Profile {
    /// The API the token belongs to, and the only one it is sent to.
    pub base_url: BaseUrl,
    /// The API token.
    pub token: Token,
}

/// Every saved profile, by name.
#[derive(Debug, Default)]
pub struct Profiles {
    by_name: BTreeMap<ProfileName, Profile>,
}

impl Profiles {
    /// The profile saved under `name`.
    pub fn get(&self, name: &ProfileName) -> Option<&Profile> {
        self.by_name.get(name)
    }

    /// Saves `profile` under `name`, replacing any profile of that name.
    pub fn insert(&mut self, name: ProfileName, profile: Profile) {
        self.by_name.insert(name, profile);
    }

    /// Removes the profile `name`; whether there was one.
    pub fn remove(&mut self, name: &ProfileName) -> bool {
        self.by_name.remove(name).is_some()
    }

    /// Whether no profile is left.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// The file as stored. Unknown fields are ignored, for files written by a newer `sdm`.
#[derive(Serialize, Deserialize)]
struct StoredFile {
    version: u64,
    profiles: BTreeMap<String, StoredProfile>,
}

#[derive(Serialize, Deserialize)]
struct StoredProfile {
    base_url: String,
    token: String,
}

/// The credentials file of this user: where it is, reading and writing it.
#[derive(Clone, Debug)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// The credentials file in the config directory the environment names, if it names one.
    pub fn locate() -> Option<Store> {
        config_dir(|name| std::env::var_os(name)).map(|dir| Store::in_config_dir(&dir))
    }

    /// The credentials file under the config directory `dir`.
    pub fn in_config_dir(dir: &Path) -> Store {
        Store {
            path: dir.join("sdm").join(FILE_NAME),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved profiles; none when the file does not exist. Refused: a file others may read
    /// (Unix), one that is not a regular file or is too large, and one that does not parse.
    pub fn load(&self) -> Result<Profiles, CliError> {
        let path = self.path.display();
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Profiles::default()),
            Err(e) => {
                return Err(CliError::io(
                    format!("could not read the credentials file {path}"),
                    e,
                ));
            }
        };
        let unreadable = |e| CliError::io(format!("could not read the credentials file {path}"), e);
        let metadata = file.metadata().map_err(unreadable)?;
        if !metadata.is_file() {
            return Err(CliError::usage(format!(
                "the credentials file {path} is not a regular file"
            )));
        }
        check_private(&self.path, &metadata)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(CliError::usage(format!(
                "the credentials file {path} is larger than {MAX_FILE_BYTES} bytes: it is not \
                 one sdm wrote"
            )));
        }
        parse(&bytes).map_err(|problem| {
            CliError::usage(format!(
                "the credentials file {path} is damaged ({problem}): fix it, or remove it and \
                 log in again"
            ))
        })
    }

    /// Writes `profiles` in place of the file, atomically; removes the file when there are
    /// none left.
    pub fn save(&self, profiles: &Profiles) -> Result<(), CliError> {
        let path = self.path.display();
        let failed = |e| CliError::io(format!("could not write the credentials file {path}"), e);
        if profiles.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
                _ => Ok(()),
            };
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(failed)?;
        let stored = StoredFile {
            version: FORMAT_VERSION,
            profiles: profiles
                .by_name
                .iter()
                .map(|(name, profile)| {
                    let stored = StoredProfile {
                        base_url: profile.base_url.as_str().to_owned(),
                        token: profile.token.expose().to_owned(),
                    };
                    (name.0.clone(), stored)
                })
                .collect(),
        };
        let mut text = serde_json::to_vec_pretty(&stored).map_err(std::io::Error::other);
        if let Ok(text) = &mut text {
            text.push(b'\n');
        }
        let text = text.map_err(failed)?;
        // Mode 0600 from creation on (tempfile's default on Unix), so the secret is never
        // readable by others, not even for a moment.
        let mut temporary = tempfile::Builder::new()
            .prefix(".credentials.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(failed)?;
        temporary.write_all(&text).map_err(failed)?;
        temporary.as_file().sync_all().map_err(failed)?;
        temporary.persist(&self.path).map_err(|e| failed(e.error))?;
        sync_dir(dir);
        Ok(())
    }
}

/// Parses the file's bytes; the problem is told without quoting the file.
fn parse(bytes: &[u8]) -> Result<Profiles, String> {
    let stored: StoredFile = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not the expected JSON at line {}, column {}",
            e.line(),
            e.column()
        )
    })?;
    if stored.version != FORMAT_VERSION {
        return Err(format!(
            "format version {}, where this sdm reads {FORMAT_VERSION}",
            stored.version
        ));
    }
    let mut profiles = Profiles::default();
    for (name, profile) in stored.profiles {
        let name =
            ProfileName::parse(&name).map_err(|_| "a profile name is not valid".to_owned())?;
        let base_url = BaseUrl::parse(&profile.base_url)
            .map_err(|_| format!("profile {name} has a base URL that is not one"))?;
        if profile.token.is_empty() || !profile.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("profile {name} has a token that is not one"));
        }
        let token = Token::new(profile.token);
        profiles.insert(name, Profile { base_url, token });
    }
    Ok(profiles)
}

/// The config directory named by the environment (`var` reads it): `$XDG_CONFIG_HOME`, else
/// `$HOME/.config`, on Unix (macOS included, as gh and most command-line tools do);
/// `%APPDATA%` on Windows. Relative paths are ignored, as the XDG spec says. A dozen lines of
/// rule, which is why no crate is used for it.
pub fn config_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        var(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if cfg!(windows) {
        return absolute("APPDATA");
    }
    absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|home| home.join(".config")))
}

/// Refuses a credentials file that group or others may read or write.
#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let path = path.display();
        return Err(CliError::usage(format!(
            "the credentials file {path} is accessible by other users (mode {mode:04o}), so \
             its tokens are not used: run `chmod 600 {path}`"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), CliError> {
    // The user's profile directory (%APPDATA%) is private by its ACL.
    Ok(())
}

/// Creates `dir` and its missing parents, mode 0700 on Unix (an existing one is left as it is).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Flushes the directory entry of the rename to disk (Unix); best effort, since the file's own
/// content already is.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0b5e1c5e-aaaa-4bbb-8ccc-123456789abc";

    fn profile(url: &str, token: &str) -> Profile {
        Profile {
            base_url: BaseUrl::parse(url).unwrap(),
            token: Token::new(token),
        }
    }

    #[test]
    fn profile_names_are_never_paths_or_options() {
        for good in ["default", "work", "ci-2", "eu.prod", "A_b", &"x".repeat(64)] {
            assert_eq!(ProfileName::parse(good).unwrap().to_string(), good);
        }
        for bad in [
            "",
            "../x",
            "a/b",
            "a\\b",
            ".hidden",
            "-p",
            "..",
            "sp ace",
            "caf\u{e9}",
            "nul\0",
            &"x".repeat(65),
        ] {
            assert!(ProfileName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_config_dir_follows_xdg_then_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| OsString::from(value))
            }
        };
        let both = env(&[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/u")]);
        assert_eq!(config_dir(both), Some(PathBuf::from("/xdg")));
        let home = env(&[("HOME", "/home/u")]);
        assert_eq!(config_dir(home), Some(PathBuf::from("/home/u/.config")));
        let relative = env(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/home/u")]);
        assert_eq!(config_dir(relative), Some(PathBuf::from("/home/u/.config")));
        let empty = env(&[("XDG_CONFIG_HOME", ""), ("HOME", "")]);
        assert_eq!(config_dir(empty), None);
        assert_eq!(
            Store::in_config_dir(Path::new("/xdg")).path(),
            Path::new("/xdg/sdm/credentials.json")
        );
    }

    #[test]
    fn profiles_round_trip_and_the_last_one_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_config_dir(&dir.path().join("config"));
        assert!(store.load().unwrap().is_empty(), "no file: no profiles");

        let mut profiles = Profiles::default();
        let work = ProfileName::parse("work").unwrap();
        profiles.insert(
            ProfileName::default(),
            profile("https://sdm.example/api/v1", TOKEN),
        );
        profiles.insert(work.clone(), profile("http://127.0.0.1:9/api/v1/", "other"));
        store.save(&profiles).unwrap();

        let loaded = store.load().unwrap();
        let default = loaded.get(&ProfileName::default()).unwrap();
        assert_eq!(default.base_url.as_str(), "https://sdm.example/api/v1/");
        assert_eq!(default.token.expose(), TOKEN);
        assert_eq!(loaded.get(&work).unwrap().token.expose(), "other");
        assert!(!format!("{loaded:?}").contains(TOKEN), "{loaded:?}");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.path()), 0o600);
            assert_eq!(mode(store.path().parent().unwrap()), 0o700);
        }
        let names = std::fs::read_dir(store.path().parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(names, ["credentials.json"], "no temporary file left");

        let mut loaded = loaded;
        assert!(loaded.remove(&work));
        assert!(!loaded.remove(&work));
        store.save(&loaded).unwrap();
        assert!(store.load().unwrap().get(&work).is_none());
        assert!(loaded.remove(&ProfileName::default()));
        store.save(&loaded).unwrap();
        assert!(
            !store.path().exists(),
            "the file goes with its last profile"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_config_dir(dir.path());
        let mut profiles = Profiles::default();
        profiles.insert(
            ProfileName::default(),
            profile("https://sdm.example/", TOKEN),
        );
        store.save(&profiles).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let error = store.load().unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, CliError::Usage { .. }), "{error:?}");
            assert!(
                text.contains(&format!("chmod 600 {}", store.path().display())),
                "{text}"
            );
            assert!(text.contains(&format!("{mode:04o}")), "{text}");
            assert!(!text.contains(TOKEN));
        }
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(store.load().is_ok(), "read-only for the owner is fine");
    }

    #[test]
    fn damaged_files_are_told_without_quoting_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_config_dir(dir.path());
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let write = |text: &str| {
            std::fs::write(store.path(), text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let private = std::fs::Permissions::from_mode(0o600);
                std::fs::set_permissions(store.path(), private).unwrap();
            }
        };
        for text in [
            format!(
                r#"{{"version": 1, "profiles": {{"default": {{"token": 5, "base_url": "{TOKEN}"}}}}}}"#
            ),
            format!(
                r#"{{"version": 1, "profiles": {{"default": {{"token": "{TOKEN} x", "base_url": "https://a/"}}}}}}"#
            ),
            format!(
                r#"{{"version": 1, "profiles": {{"../{TOKEN}": {{"token": "t", "base_url": "https://a/"}}}}}}"#
            ),
            format!(
                r#"{{"version": 1, "profiles": {{"d": {{"token": "t", "base_url": "{TOKEN}"}}}}}}"#
            ),
            format!(r#"{{"version": 2, "profiles": {{}}, "{TOKEN}": 1}}"#),
            TOKEN.to_owned(),
        ] {
            write(&text);
            let error = store.load().unwrap_err();
            let message = error.to_string();
            assert!(message.contains("is damaged"), "{message}");
            assert!(!message.contains(TOKEN), "{message}");
        }
        write(r#"{"version": 1, "profiles": {}, "newer": true}"#);
        assert!(
            store.load().unwrap().is_empty(),
            "unknown fields are ignored"
        );
    }
}
