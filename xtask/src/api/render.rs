//! Rustdoc JSON types, bounds and generics as Rust-like text.
//!
//! Every path with an item id is printed by the name [`Renderer`] holds for that id (see
//! `Names` in `api.rs`: the public path for this crate's items, a user-facing path for other
//! crates' items), not as the source happened to spell it (`super::JobId`, a `use`d short name).

use std::collections::HashMap;

use serde_json::Value;

/// The names of the std items every edition's prelude brings into scope (the 2021 prelude),
/// printed bare. Keys are `std::<module>::<Name>`, the form [`external_path`] gives std items.
const PRELUDE: &[&str] = &[
    "std::borrow::ToOwned",
    "std::boxed::Box",
    "std::clone::Clone",
    "std::cmp::Eq",
    "std::cmp::Ord",
    "std::cmp::PartialEq",
    "std::cmp::PartialOrd",
    "std::convert::AsMut",
    "std::convert::AsRef",
    "std::convert::From",
    "std::convert::Into",
    "std::convert::TryFrom",
    "std::convert::TryInto",
    "std::default::Default",
    "std::iter::DoubleEndedIterator",
    "std::iter::ExactSizeIterator",
    "std::iter::Extend",
    "std::iter::FromIterator",
    "std::iter::IntoIterator",
    "std::iter::Iterator",
    "std::marker::Copy",
    "std::marker::Send",
    "std::marker::Sized",
    "std::marker::Sync",
    "std::marker::Unpin",
    "std::ops::Drop",
    "std::ops::Fn",
    "std::ops::FnMut",
    "std::ops::FnOnce",
    "std::option::Option",
    "std::result::Result",
    "std::string::String",
    "std::string::ToString",
    "std::vec::Vec",
];

/// Rustdoc names a dependency's item by the module that defines it. Where that module is
/// private, or the item lives in an inner crate a facade re-exports, this maps the defining
/// prefix to the one the dependency documents (checked against the dependencies' sources; a
/// dependency that moves an item shows up as a changed path in the listing, never silently).
const DEPENDENCY_PATHS: &[(&str, &str)] = &[
    ("bytes::bytes::", "bytes::"),
    ("chrono::datetime::", "chrono::"),
    ("chrono::offset::utc::", "chrono::"),
    ("serde_core::", "serde::"),
];

/// The path to print for another crate's item, from the path rustdoc records for it (its
/// defining module, e.g. `core::iter::traits::iterator::Iterator`).
///
/// - std, core and alloc items: `std::<top module>::<Name>` (std re-exports core's and alloc's
///   items at the top of each module: `core::panic::unwind_safe::UnwindSafe` is
///   `std::panic::UnwindSafe`), and the bare name for prelude items (`Option`, `Send`).
/// - other crates: the defining path, with [`DEPENDENCY_PATHS`] applied.
pub(super) fn external_path(segments: &[&str]) -> String {
    match segments {
        [krate, module, .., name] if matches!(*krate, "std" | "core" | "alloc") => {
            let path = format!("std::{module}::{name}");
            if PRELUDE.contains(&path.as_str()) {
                (*name).to_owned()
            } else {
                path
            }
        }
        _ => {
            let path = segments.join("::");
            DEPENDENCY_PATHS
                .iter()
                .find_map(|(from, to)| path.strip_prefix(from).map(|rest| format!("{to}{rest}")))
                .unwrap_or(path)
        }
    }
}

/// Renders rustdoc JSON fragments, naming items through a table of item ids.
pub(super) struct Renderer {
    /// Item id (as the JSON spells it, e.g. `42`) to the path to print.
    names: HashMap<String, String>,
}

impl Renderer {
    pub(super) fn new(names: HashMap<String, String>) -> Self {
        Self { names }
    }

    /// The printed name of the item with this id, if the table has one.
    pub(super) fn name_of_id(&self, id: &str) -> Option<String> {
        self.names.get(id).cloned()
    }

    /// The printed name of a rustdoc `Path`'s item: the table's entry for its id, else the
    /// path as the source wrote it.
    fn name_of(&self, path: &Value) -> String {
        self.name_of_id(&path["id"].to_string())
            .unwrap_or_else(|| path["path"].as_str().unwrap_or("?").to_owned())
    }

    /// A rustdoc `Path` (a type or trait with its generic arguments).
    pub(super) fn path(&self, path: &Value) -> String {
        self.path_named(path, &self.name_of(path))
    }

    /// A rustdoc `Path` printed under `name` (the path an item is being listed at), keeping
    /// its generic arguments.
    pub(super) fn path_named(&self, path: &Value, name: &str) -> String {
        format!("{name}{}", self.args(&path["args"]))
    }

    /// `GenericArgs`: `<T, 'a, Item = U>`, `(A, B) -> C`, or nothing.
    fn args(&self, args: &Value) -> String {
        if let Some(angle) = args.get("angle_bracketed") {
            let mut parts: Vec<String> = list(&angle["args"]).map(|a| self.arg(a)).collect();
            parts.extend(list(&angle["constraints"]).map(|c| self.constraint(c)));
            if parts.is_empty() {
                String::new()
            } else {
                format!("<{}>", parts.join(", "))
            }
        } else if let Some(paren) = args.get("parenthesized") {
            let inputs: Vec<String> = list(&paren["inputs"]).map(|t| self.ty(t)).collect();
            format!("({}){}", inputs.join(", "), self.output(&paren["output"]))
        } else if args.get("return_type_notation").is_some() {
            "(..)".to_owned()
        } else {
            String::new()
        }
    }

    fn arg(&self, arg: &Value) -> String {
        if let Some(ty) = arg.get("type") {
            self.ty(ty)
        } else if let Some(lifetime) = arg.get("lifetime") {
            lifetime.as_str().unwrap_or("'_").to_owned()
        } else if let Some(constant) = arg.get("const") {
            constant_text(constant)
        } else {
            "_".to_owned()
        }
    }

    /// `Item = T`, `Item: Bound`, with a generic associated type's own arguments.
    fn constraint(&self, constraint: &Value) -> String {
        let name = format!(
            "{}{}",
            constraint["name"].as_str().unwrap_or("?"),
            self.args(&constraint["args"])
        );
        let binding = &constraint["binding"];
        if let Some(term) = binding.get("equality") {
            format!("{name} = {}", self.term(term))
        } else if let Some(bounds) = binding.get("constraint") {
            format!("{name}: {}", self.bounds(bounds))
        } else {
            name
        }
    }

    fn term(&self, term: &Value) -> String {
        match term.get("type") {
            Some(ty) => self.ty(ty),
            None => constant_text(&term["constant"]),
        }
    }

    fn output(&self, output: &Value) -> String {
        match output {
            Value::Null => String::new(),
            ty => format!(" -> {}", self.ty(ty)),
        }
    }

    /// One `GenericBound`: `?Sized`, `for<'a> Fn(&'a str)`, `'static`, `use<'a, T>`.
    pub(super) fn bound(&self, bound: &Value) -> String {
        if let Some(tb) = bound.get("trait_bound") {
            let modifier = match tb["modifier"].as_str() {
                Some("maybe") => "?",
                Some("maybe_const") => "~const ",
                _ => "",
            };
            format!(
                "{}{modifier}{}",
                self.binder(&tb["generic_params"]),
                self.path(&tb["trait"])
            )
        } else if let Some(lifetime) = bound.get("outlives") {
            lifetime.as_str().unwrap_or("'_").to_owned()
        } else if let Some(captured) = bound.get("use") {
            let names: Vec<&str> = list(captured)
                .map(|arg| match arg {
                    Value::String(name) => name.as_str(),
                    other => other
                        .get("lifetime")
                        .or_else(|| other.get("param"))
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                })
                .collect();
            format!("use<{}>", names.join(", "))
        } else {
            "?".to_owned()
        }
    }

    /// Bounds joined with ` + `.
    pub(super) fn bounds(&self, bounds: &Value) -> String {
        let bounds: Vec<String> = list(bounds).map(|b| self.bound(b)).collect();
        bounds.join(" + ")
    }

    /// `for<'a> ` for higher-ranked bounds, nothing otherwise.
    fn binder(&self, params: &Value) -> String {
        let params: Vec<String> = list(params).filter_map(|p| self.param(p)).collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("for<{}> ", params.join(", "))
        }
    }

    /// One `GenericParamDef` as declared (`'a: 'b`, `T: Bound = Default`, `const N: usize`),
    /// or `None` for the synthetic parameters that stand for `impl Trait` arguments.
    fn param(&self, param: &Value) -> Option<String> {
        let name = param["name"].as_str().unwrap_or("?");
        let kind = &param["kind"];
        if let Some(lifetime) = kind.get("lifetime") {
            let outlives: Vec<&str> = list(&lifetime["outlives"])
                .filter_map(Value::as_str)
                .collect();
            Some(if outlives.is_empty() {
                name.to_owned()
            } else {
                format!("{name}: {}", outlives.join(" + "))
            })
        } else if let Some(ty) = kind.get("type") {
            if ty["is_synthetic"] == true {
                return None;
            }
            let mut text = name.to_owned();
            let bounds = self.bounds(&ty["bounds"]);
            if !bounds.is_empty() {
                text = format!("{text}: {bounds}");
            }
            if !ty["default"].is_null() {
                text = format!("{text} = {}", self.ty(&ty["default"]));
            }
            Some(text)
        } else if let Some(constant) = kind.get("const") {
            let mut text = format!("const {name}: {}", self.ty(&constant["type"]));
            if let Some(default) = constant["default"].as_str() {
                text = format!("{text} = {default}");
            }
            Some(text)
        } else {
            Some(name.to_owned())
        }
    }

    /// The parameter list of `Generics`: `<'a, T: Bound>`, or nothing.
    pub(super) fn params(&self, generics: &Value) -> String {
        let params: Vec<String> = list(&generics["params"])
            .filter_map(|p| self.param(p))
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    /// The where clause of `Generics`, one predicate per entry.
    pub(super) fn predicates(&self, generics: &Value) -> Vec<String> {
        list(&generics["where_predicates"])
            .map(|p| self.predicate(p))
            .collect()
    }

    /// The where clause of `Generics` in a canonical order: the bounds of each predicate sorted,
    /// then the predicates. For the impls rustdoc synthesizes (auto traits), whose order is
    /// the compiler's, not the source's.
    pub(super) fn sorted_predicates(&self, generics: &Value) -> Vec<String> {
        let mut predicates: Vec<String> = list(&generics["where_predicates"])
            .map(|p| match p.get("bound_predicate") {
                Some(bp) => {
                    let mut bounds: Vec<String> =
                        list(&bp["bounds"]).map(|b| self.bound(b)).collect();
                    bounds.sort();
                    format!(
                        "{}{}: {}",
                        self.binder(&bp["generic_params"]),
                        self.ty(&bp["type"]),
                        bounds.join(" + ")
                    )
                }
                None => self.predicate(p),
            })
            .collect();
        predicates.sort();
        predicates
    }

    /// The bounds `Generics` declares on its parameters, inline or in its where clause, all
    /// as where predicates (`T: Transport`): what a method inherits from its impl block.
    pub(super) fn all_predicates(&self, generics: &Value) -> Vec<String> {
        let mut predicates: Vec<String> = list(&generics["params"])
            .filter_map(|p| {
                let name = p["name"].as_str().unwrap_or("?");
                let kind = &p["kind"];
                let bounds = if let Some(lifetime) = kind.get("lifetime") {
                    let outlives: Vec<&str> = list(&lifetime["outlives"])
                        .filter_map(Value::as_str)
                        .collect();
                    outlives.join(" + ")
                } else if kind["type"]["is_synthetic"] == false {
                    self.bounds(&kind["type"]["bounds"])
                } else {
                    String::new()
                };
                (!bounds.is_empty()).then(|| format!("{name}: {bounds}"))
            })
            .collect();
        predicates.extend(self.predicates(generics));
        predicates
    }

    fn predicate(&self, predicate: &Value) -> String {
        if let Some(bp) = predicate.get("bound_predicate") {
            format!(
                "{}{}: {}",
                self.binder(&bp["generic_params"]),
                self.ty(&bp["type"]),
                self.bounds(&bp["bounds"])
            )
            .trim_end()
            .to_owned()
        } else if let Some(lp) = predicate.get("lifetime_predicate") {
            let outlives: Vec<&str> = list(&lp["outlives"]).filter_map(Value::as_str).collect();
            format!(
                "{}: {}",
                lp["lifetime"].as_str().unwrap_or("'_"),
                outlives.join(" + ")
            )
        } else if let Some(eq) = predicate.get("eq_predicate") {
            format!("{} = {}", self.ty(&eq["lhs"]), self.term(&eq["rhs"]))
        } else {
            "?".to_owned()
        }
    }

    /// A rustdoc JSON `Type`.
    pub(super) fn ty(&self, ty: &Value) -> String {
        let Some((kind, inner)) = ty.as_object().and_then(|o| o.iter().next()) else {
            return "?".into();
        };
        match kind.as_str() {
            "resolved_path" => self.path(inner),
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
                format!("&{lifetime}{mutable}{}", self.ty(&inner["type"]))
            }
            "raw_pointer" => {
                let mutable = if inner["is_mutable"] == true {
                    "mut"
                } else {
                    "const"
                };
                format!("*{mutable} {}", self.ty(&inner["type"]))
            }
            "tuple" => {
                let parts: Vec<String> = list(inner).map(|t| self.ty(t)).collect();
                match parts.as_slice() {
                    [one] => format!("({one},)"),
                    _ => format!("({})", parts.join(", ")),
                }
            }
            "slice" => format!("[{}]", self.ty(inner)),
            "array" => format!(
                "[{}; {}]",
                self.ty(&inner["type"]),
                inner["len"].as_str().unwrap_or("?")
            ),
            "pat" => self.ty(&inner["type"]),
            "infer" => "_".to_owned(),
            "impl_trait" => format!("impl {}", self.bounds(inner)),
            "dyn_trait" => {
                let mut parts: Vec<String> = list(&inner["traits"])
                    .map(|t| {
                        format!(
                            "{}{}",
                            self.binder(&t["generic_params"]),
                            self.path(&t["trait"])
                        )
                    })
                    .collect();
                if let Some(lifetime) = inner["lifetime"].as_str() {
                    parts.push(lifetime.to_owned());
                }
                format!("dyn {}", parts.join(" + "))
            }
            "qualified_path" => {
                let self_type = self.ty(&inner["self_type"]);
                let name = format!(
                    "{}{}",
                    inner["name"].as_str().unwrap_or("?"),
                    self.args(&inner["args"])
                );
                // `T::Output` as written stays short; `<T as Trait>::Output` names its trait.
                match inner["trait"]["path"].as_str() {
                    Some(path) if !path.is_empty() => {
                        format!("<{self_type} as {}>::{name}", self.path(&inner["trait"]))
                    }
                    _ => format!("{self_type}::{name}"),
                }
            }
            "function_pointer" => {
                let header = &inner["header"];
                let unsafety = if header["is_unsafe"] == true {
                    "unsafe "
                } else {
                    ""
                };
                let inputs: Vec<String> = list(&inner["sig"]["inputs"])
                    .map(|pair| self.ty(&pair[1]))
                    .collect();
                format!(
                    "{}{unsafety}fn({}){}",
                    self.binder(&inner["generic_params"]),
                    inputs.join(", "),
                    self.output(&inner["sig"]["output"])
                )
            }
            other => other.to_owned(),
        }
    }
}

/// ` where A, B`, or nothing for no predicates.
pub(super) fn where_clause(predicates: &[String]) -> String {
    if predicates.is_empty() {
        String::new()
    } else {
        format!(" where {}", predicates.join(", "))
    }
}

fn constant_text(constant: &Value) -> String {
    constant["expr"].as_str().unwrap_or("_").to_owned()
}

/// The elements of a JSON array, none for anything else.
pub(super) fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn renderer() -> Renderer {
        Renderer::new(HashMap::from([
            ("1".to_owned(), "sdm_core::Transport".to_owned()),
            ("2".to_owned(), "sdm_core::BlockingClient".to_owned()),
            ("3".to_owned(), "sdm_core::JobId".to_owned()),
            ("4".to_owned(), "Result".to_owned()),
            ("5".to_owned(), "Sized".to_owned()),
            ("6".to_owned(), "Fn".to_owned()),
        ]))
    }

    fn path(id: u32, written: &str, args: Value) -> Value {
        json!({ "path": written, "id": id, "args": args })
    }

    fn trait_bound(id: u32, written: &str, modifier: &str) -> Value {
        json!({ "trait_bound": {
            "trait": path(id, written, Value::Null),
            "generic_params": [],
            "modifier": modifier,
        }})
    }

    fn type_param(name: &str, bounds: Value) -> Value {
        json!({ "name": name, "kind": { "type": {
            "bounds": bounds, "default": null, "is_synthetic": false,
        }}})
    }

    #[test]
    fn paths_are_printed_by_id_not_as_written() {
        let r = renderer();
        let job_id = json!({ "resolved_path": path(3, "super::JobId", Value::Null) });
        assert_eq!(r.ty(&job_id), "sdm_core::JobId");
        let result = json!({ "resolved_path": path(4, "std::result::Result", json!({
            "angle_bracketed": {
                "args": [
                    { "type": { "borrowed_ref": {
                        "lifetime": null, "is_mutable": false, "type": job_id,
                    }}},
                    { "type": { "generic": "E" } },
                ],
                "constraints": [],
            }
        }))});
        assert_eq!(r.ty(&result), "Result<&sdm_core::JobId, E>");
        // An id the table does not know keeps the source's spelling.
        let unknown = json!({ "resolved_path": path(99, "Local", Value::Null) });
        assert_eq!(r.ty(&unknown), "Local");
    }

    #[test]
    fn external_paths_name_what_users_write() {
        assert_eq!(external_path(&["core", "option", "Option"]), "Option");
        assert_eq!(
            external_path(&["core", "iter", "traits", "iterator", "Iterator"]),
            "Iterator"
        );
        assert_eq!(
            external_path(&["core", "panic", "unwind_safe", "UnwindSafe"]),
            "std::panic::UnwindSafe"
        );
        assert_eq!(
            external_path(&["alloc", "collections", "btree", "map", "BTreeMap"]),
            "std::collections::BTreeMap"
        );
        assert_eq!(external_path(&["core", "fmt", "Debug"]), "std::fmt::Debug");
        assert_eq!(external_path(&["bytes", "bytes", "Bytes"]), "bytes::Bytes");
        assert_eq!(
            external_path(&["serde_core", "de", "DeserializeOwned"]),
            "serde::de::DeserializeOwned"
        );
        assert_eq!(
            external_path(&["http", "request", "Request"]),
            "http::request::Request"
        );
    }

    #[test]
    fn impl_generics_keep_bounds_and_where_clauses() {
        let r = renderer();
        let generics = json!({
            "params": [
                { "name": "'a", "kind": { "lifetime": { "outlives": [] } } },
                type_param("T", json!([trait_bound(1, "Transport", "none"), trait_bound(5, "Sized", "maybe")])),
                // An `impl Trait` argument's parameter is not written in the list.
                { "name": "impl Into<String>", "kind": { "type": {
                    "bounds": [], "default": null, "is_synthetic": true,
                }}},
                { "name": "N", "kind": { "const": { "type": { "primitive": "usize" }, "default": null } } },
            ],
            "where_predicates": [
                { "bound_predicate": {
                    "type": { "generic": "T" },
                    "bounds": [{ "outlives": "'a" }],
                    "generic_params": [],
                }},
                { "lifetime_predicate": { "lifetime": "'a", "outlives": ["'static"] } },
            ],
        });
        assert_eq!(
            r.params(&generics),
            "<'a, T: sdm_core::Transport + ?Sized, const N: usize>"
        );
        assert_eq!(
            where_clause(&r.predicates(&generics)),
            " where T: 'a, 'a: 'static"
        );
        assert_eq!(
            r.all_predicates(&generics),
            ["T: sdm_core::Transport + ?Sized", "T: 'a", "'a: 'static"]
        );
        assert_eq!(where_clause(&[]), "");
        assert_eq!(
            r.params(&json!({ "params": [], "where_predicates": [] })),
            ""
        );
    }

    #[test]
    fn synthesized_where_clauses_are_sorted() {
        let r = renderer();
        let generics = json!({
            "params": [type_param("U", json!([])), type_param("T", json!([]))],
            "where_predicates": [
                { "bound_predicate": {
                    "type": { "generic": "U" },
                    "bounds": [trait_bound(1, "Transport", "none"), trait_bound(5, "Sized", "none")],
                    "generic_params": [],
                }},
                { "bound_predicate": {
                    "type": { "generic": "T" },
                    "bounds": [trait_bound(5, "Sized", "none")],
                    "generic_params": [],
                }},
            ],
        });
        assert_eq!(
            r.sorted_predicates(&generics),
            ["T: Sized", "U: Sized + sdm_core::Transport"]
        );
        assert_eq!(
            r.predicates(&generics),
            ["U: sdm_core::Transport + Sized", "T: Sized"]
        );
    }

    #[test]
    fn higher_ranked_closure_bounds() {
        let r = renderer();
        let fn_bound = json!({ "trait_bound": {
            "trait": path(6, "Fn", json!({ "parenthesized": {
                "inputs": [{ "borrowed_ref": {
                    "lifetime": "'b", "is_mutable": false, "type": { "primitive": "str" },
                }}],
                "output": { "resolved_path": path(3, "JobId", Value::Null) },
            }})),
            "generic_params": [{ "name": "'b", "kind": { "lifetime": { "outlives": [] } } }],
            "modifier": "none",
        }});
        assert_eq!(r.bound(&fn_bound), "for<'b> Fn(&'b str) -> sdm_core::JobId");
        let dyn_trait = json!({ "dyn_trait": {
            "traits": [{ "trait": path(1, "Transport", Value::Null), "generic_params": [] }],
            "lifetime": "'static",
        }});
        assert_eq!(r.ty(&dyn_trait), "dyn sdm_core::Transport + 'static");
    }

    #[test]
    fn listed_paths_keep_their_arguments() {
        let r = renderer();
        let client = path(
            2,
            "BlockingClient",
            json!({ "angle_bracketed": {
                "args": [{ "type": { "generic": "T" } }],
                "constraints": [],
            }}),
        );
        assert_eq!(r.path(&client), "sdm_core::BlockingClient<T>");
        assert_eq!(
            r.path_named(&client, "sdm_core::client::BlockingClient"),
            "sdm_core::client::BlockingClient<T>"
        );
        let item = json!({ "qualified_path": {
            "name": "Output", "args": null,
            "self_type": { "generic": "O" },
            "trait": path(1, "", Value::Null),
        }});
        assert_eq!(r.ty(&item), "O::Output");
    }
}
