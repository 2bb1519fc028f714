//! Objects read whole and kept as the server sent them, with their known fields typed: what
//! every model but the job (which reads entry by entry) is made of.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A JSON object read whole, from which known fields are taken by name.
pub(super) struct RawObject(Map<String, Value>);

impl RawObject {
    pub(super) fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self)
    }

    /// A documented field: missing or of the wrong type is an error, named after the field.
    pub(super) fn required<T: DeserializeOwned, E: serde::de::Error>(
        &self,
        key: &'static str,
    ) -> Result<T, E> {
        let value = self.0.get(key).ok_or_else(|| E::missing_field(key))?;
        T::deserialize(value).map_err(|e| E::custom(format_args!("{key}: {e}")))
    }

    /// A documented field that may be absent or `null`; of the wrong type is an error.
    pub(super) fn optional<T: DeserializeOwned, E: serde::de::Error>(
        &self,
        key: &'static str,
    ) -> Result<Option<T>, E> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| E::custom(format_args!("{key}: {e}"))),
        }
    }

    /// A field only observed in practice: a surprising shape leaves it empty (the raw value
    /// stays available).
    pub(super) fn lenient<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0
            .get(key)
            .and_then(|value| Option::<T>::deserialize(value).ok().flatten())
    }

    pub(super) fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// The accessors of a model that keeps the server's object, and a `Serialize` that writes it
/// back unchanged.
macro_rules! keeps_raw_object {
    ($type:ident) => {
        impl $type {
            /// Every field the server sent, in its order, including those this client does not
            /// model.
            pub fn raw(&self) -> &Map<String, Value> {
                &self.raw
            }

            /// One field as the server sent it.
            pub fn field(&self, name: &str) -> Option<&Value> {
                self.raw.get(name)
            }

            /// The server's object, consuming this value.
            pub fn into_raw(self) -> Map<String, Value> {
                self.raw
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.raw.serialize(serializer)
            }
        }
    };
}
pub(super) use keeps_raw_object;
