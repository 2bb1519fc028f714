//! One page of a paginated list (`count/next/previous/results`, Django REST Framework style).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// One page of results.
///
/// `count` is the total over all pages. Older servers send it as a float (`100.0`) and omit
/// `next`/`previous`; both forms decode. A negative or fractional count is a decode error.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// How many items match, over all pages.
    #[serde(deserialize_with = "count_from_number")]
    pub count: u64,
    /// The URL of the next page, if any.
    #[serde(default)]
    pub next: Option<String>,
    /// The URL of the previous page, if any.
    #[serde(default)]
    pub previous: Option<String>,
    /// The items of this page.
    pub results: Vec<T>,
}

impl<T> Page<T> {
    /// Builds a page (for tests and transports that produce pages themselves).
    pub fn new(
        count: u64,
        next: Option<String>,
        previous: Option<String>,
        results: Vec<T>,
    ) -> Self {
        Self {
            count,
            next,
            previous,
            results,
        }
    }
}

/// Largest integer an `f64` holds exactly; above it a float count cannot be trusted.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

fn count_from_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(count) = number.as_u64() {
        return Ok(count);
    }
    match number.as_f64() {
        Some(float) if float >= 0.0 && float.fract() == 0.0 && float <= MAX_EXACT_FLOAT => {
            Ok(float as u64)
        }
        _ => Err(D::Error::custom(format_args!(
            "count must be a non-negative whole number, got {number}"
        ))),
    }
}
