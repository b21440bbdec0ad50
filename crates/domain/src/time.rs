//! How OneWindow writes an instant: RFC 3339 in UTC with milliseconds
//! (`2026-11-27T02:00:00.000Z`), in the desk's cache, the hub's store and on the wire. One
//! formatter, so stored text sorts as time and a payload re-encodes to the bytes a desk wrote.

use chrono::{DateTime, SecondsFormat, Utc};

/// `at` as OneWindow stores and sends it.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde for an instant written with [`stamp`]; any RFC 3339 text is read.
pub mod stamped {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::stamp(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }

    /// The same for an instant that may be missing (`null`).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&super::super::stamp(*at)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<DateTime<Utc>>::deserialize(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_written_with_milliseconds_in_utc() {
        let at: DateTime<Utc> = "2026-11-27T10:00:00+08:00".parse().unwrap();
        assert_eq!(stamp(at), "2026-11-27T02:00:00.000Z");
        let at: DateTime<Utc> = "2026-11-27T02:00:00.5Z".parse().unwrap();
        assert_eq!(stamp(at), "2026-11-27T02:00:00.500Z");
    }
}
