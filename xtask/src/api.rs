//! `cargo xtask api [--check]`: the public API of sdm-core as a sorted text listing, kept in
//! `crates/sdm-core/public-api.txt`, so an accidental breaking change shows up in review.
//!
//! The listing is read from rustdoc's JSON output (an unstable rustdoc format: this task sets
//! `RUSTC_BOOTSTRAP=1` for that one rustdoc run). Each public item is one line, at every path
//! it is reachable by: modules, structs with their public fields, enums with their variants,
//! traits with their members, functions, and constants.
//!
//! - Types are spelled by the path a user writes: this crate's items by their public path
//!   (`sdm_core::JobId`, the shortest one when re-exported twice, never the private module the
//!   source named), other crates' items as [`render::external_path`] prints them (`Option`,
//!   `std::fmt::Debug`, `http::request::Request`).
//! - Generics keep their bounds and where clauses. A generic inherent impl block is a line
//!   (`impl<T: sdm_core::Transport> sdm_core::BlockingClient<T>`), and a method's line names the
//!   type it is on with the bounds its impl block puts on it, so that each line says on its own
//!   when the method exists:
//!   `pub fn sdm_core::BlockingClient<T>::config(&self) -> &sdm_core::ClientConfig where T: sdm_core::Transport`.
//! - Trait impls are lines, including the auto traits (`Send`, `Sync`, `Unpin`, `UnwindSafe`,
//!   `RefUnwindSafe`) of every public type, negated when a type lacks one
//!   (`impl !Sync for sdm_core::RowReader`) and with their conditions when they depend on a
//!   parameter (`impl<T> Send for sdm_core::BlockingClient<T> where T: Send + Sync`). Blanket
//!   impls (`impl<T> From<T> for T`) are not repeated for every type; this crate's own impls of
//!   its traits for types it does not list (`&T`, `Box<T>`, closures) are listed with the trait.
//!
//! `--check` fails when the committed listing differs; without it the file is rewritten.

mod render;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use render::{Renderer, external_path, list, where_clause};

const CRATE: &str = "sdm-core";
/// The JSON file rustdoc writes, under the target directory.
const JSON: &str = "doc/sdm_core.json";
/// The listing, under the workspace root.
const LISTING: &str = "crates/sdm-core/public-api.txt";
/// The auto traits each public type's listing states, implemented or not. (Rustdoc also reports
/// unstable ones, `Freeze` and `UnsafeUnpin`, which the listing leaves out.)
const AUTO_TRAITS: &[&str] = &["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

pub fn run(check: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let (workspace, target) = locations(&cargo)?;
    let status = Command::new(&cargo)
        .current_dir(&workspace)
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
    let json = target.join(JSON);
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?;
    let listing = Lister::new(&doc)?.listing();
    let file = workspace.join(LISTING);
    if check {
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
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
        std::fs::write(&file, &listing).map_err(|e| format!("{LISTING}: {e}"))?;
        println!("wrote {LISTING} ({} lines)", listing.lines().count());
    }
    Ok(())
}

/// The workspace root and the target directory, as cargo resolves them (so `CARGO_TARGET_DIR`
/// and `build.target-dir` are honoured, and the task runs from any directory).
pub(crate) fn locations(cargo: &str) -> Result<(PathBuf, PathBuf), String> {
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let dir = |key: &str| {
        metadata[key]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| format!("cargo metadata has no {key}"))
    };
    Ok((dir("workspace_root")?, dir("target_directory")?))
}

/// The public path of each item of the crate reachable from its root, keyed by item id: the
/// one with the fewest segments, then the first in sort order, when there are several.
fn public_paths(index: &serde_json::Map<String, Value>, root: &str) -> HashMap<String, String> {
    let mut paths: HashMap<String, String> = HashMap::new();
    let Some(krate) = index.get(root) else {
        return paths;
    };
    let mut queue = VecDeque::from([(krate, krate["name"].as_str().unwrap_or("?").to_owned())]);
    let mut visited = HashSet::from([root.to_owned()]);
    while let Some((module, path)) = queue.pop_front() {
        for (id, name) in exports(index, module) {
            if !index.contains_key(&id) {
                // Another crate's item: named by its own crate's path, not by this re-export.
                continue;
            }
            let candidate = format!("{path}::{name}");
            let better = paths.get(&id).is_none_or(|known| {
                (candidate.matches("::").count(), &candidate) < (known.matches("::").count(), known)
            });
            if better {
                paths.insert(id.clone(), candidate.clone());
            }
            if let Some(item) = index.get(&id)
                && item["inner"].get("module").is_some()
                && visited.insert(id)
            {
                queue.push_back((item, candidate));
            }
        }
    }
    paths
}

/// What a module makes public, as (item id, name it is exported as): its public items and the
/// targets of its public re-exports, a glob re-export of a module standing for that module's
/// exports. Re-exports of other crates' items have ids outside the index (and a glob of another
/// crate's module the name `*`).
fn exports<'a>(
    index: &'a serde_json::Map<String, Value>,
    module: &'a Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut globbed = HashSet::new();
    let mut stack = vec![module];
    while let Some(module) = stack.pop() {
        for item in list(&module["inner"]["module"]["items"]).filter_map(|id| item_in(index, id)) {
            if item["visibility"] != "public" {
                continue;
            }
            if let Some(used) = item["inner"].get("use") {
                let target = used["id"].to_string();
                if used["is_glob"] == true {
                    match index.get(&target) {
                        Some(source) if source["inner"].get("module").is_some() => {
                            if globbed.insert(target) {
                                stack.push(source);
                            }
                        }
                        // Another crate's module, whose items the index does not hold.
                        None => out.push((target, "*".to_owned())),
                        Some(_) => {}
                    }
                } else {
                    out.push((target, used["name"].as_str().unwrap_or("?").to_owned()));
                }
            } else if let Some(name) = item["name"].as_str() {
                out.push((item["id"].to_string(), name.to_owned()));
            }
        }
    }
    out
}

/// The text to print for every item id the JSON mentions: the public path of this crate's
/// reachable items, the defining path of its unreachable ones (types a public signature uses
/// though no user can name them), and [`external_path`] for other crates' items.
fn names(doc: &Value, public: &HashMap<String, String>) -> HashMap<String, String> {
    let mut names = public.clone();
    for (id, summary) in doc["paths"].as_object().into_iter().flatten() {
        if names.contains_key(id) {
            continue;
        }
        let segments: Vec<&str> = list(&summary["path"]).filter_map(Value::as_str).collect();
        let name = if summary["crate_id"] == 0 {
            segments.join("::")
        } else {
            external_path(&segments)
        };
        names.insert(id.clone(), name);
    }
    names
}

struct Lister<'a> {
    index: &'a serde_json::Map<String, Value>,
    root: String,
    /// Public paths of this crate's items, by id.
    public: HashMap<String, String>,
    render: Renderer,
    lines: BTreeSet<String>,
    seen: HashSet<String>,
}

impl<'a> Lister<'a> {
    fn new(doc: &'a Value) -> Result<Self, String> {
        let index = doc["index"]
            .as_object()
            .ok_or("rustdoc JSON has no index")?;
        let root = doc["root"].to_string();
        if !index.contains_key(&root) {
            return Err("rustdoc JSON has no crate root".into());
        }
        let public = public_paths(index, &root);
        let render = Renderer::new(names(doc, &public));
        Ok(Self {
            index,
            root,
            public,
            render,
            lines: BTreeSet::new(),
            seen: HashSet::new(),
        })
    }

    fn listing(mut self) -> String {
        let index = self.index;
        let root = &index[&self.root];
        self.module(root["name"].as_str().unwrap_or("?"), root);
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn module(&mut self, path: &str, module: &'a Value) {
        for (id, name) in exports(self.index, module) {
            let path = format!("{path}::{name}");
            match self.index.get(&id) {
                Some(item) => self.named(&path, item),
                // Another crate's item (or whole crate) re-exported.
                None => {
                    let source = self
                        .render
                        .name_of_id(&id)
                        .unwrap_or_else(|| "another crate".to_owned());
                    self.lines.insert(format!("pub use {path} (from {source})"));
                }
            }
        }
    }

    fn named(&mut self, path: &str, item: &'a Value) {
        if !self.seen.insert(format!("{path}#{}", item["id"])) {
            return;
        }
        let index = self.index;
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
                self.declared(&s["generics"])
            ));
            let kind = &s["kind"];
            let fields = list(&kind["plain"]["fields"])
                .filter_map(|id| item_in(index, id))
                .map(|f| (f["name"].as_str().unwrap_or("?").to_owned(), f));
            let positional = list(&kind["tuple"])
                .enumerate()
                .filter_map(|(i, id)| item_in(index, id).map(|f| (i.to_string(), f)));
            for (name, field) in fields.chain(positional) {
                if field["visibility"] == "public" {
                    let ty = self.render.ty(&field["inner"]["struct_field"]);
                    self.lines.insert(format!("pub {path}::{name}: {ty}"));
                }
            }
            self.impls(path, item, &s["impls"]);
        } else if let Some(e) = inner.get("enum") {
            self.lines.insert(format!(
                "{attrs}pub enum {path}{}",
                self.declared(&e["generics"])
            ));
            for variant in list(&e["variants"]).filter_map(|id| item_in(index, id)) {
                let shape = self.variant_shape(&variant["inner"]["variant"]["kind"]);
                self.lines.insert(format!(
                    "pub {path}::{}{shape}",
                    variant["name"].as_str().unwrap_or("?")
                ));
            }
            self.impls(path, item, &e["impls"]);
        } else if let Some(u) = inner.get("union") {
            self.lines
                .insert(format!("pub union {path}{}", self.declared(&u["generics"])));
            self.impls(path, item, &u["impls"]);
        } else if let Some(t) = inner.get("trait") {
            self.trait_item(path, t);
        } else if inner.get("function").is_some() {
            self.member(
                path.rsplit_once("::").map_or(path, |(parent, _)| parent),
                item,
                &[],
            );
        } else if let Some(c) = inner.get("constant") {
            self.lines
                .insert(format!("pub const {path}: {}", self.render.ty(&c["type"])));
        } else if let Some(s) = inner.get("static") {
            let mutable = if s["is_mutable"] == true { "mut " } else { "" };
            self.lines.insert(format!(
                "pub static {mutable}{path}: {}",
                self.render.ty(&s["type"])
            ));
        } else if let Some(t) = inner.get("type_alias") {
            self.lines.insert(format!(
                "pub type {path}{} = {}",
                self.declared(&t["generics"]),
                self.render.ty(&t["type"])
            ));
        } else if inner.get("macro").is_some() || inner.get("proc_macro").is_some() {
            self.lines.insert(format!("macro {path}!"));
        } else {
            let kind = inner
                .as_object()
                .and_then(|o| o.keys().next())
                .map_or("?", String::as_str);
            self.lines.insert(format!("pub {kind} {path}"));
        }
    }

    /// A declaration's generics: its parameter list, then its where clause.
    fn declared(&self, generics: &Value) -> String {
        format!(
            "{}{}",
            self.render.params(generics),
            where_clause(&self.render.predicates(generics))
        )
    }

    fn variant_shape(&self, kind: &'a Value) -> String {
        let fields = |ids: &'a Value| {
            list(ids)
                .filter_map(|id| item_in(self.index, id))
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or("?"),
                        self.render.ty(&f["inner"]["struct_field"]),
                    )
                })
                .collect::<Vec<_>>()
        };
        if let Some(ids) = kind.get("tuple") {
            let types: Vec<String> = fields(ids).into_iter().map(|(_, ty)| ty).collect();
            format!("({})", types.join(", "))
        } else if let Some(s) = kind.get("struct") {
            let mut parts: Vec<String> = fields(&s["fields"])
                .into_iter()
                .map(|(name, ty)| format!("{name}: {ty}"))
                .collect();
            if s["has_stripped_fields"] == true {
                parts.push("..".to_owned());
            }
            format!(" {{ {} }}", parts.join(", "))
        } else {
            String::new()
        }
    }

    fn trait_item(&mut self, path: &str, t: &'a Value) {
        let index = self.index;
        let unsafety = if t["is_unsafe"] == true {
            "unsafe "
        } else {
            ""
        };
        let auto = if t["is_auto"] == true { "auto " } else { "" };
        let supertraits = match self.render.bounds(&t["bounds"]) {
            bounds if bounds.is_empty() => bounds,
            bounds => format!(": {bounds}"),
        };
        self.lines.insert(format!(
            "pub {unsafety}{auto}trait {path}{}{supertraits}{}",
            self.render.params(&t["generics"]),
            where_clause(&self.render.predicates(&t["generics"]))
        ));
        for member in list(&t["items"]).filter_map(|id| item_in(index, id)) {
            self.member(path, member, &[]);
        }
        // Impls for types this listing does not list (types of other crates, references,
        // generic parameters); impls for this crate's public types are listed with the type.
        for imp in list(&t["implementations"]).filter_map(|id| item_in(index, id)) {
            let imp = &imp["inner"]["impl"];
            let listed = imp["for"]["resolved_path"]["id"].to_string();
            if !self.public.contains_key(&listed) {
                let for_ty = self.render.ty(&imp["for"]);
                self.impl_line(imp, &self.render.path_named(&imp["trait"], path), &for_ty);
            }
        }
    }

    /// A type's impls: every trait impl as a line (auto traits positive or negative, blanket
    /// impls left out), the public members of its inherent impls, and each generic inherent
    /// impl block as a line of its own.
    fn impls(&mut self, path: &str, item: &Value, impls: &Value) {
        let index = self.index;
        for imp in list(impls).filter_map(|id| item_in(index, id)) {
            let imp = &imp["inner"]["impl"];
            if !imp["blanket_impl"].is_null() {
                continue;
            }
            let self_ty = self.self_type(&imp["for"], item, path);
            if imp["trait"].is_object() {
                let name = self.render.path(&imp["trait"]);
                if imp["is_synthetic"] == true
                    && !AUTO_TRAITS.contains(&name.rsplit("::").next().unwrap_or(""))
                {
                    continue;
                }
                self.impl_line(imp, &name, &self_ty);
            } else {
                let members: Vec<&Value> = list(&imp["items"])
                    .filter_map(|id| item_in(index, id))
                    .filter(|m| m["visibility"] == "public")
                    .collect();
                if members.is_empty() {
                    continue;
                }
                // A generic impl block's own line; a plain `impl Type` would add nothing.
                let params = self.render.params(&imp["generics"]);
                let predicates = where_clause(&self.render.predicates(&imp["generics"]));
                if !params.is_empty() || !predicates.is_empty() {
                    self.lines
                        .insert(format!("impl{params} {self_ty}{predicates}"));
                }
                let inherited = self.render.all_predicates(&imp["generics"]);
                for member in members {
                    self.member(&self_ty, member, &inherited);
                }
            }
        }
    }

    /// `impl<..> Trait for Type where ..`, negated (`!Sync`) for an impl that says the type
    /// lacks the trait.
    fn impl_line(&mut self, imp: &Value, name: &str, self_ty: &str) {
        let unsafety = if imp["is_unsafe"] == true {
            "unsafe "
        } else {
            ""
        };
        let negation = if imp["is_negative"] == true { "!" } else { "" };
        let predicates = if imp["is_synthetic"] == true {
            self.render.sorted_predicates(&imp["generics"])
        } else {
            self.render.predicates(&imp["generics"])
        };
        self.lines.insert(format!(
            "{unsafety}impl{} {negation}{name} for {self_ty}{}",
            self.render.params(&imp["generics"]),
            where_clause(&predicates)
        ));
    }

    /// An impl's self type, with the listed item's path (the one being listed, which may be a
    /// second path to the item) in place of its canonical one.
    fn self_type(&self, for_ty: &Value, item: &Value, path: &str) -> String {
        match for_ty.get("resolved_path") {
            Some(p) if p["id"] == item["id"] => self.render.path_named(p, path),
            _ => self.render.ty(for_ty),
        }
    }

    /// A function, method, associated constant or type, under `owner`; `inherited` are the
    /// bounds its impl block puts on the owner's parameters, stated in the member's where
    /// clause so that each line says when the member exists.
    fn member(&mut self, owner: &str, item: &Value, inherited: &[String]) {
        let name = item["name"].as_str().unwrap_or("?");
        let inner = &item["inner"];
        if let Some(f) = inner.get("function") {
            let header = &f["header"];
            let mut qualifiers = String::new();
            for (flag, word) in [
                ("is_const", "const "),
                ("is_async", "async "),
                ("is_unsafe", "unsafe "),
            ] {
                if header[flag] == true {
                    qualifiers.push_str(word);
                }
            }
            let inputs: Vec<String> = list(&f["sig"]["inputs"])
                .map(|pair| match (pair[0].as_str(), self.render.ty(&pair[1])) {
                    (Some("self"), ty) if ty == "Self" => "self".to_owned(),
                    (Some("self"), ty) if ty == "&Self" => "&self".to_owned(),
                    (Some("self"), ty) if ty == "&mut Self" => "&mut self".to_owned(),
                    (Some(arg), ty) => format!("{arg}: {ty}"),
                    (None, ty) => ty,
                })
                .collect();
            let output = match &f["sig"]["output"] {
                Value::Null => String::new(),
                ty => format!(" -> {}", self.render.ty(ty)),
            };
            let mut predicates = inherited.to_vec();
            predicates.extend(self.render.predicates(&f["generics"]));
            self.lines.insert(format!(
                "pub {qualifiers}fn {owner}::{name}{}({}){output}{}",
                self.render.params(&f["generics"]),
                inputs.join(", "),
                where_clause(&predicates)
            ));
        } else if let Some(t) = inner.get("assoc_type") {
            let bounds = match self.render.bounds(&t["bounds"]) {
                bounds if bounds.is_empty() => bounds,
                bounds => format!(": {bounds}"),
            };
            let default = match &t["type"] {
                Value::Null => String::new(),
                ty => format!(" = {}", self.render.ty(ty)),
            };
            self.lines.insert(format!(
                "{}type {owner}::{name}{}{bounds}{default}{}",
                visibility(item),
                self.render.params(&t["generics"]),
                where_clause(&self.render.predicates(&t["generics"]))
            ));
        } else if let Some(c) = inner.get("assoc_const") {
            self.lines.insert(format!(
                "{}const {owner}::{name}: {}{}",
                visibility(item),
                self.render.ty(&c["type"]),
                where_clause(inherited)
            ));
        }
    }
}

/// `pub ` for a member declared public (an inherent impl's), nothing for a trait's members.
fn visibility(item: &Value) -> &'static str {
    if item["visibility"] == "public" {
        "pub "
    } else {
        ""
    }
}

fn item_in<'a>(index: &'a serde_json::Map<String, Value>, id: &Value) -> Option<&'a Value> {
    index.get(&id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn generics(params: Value) -> Value {
        json!({ "params": params, "where_predicates": [] })
    }

    fn item(id: u32, name: Option<&str>, visibility: &str, inner: Value) -> Value {
        json!({ "id": id, "crate_id": 0, "name": name, "visibility": visibility, "attrs": [], "inner": inner })
    }

    fn trait_path(id: u32, written: &str) -> Value {
        json!({ "path": written, "id": id, "args": null })
    }

    fn auto_impl(id: u32, trait_id: u32, name: &str, negative: bool) -> Value {
        item(
            id,
            None,
            "default",
            json!({ "impl": {
                "is_unsafe": false, "generics": generics(json!([])),
                "provided_trait_methods": [], "trait": trait_path(trait_id, name),
                "for": { "resolved_path": trait_path(4, "JobId") }, "items": [],
                "is_negative": negative, "is_synthetic": true, "blanket_impl": null,
            }}),
        )
    }

    /// A crate whose `JobId` is defined in a private module and re-exported twice (at the root
    /// and in `ops`), with a generic `Client<T: Transport>` whose method names `JobId` as
    /// `super::JobId`, as code in a private module would.
    fn doc() -> Value {
        let t = json!([{ "name": "T", "kind": { "type": {
            "bounds": [{ "trait_bound": {
                "trait": trait_path(13, "Transport"), "generic_params": [], "modifier": "none",
            }}],
            "default": null, "is_synthetic": false,
        }}}]);
        let job_id = json!({ "resolved_path": trait_path(4, "super::JobId") });
        let items = [
            item(
                0,
                Some("sdm_core"),
                "public",
                json!({ "module": {
                    "is_crate": true, "items": [1, 2, 3, 10, 13], "is_stripped": false,
                }}),
            ),
            item(
                1,
                None,
                "public",
                json!({ "use": {
                    "source": "model::JobId", "name": "JobId", "id": 4, "is_glob": false,
                }}),
            ),
            item(
                2,
                Some("model"),
                "crate",
                json!({ "module": {
                    "is_crate": false, "items": [4], "is_stripped": false,
                }}),
            ),
            item(
                3,
                Some("ops"),
                "public",
                json!({ "module": {
                    "is_crate": false, "items": [7], "is_stripped": false,
                }}),
            ),
            item(
                4,
                Some("JobId"),
                "public",
                json!({ "struct": {
                    "kind": { "tuple": [null] }, "generics": generics(json!([])), "impls": [5, 6],
                }}),
            ),
            auto_impl(5, 30, "Send", false),
            auto_impl(6, 31, "Sync", true),
            item(
                7,
                None,
                "public",
                json!({ "use": {
                    "source": "crate::JobId", "name": "JobId", "id": 4, "is_glob": false,
                }}),
            ),
            item(
                10,
                Some("Client"),
                "public",
                json!({ "struct": {
                    "kind": { "plain": { "fields": [], "has_stripped_fields": true } },
                    "generics": generics(json!([{ "name": "T", "kind": { "type": {
                        "bounds": [], "default": null, "is_synthetic": false,
                    }}}])),
                    "impls": [11],
                }}),
            ),
            item(
                11,
                None,
                "default",
                json!({ "impl": {
                    "is_unsafe": false, "generics": generics(t), "provided_trait_methods": [],
                    "trait": null,
                    "for": { "resolved_path": { "path": "Client", "id": 10, "args": {
                        "angle_bracketed": { "args": [{ "type": { "generic": "T" } }], "constraints": [] },
                    }}},
                    "items": [12], "is_negative": false, "is_synthetic": false, "blanket_impl": null,
                }}),
            ),
            item(
                12,
                Some("job"),
                "public",
                json!({ "function": {
                    "sig": {
                        "inputs": [
                            ["self", { "borrowed_ref": {
                                "lifetime": null, "is_mutable": false, "type": { "generic": "Self" },
                            }}],
                            ["id", { "borrowed_ref": {
                                "lifetime": null, "is_mutable": false, "type": job_id,
                            }}],
                        ],
                        "output": job_id,
                        "is_c_variadic": false,
                    },
                    "generics": generics(json!([])),
                    "header": { "is_const": false, "is_unsafe": false, "is_async": false, "abi": "Rust" },
                    "has_body": true,
                }}),
            ),
            item(
                13,
                Some("Transport"),
                "public",
                json!({ "trait": {
                    "is_auto": false, "is_unsafe": false, "is_dyn_compatible": true, "items": [],
                    "generics": generics(json!([])), "bounds": [], "implementations": [],
                }}),
            ),
        ];
        let index: serde_json::Map<String, Value> = items
            .into_iter()
            .map(|item| (item["id"].to_string(), item))
            .collect();
        json!({
            "root": 0,
            "index": index,
            "paths": {
                "4": { "crate_id": 0, "path": ["sdm_core", "model", "JobId"], "kind": "struct" },
                "13": { "crate_id": 0, "path": ["sdm_core", "Transport"], "kind": "trait" },
                "30": { "crate_id": 2, "path": ["core", "marker", "Send"], "kind": "trait" },
                "31": { "crate_id": 2, "path": ["core", "marker", "Sync"], "kind": "trait" },
            },
        })
    }

    #[test]
    fn the_shortest_public_path_names_an_item() {
        let doc = doc();
        let paths = public_paths(doc["index"].as_object().unwrap(), "0");
        assert_eq!(paths["4"], "sdm_core::JobId");
        assert_eq!(paths["3"], "sdm_core::ops");
        assert!(
            !paths.contains_key("2"),
            "a private module has no public path"
        );
    }

    #[test]
    fn listing_spells_public_paths_generics_and_auto_traits() {
        let doc = doc();
        let listing = Lister::new(&doc).unwrap().listing();
        let expected = [
            "impl !Sync for sdm_core::JobId",
            "impl !Sync for sdm_core::ops::JobId",
            "impl Send for sdm_core::JobId",
            "impl Send for sdm_core::ops::JobId",
            "impl<T: sdm_core::Transport> sdm_core::Client<T>",
            "pub fn sdm_core::Client<T>::job(&self, id: &sdm_core::JobId) -> sdm_core::JobId where T: sdm_core::Transport",
            "pub mod sdm_core::ops",
            "pub struct sdm_core::Client<T>",
            "pub struct sdm_core::JobId",
            "pub struct sdm_core::ops::JobId",
            "pub trait sdm_core::Transport",
        ];
        assert_eq!(listing.lines().collect::<Vec<_>>(), expected);
    }
}
