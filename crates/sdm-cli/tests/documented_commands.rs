//! Every `sdm` command shown in the README and the guides parses: each is given to the hidden
//! `sdm __parse`, which parses it exactly as the binary would, required and conflicting options
//! included, without running it (`--help` would skip those checks). Running them for real would
//! need the real API; the end-to-end tests cover behaviour. And what docs/cli.md says to
//! install, completion scripts and man pages, is generated.

use std::path::Path;
use std::process::Command;

/// A job id to stand in for `$JOB` and friends in the recipes.
const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
/// A file id to stand in for `$FILE`.
const FILE: &str = "12";

/// The shell code blocks of a Markdown file, continuation lines joined.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap().replace("\\\n", " ")),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// Each `sdm …` invocation in a shell block, as its argument words.
fn invocations(block: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in block.lines() {
        let line = line.split(" #").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = find_command(rest) {
            let command = &rest[at + "sdm ".len()..];
            let end = command
                .find(['|', '>', '<', ';', ')', '&'])
                .unwrap_or(command.len());
            found.push(words(&command[..end]));
            rest = &command[end..];
        }
    }
    found
}

/// Where `sdm ` starts a command: at the start, or after a pipe, `&&`, `||`, `;` or `$(`.
fn find_command(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = text[from..].find("sdm ") {
        let at = from + offset;
        let before = text[..at].trim_end();
        if before.is_empty() || before.ends_with(['|', '&', ';', '(']) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn words(text: &str) -> Vec<String> {
    let mut previous = String::new();
    shell_words(text)
        .into_iter()
        .map(|word| {
            // A placeholder is a file id when named so, or given to `--file` (`--file "$F"`).
            let word_out =
                if word.starts_with("$FILE") || (word.starts_with('$') && previous == "--file") {
                    FILE.to_owned()
                } else if word.starts_with('$') {
                    JOB.to_owned()
                } else {
                    word.to_owned()
                };
            previous = word;
            word_out
        })
        .collect()
}

/// `text` split into words as a shell would, quotes (`"Offers week 49"`) keeping a word whole.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.get_or_insert_default().push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            None if c.is_whitespace() => words.extend(word.take()),
            None => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// The binary, with no `SDM_*` variable from the test's environment.
fn sdm() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sdm"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SDM_") {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn parsing_is_checked_for_real() {
    // What `--help` would let through is refused: a missing required argument, a conflict,
    // an option that needs another.
    for args in [
        &["jobs", "wait"][..],
        &["jobs", "list", "--limit", "3"],
        &["jobs", "list", "--all", "--page", "2"],
        &["jobs", "list", "--columns", "colour"],
        &["import", "--project", "3"],
        &["completions", "tcsh"],
    ] {
        let output = sdm().arg("__parse").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let output = sdm()
        .args(["__parse", "jobs", "list", "--all", "--limit", "3"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn completion_scripts_and_man_pages_are_generated() {
    let output = sdm().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    for word in [
        "_sdm",
        "jobs",
        "projects",
        "completions",
        "--columns",
        "--progress",
    ] {
        assert!(script.contains(word), "{word}");
    }
    // Valid bash, where bash is installed.
    if let Ok(check) = Command::new("bash").args(["-n", "-c", &script]).output() {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let output = sdm().arg("__man").arg(&out).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for page in [
        "sdm.1",
        "sdm-jobs.1",
        "sdm-jobs-list.1",
        "sdm-jobs-wait.1",
        "sdm-projects-list.1",
        "sdm-completions.1",
        "sdm-import.1",
    ] {
        assert!(names.iter().any(|name| name == page), "{page} in {names:?}");
    }
    assert!(
        names
            .iter()
            .all(|name| !name.contains("__") && !name.contains("help")),
        "{names:?}"
    );
    // One path per page on standard output.
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().lines().count(),
        names.len()
    );
    let list = std::fs::read_to_string(out.join("sdm-jobs-list.1")).unwrap();
    assert!(list.starts_with(".ie") || list.contains(".TH"), "{list}");
    assert!(list.contains("columns"), "{list}");
}

#[test]
fn every_documented_command_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let markdown = std::fs::read_to_string(file).unwrap();
        for block in shell_blocks(&markdown) {
            for args in invocations(&block) {
                let output = sdm().arg("__parse").args(&args).output().unwrap();
                checked += 1;
                if !output.status.success() {
                    failures.push(format!(
                        "{}: sdm {}\n{}",
                        file.file_name().unwrap().to_string_lossy(),
                        args.join(" "),
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} documented commands found");
    assert!(
        failures.is_empty(),
        "documented commands that do not parse:\n{}",
        failures.join("\n")
    );
}
