//! `cargo xtask api [--check]`: the public API of sdm-core as a sorted text listing, kept in
//! `crates/sdm-core/public-api.txt`, so an accidental breaking change shows up in review.
//!
//! The listing is read from rustdoc's JSON output (an unstable rustdoc format: this task sets
//! `RUSTC_BOOTSTRAP=1` for that one rustdoc run). Each public item is one line: modules,
//! structs with their public fields, enums with their variants, traits, functions and methods
//! with their signatures, and the traits each type implements (auto traits left out).
//! `--check` fails when the committed listing differs; without it the file is rewritten.

use std::collections::{BTreeSet, HashSet};
use std::process::Command;

use serde_json::Value;

const CRATE: &str = "sdm-core";
const JSON: &str = "target/doc/sdm_core.json";
const LISTING: &str = "crates/sdm-core/public-api.txt";

pub fn run(check: bool) -> Result<(), String> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "rustdoc",
            "-q",
            "--locked",
            "-p",
            CRATE,
            "--lib",
            "--",
            "-Z",
            "unstable-options",
        ])
        .args(["--output-format", "json"])
        .status()
        .map_err(|e| format!("cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err("cargo rustdoc --output-format json failed".into());
    }
    let text = std::fs::read_to_string(JSON).map_err(|e| format!("{JSON}: {e}"))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{JSON}: {e}"))?;
    let listing = Lister::new(&doc).listing();
    if check {
        let committed = std::fs::read_to_string(LISTING).unwrap_or_default();
        if committed != listing {
            return Err(format!(
                "the public API of {CRATE} changed: run `cargo xtask api` and review the diff of {LISTING}"
            ));
        }
        println!(
            "{LISTING} matches the public API ({} lines)",
            listing.lines().count()
        );
    } else {
        std::fs::write(LISTING, &listing).map_err(|e| format!("{LISTING}: {e}"))?;
        println!("wrote {LISTING} ({} lines)", listing.lines().count());
    }
    Ok(())
}

struct Lister<'a> {
    index: &'a serde_json::Map<String, Value>,
    root: String,
    lines: BTreeSet<String>,
    seen: HashSet<String>,
}

impl<'a> Lister<'a> {
    fn new(doc: &'a Value) -> Self {
        let index = doc["index"].as_object().expect("rustdoc JSON has an index");
        Self {
            index,
            root: doc["root"].to_string(),
            lines: BTreeSet::new(),
            seen: HashSet::new(),
        }
    }

    fn item(&self, id: &Value) -> Option<&'a Value> {
        item_in(self.index, id)
    }

    fn listing(mut self) -> String {
        let root = self
            .index
            .get(&self.root)
            .expect("the crate root is in the index");
        self.module("sdm_core", root);
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn module(&mut self, path: &str, module: &Value) {
        for id in module["inner"]["module"]["items"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(item) = self.item(id) else { continue };
            if item["visibility"] != "public" {
                continue;
            }
            if let Some(used) = item["inner"].get("use") {
                // A re-export: list the target under the name it is exported as.
                let name = used["name"].as_str().unwrap_or("?");
                match self.item(&used["id"]) {
                    Some(target) => self.named(&format!("{path}::{name}"), target),
                    None => {
                        self.lines.insert(format!(
                            "pub use {path}::{name} (from {})",
                            used["source"].as_str().unwrap_or("?")
                        ));
                    }
                }
            } else if let Some(name) = item["name"].as_str() {
                self.named(&format!("{path}::{name}"), item);
            }
        }
    }

    fn named(&mut self, path: &str, item: &Value) {
        let index = self.index;
        if !self.seen.insert(format!("{path}#{}", item["id"])) {
            return;
        }
        let inner = &item["inner"];
        let attrs = if item["attrs"].to_string().contains("non_exhaustive") {
            "#[non_exhaustive] "
        } else {
            ""
        };
        if inner.get("module").is_some() {
            self.lines.insert(format!("pub mod {path}"));
            self.module(path, item);
        } else if let Some(s) = inner.get("struct") {
            self.lines.insert(format!(
                "{attrs}pub struct {path}{}",
                generics(&s["generics"])
            ));
            if let Some(fields) = s["kind"]["plain"]["fields"].as_array() {
                for field in fields.iter().filter_map(|id| item_in(index, id)) {
                    if field["visibility"] == "public" {
                        let ty = render(&field["inner"]["struct_field"]);
                        self.lines.insert(format!(
                            "pub {path}::{}: {ty}",
                            field["name"].as_str().unwrap_or("?")
                        ));
                    }
                }
            }
            self.impls(path, &s["impls"]);
        } else if let Some(e) = inner.get("enum") {
            self.lines.insert(format!(
                "{attrs}pub enum {path}{}",
                generics(&e["generics"])
            ));
            for variant in e["variants"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| item_in(index, id))
            {
                let kind = &variant["inner"]["variant"]["kind"];
                let shape = match kind.get("tuple").and_then(Value::as_array) {
                    Some(fields) => {
                        let types: Vec<String> = fields
                            .iter()
                            .filter_map(|id| item_in(index, id))
                            .map(|f| render(&f["inner"]["struct_field"]))
                            .collect();
                        format!("({})", types.join(", "))
                    }
                    None if kind.get("struct").is_some() => " { .. }".to_owned(),
                    None => String::new(),
                };
                self.lines.insert(format!(
                    "pub {path}::{}{shape}",
                    variant["name"].as_str().unwrap_or("?")
                ));
            }
            self.impls(path, &e["impls"]);
        } else if let Some(t) = inner.get("trait") {
            self.lines
                .insert(format!("pub trait {path}{}", generics(&t["generics"])));
            for member in t["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| item_in(index, id))
            {
                self.member(path, member);
            }
        } else if inner.get("function").is_some() {
            self.member(
                path.rsplit_once("::").map_or(path, |(parent, _)| parent),
                item,
            );
        } else if let Some(c) = inner.get("constant") {
            self.lines
                .insert(format!("pub const {path}: {}", render(&c["type"])));
        } else if let Some(t) = inner.get("type_alias") {
            self.lines
                .insert(format!("pub type {path} = {}", render(&t["type"])));
        } else if inner.get("macro").is_some() {
            self.lines.insert(format!("macro {path}!"));
        } else {
            let kind = inner
                .as_object()
                .and_then(|o| o.keys().next())
                .map_or("?", String::as_str);
            self.lines.insert(format!("pub {kind} {path}"));
        }
    }

    /// Inherent methods (public ones) and implemented traits (auto and blanket impls left out).
    fn impls(&mut self, path: &str, impls: &Value) {
        let index = self.index;
        for imp in impls
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| item_in(index, id))
        {
            let imp = &imp["inner"]["impl"];
            if imp["is_synthetic"] == true || !imp["blanket_impl"].is_null() {
                continue;
            }
            match imp["trait"].as_object() {
                Some(tr) => {
                    let tr = path_text(&Value::Object(tr.clone()));
                    self.lines.insert(format!("impl {tr} for {path}"));
                }
                None => {
                    for method in imp["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|id| item_in(index, id))
                    {
                        if method["visibility"] == "public" {
                            self.member(path, method);
                        }
                    }
                }
            }
        }
    }

    fn member(&mut self, owner: &str, item: &Value) {
        let name = item["name"].as_str().unwrap_or("?");
        if let Some(f) = item["inner"].get("function") {
            let header = &f["header"];
            let asyncness = if header["is_async"] == true {
                "async "
            } else {
                ""
            };
            let inputs: Vec<String> = f["sig"]["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|pair| match (pair[0].as_str(), render(&pair[1])) {
                    (Some("self"), ty) if ty == "Self" => "self".to_owned(),
                    (Some("self"), ty) if ty == "&Self" => "&self".to_owned(),
                    (Some("self"), ty) if ty == "&mut Self" => "&mut self".to_owned(),
                    (Some(arg), ty) => format!("{arg}: {ty}"),
                    (None, ty) => ty,
                })
                .collect();
            let output = match &f["sig"]["output"] {
                Value::Null => String::new(),
                ty => format!(" -> {}", render(ty)),
            };
            let generics = generics(&f["generics"]);
            self.lines.insert(format!(
                "pub {asyncness}fn {owner}::{name}{generics}({}){output}",
                inputs.join(", ")
            ));
        } else if let Some(t) = item["inner"].get("assoc_type") {
            let _ = t;
            self.lines.insert(format!("type {owner}::{name}"));
        } else if item["inner"].get("assoc_const").is_some() {
            self.lines.insert(format!("const {owner}::{name}"));
        }
    }
}

fn item_in<'a>(index: &'a serde_json::Map<String, Value>, id: &Value) -> Option<&'a Value> {
    index.get(&id.to_string())
}

fn generics(generics: &Value) -> String {
    let names: Vec<String> = generics["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["kind"]
                .get("type")
                .is_some_and(|t| t["is_synthetic"] != true)
                || p["kind"].get("lifetime").is_some()
                || p["kind"].get("const").is_some()
        })
        .map(|p| {
            let name = p["name"].as_str().unwrap_or("?").to_owned();
            let bounds: Vec<String> = p["kind"]["type"]["bounds"]
                .as_array()
                .into_iter()
                .flatten()
                .map(bound)
                .collect();
            if bounds.is_empty() {
                name
            } else {
                format!("{name}: {}", bounds.join(" + "))
            }
        })
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("<{}>", names.join(", "))
    }
}

fn bound(bound: &Value) -> String {
    if let Some(tb) = bound.get("trait_bound") {
        path_text(&tb["trait"])
    } else if let Some(lifetime) = bound.get("outlives").and_then(Value::as_str) {
        lifetime.to_owned()
    } else {
        "?".to_owned()
    }
}

fn path_text(path: &Value) -> String {
    let name = path["path"].as_str().unwrap_or("?").to_owned();
    let args = &path["args"];
    if let Some(angle) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = angle["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| match arg {
                Value::Object(o) if o.contains_key("type") => render(&o["type"]),
                Value::Object(o) if o.contains_key("lifetime") => {
                    o["lifetime"].as_str().unwrap_or("'_").to_owned()
                }
                other => other.to_string(),
            })
            .collect();
        for constraint in angle["constraints"].as_array().into_iter().flatten() {
            let ty = constraint["binding"]["equality"]["type"].clone();
            parts.push(format!(
                "{} = {}",
                constraint["name"].as_str().unwrap_or("?"),
                render(&ty)
            ));
        }
        if parts.is_empty() {
            name
        } else {
            format!("{name}<{}>", parts.join(", "))
        }
    } else if let Some(paren) = args.get("parenthesized") {
        let inputs: Vec<String> = paren["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(render)
            .collect();
        let output = match &paren["output"] {
            Value::Null => String::new(),
            ty => format!(" -> {}", render(ty)),
        };
        format!("{name}({}){output}", inputs.join(", "))
    } else {
        name
    }
}

/// A rustdoc JSON type as Rust-like text.
fn render(ty: &Value) -> String {
    let Some((kind, inner)) = ty.as_object().and_then(|o| o.iter().next()) else {
        return "?".into();
    };
    match kind.as_str() {
        "resolved_path" => path_text(inner),
        "generic" | "primitive" => inner.as_str().unwrap_or("?").to_owned(),
        "borrowed_ref" => {
            let lifetime = inner["lifetime"]
                .as_str()
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let mutable = if inner["is_mutable"] == true {
                "mut "
            } else {
                ""
            };
            format!("&{lifetime}{mutable}{}", render(&inner["type"]))
        }
        "tuple" => {
            let parts: Vec<String> = inner.as_array().into_iter().flatten().map(render).collect();
            format!("({})", parts.join(", "))
        }
        "slice" => format!("[{}]", render(inner)),
        "array" => format!(
            "[{}; {}]",
            render(&inner["type"]),
            inner["len"].as_str().unwrap_or("?")
        ),
        "impl_trait" => {
            let bounds: Vec<String> = inner.as_array().into_iter().flatten().map(bound).collect();
            format!("impl {}", bounds.join(" + "))
        }
        "dyn_trait" => {
            let traits: Vec<String> = inner["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| path_text(&t["trait"]))
                .collect();
            format!("dyn {}", traits.join(" + "))
        }
        "qualified_path" => {
            let self_type = render(&inner["self_type"]);
            let name = inner["name"].as_str().unwrap_or("?");
            match inner["trait"]["path"]
                .as_str()
                .is_some_and(|p| !p.is_empty())
            {
                true => format!("<{self_type} as {}>::{name}", path_text(&inner["trait"])),
                false => format!("{self_type}::{name}"),
            }
        }
        "raw_pointer" => format!(
            "*{} {}",
            if inner["is_mutable"] == true {
                "mut"
            } else {
                "const"
            },
            render(&inner["type"])
        ),
        other => other.to_owned(),
    }
}
