//! Every `sdm` command shown in the README and the guides parses: each is run with `--help`
//! appended, which makes clap check every documented subcommand, option and value on the way.
//! (Running them for real would need the real API; the end-to-end tests cover behaviour.)

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
                let output = Command::new(env!("CARGO_BIN_EXE_sdm"))
                    .args(&args)
                    .arg("--help")
                    .env_remove("SDM_BASE_URL")
                    .env_remove("SDM_TOKEN")
                    .output()
                    .unwrap();
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
