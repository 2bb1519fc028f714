//! Objects kept as the server sent them, byte for byte, with their known fields read typed from
//! each field's own text: what every model that mirrors a server object is made of.
//!
//! The object's JSON text is kept whole, so `123456789012345678901234567890`, `1.0e-400` and
//! `1.50` are written back exactly as they came. Only the fields a model knows are decoded: a
//! value serde_json cannot represent (`1e400`, a lone surrogate `"\ud800"`) in any other field
//! never makes the object (or the page holding it) undecodable.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Unexpected, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Marks a decode error as being about one field of an object, so [`decode_json`] can name the
/// field in the error's path (`results[3].status`): serde only passes text up, and the object's
/// fields are decoded from its kept text, out of sight of the path tracking.
///
/// [`decode_json`]: crate::response::decode_json
pub(crate) const FIELD_MARK: char = '\u{0}';

/// An error about the field `key`: `decode_json` moves the key into the path.
pub(crate) fn field_error<E: de::Error>(key: &str, message: impl fmt::Display) -> E {
    E::custom(format_args!("{FIELD_MARK}{key}{FIELD_MARK}{message}"))
}

/// A JSON object kept as the server's text, with where each entry's value lies in it.
#[derive(Clone)]
pub(super) struct RawObject {
    text: Box<RawValue>,
    /// Each entry's key (unescaped; a key that is not valid Unicode is read lossily) and the
    /// byte range of its value in `text`, in the server's order.
    entries: Vec<(String, Range<usize>)>,
}

impl RawObject {
    /// Reads one JSON object. Anything else (an array, a string) is an error; so is invalid
    /// JSON, but no valid JSON value inside the object is.
    pub(super) fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Box::<RawValue>::deserialize(deserializer)?;
        let json = text.get();
        let kind = match json.as_bytes().first() {
            Some(b'{') => None,
            Some(b'[') => Some("array"),
            Some(b'"') => Some("string"),
            Some(b't' | b'f') => Some("boolean"),
            Some(b'n') => Some("null"),
            _ => Some("number"),
        };
        if let Some(kind) = kind {
            return Err(de::Error::invalid_type(
                Unexpected::Other(kind),
                &"a JSON object",
            ));
        }
        let mut reader = serde_json::Deserializer::from_str(json);
        let entries = reader
            .deserialize_map(EntriesVisitor { base: json })
            .map_err(de::Error::custom)?;
        Ok(Self { text, entries })
    }

    /// The object's text.
    pub(super) fn text(&self) -> &RawValue {
        &self.text
    }

    /// The object's text, consuming it.
    pub(super) fn into_text(self) -> Box<RawValue> {
        self.text
    }

    /// Every entry, in the server's order (a repeated key appears each time).
    pub(super) fn entries(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.entries
            .iter()
            .map(|(key, range)| (key.as_str(), self.value_at(range)))
    }

    /// The value of `key` (the last one, if the key is repeated, as JSON parsers do).
    pub(super) fn get(&self, key: &str) -> Option<&RawValue> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, range)| self.value_at(range))
    }

    fn value_at(&self, range: &Range<usize>) -> &RawValue {
        serde_json::from_str(&self.text.get()[range.clone()])
            .expect("a value checked when the object was read")
    }

    /// A documented field: missing or of the wrong type is an error, named after the field.
    pub(super) fn required<T: DeserializeOwned, E: de::Error>(
        &self,
        key: &'static str,
    ) -> Result<T, E> {
        let value = self.get(key).ok_or_else(|| E::missing_field(key))?;
        strict(key, value)
    }

    /// A documented field that may be absent or `null`; of the wrong type is an error.
    pub(super) fn optional<T: DeserializeOwned, E: de::Error>(
        &self,
        key: &'static str,
    ) -> Result<Option<T>, E> {
        match self.get(key) {
            None => Ok(None),
            Some(value) if value.get() == "null" => Ok(None),
            Some(value) => strict(key, value).map(Some),
        }
    }

    /// A field only observed in practice: a surprising shape leaves it empty (the raw value
    /// stays available).
    pub(super) fn lenient<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.get(key).and_then(|value| {
            serde_json::from_str::<Option<T>>(value.get())
                .ok()
                .flatten()
        })
    }
}

/// Every entry in order. A value that a `serde_json::Value` holds exactly is written as one, so
/// any format can take it; any other (`1.50`, a 30-digit number, `1e400`, an escaped string) is
/// written as its text (compacted), which `serde_json` copies byte for byte.
impl Serialize for RawObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in self.entries() {
            map.serialize_entry(key, &Exact(value))?;
        }
        map.end()
    }
}

/// One value, written exactly (see `RawObject`'s `Serialize`).
struct Exact<'a>(&'a RawValue);

impl Serialize for Exact<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.get();
        let compact = compacted(text);
        // Held exactly when printing it again gives the same text.
        let exact = serde_json::from_str::<Value>(text).ok().filter(|value| {
            let printed = value.to_string();
            printed == compact
        });
        if let Some(value) = exact {
            return value.serialize(serializer);
        }
        match RawValue::from_string(compact) {
            Ok(compact) => compact.serialize(serializer),
            Err(_) => self.0.serialize(serializer),
        }
    }
}

/// JSON text without the whitespace between its tokens.
pub(crate) fn compacted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

impl fmt::Debug for RawObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl PartialEq for RawObject {
    fn eq(&self, other: &Self) -> bool {
        self.text.get() == other.text.get()
    }
}

/// Decodes a known field from its text. The message is serde's own, without a position inside
/// the field's text (the error gets the position in the whole body on its way up).
fn strict<T: DeserializeOwned, E: de::Error>(key: &str, value: &RawValue) -> Result<T, E> {
    serde_json::from_str(value.get()).map_err(|error| {
        let message = match serde_json::from_str::<Value>(value.get()) {
            Ok(value) => T::deserialize(&value).err().map(|e| e.to_string()),
            Err(_) => None,
        };
        field_error(key, message.unwrap_or_else(|| error.to_string()))
    })
}

/// Lists an object's entries: unescaped keys, and where each value lies in `base`.
struct EntriesVisitor<'a> {
    base: &'a str,
}

impl<'de> Visitor<'de> for EntriesVisitor<'_> {
    type Value = Vec<(String, Range<usize>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let value: &RawValue = map.next_value()?;
            // The value borrows from `base`: its place there is its offset.
            let start = value.get().as_ptr() as usize - self.base.as_ptr() as usize;
            entries.push((key, start..start + value.get().len()));
        }
        Ok(entries)
    }
}

/// A key, read as bytes so a lone surrogate (`"\ud800"`) does not fail the object: such a key
/// is kept lossily (it can only be reached through [`RawObject::entries`]).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl Visitor<'_> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
        Ok(key.to_owned())
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<String, E> {
        Ok(String::from_utf8_lossy(key).into_owned())
    }
}

/// The accessors of a model that keeps the server's object, and a `Serialize` that writes it
/// back unchanged.
macro_rules! keeps_raw_object {
    ($type:ident) => {
        impl $type {
            /// The object exactly as the server sent it: its JSON text, byte for byte (numbers
            /// such as `1.50` or `123456789012345678901234567890` included), every field the
            /// client does not model too.
            pub fn raw(&self) -> &serde_json::value::RawValue {
                self.raw.text()
            }

            /// One field's JSON text as the server sent it (`None` when absent). Decode it
            /// with `serde_json::from_str(value.get())` into the type you expect.
            pub fn field(&self, name: &str) -> Option<&serde_json::value::RawValue> {
                self.raw.get(name)
            }

            /// Every field in the server's order, each with its JSON text.
            pub fn fields(&self) -> impl Iterator<Item = (&str, &serde_json::value::RawValue)> {
                self.raw.entries()
            }

            /// The server's object, consuming this value.
            pub fn into_raw(self) -> Box<serde_json::value::RawValue> {
                self.raw.into_text()
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.raw.serialize(serializer)
            }
        }
    };
}
pub(super) use keeps_raw_object;
