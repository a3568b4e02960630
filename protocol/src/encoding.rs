//! Canonical encoding: every value has exactly one byte form.
//!
//! The wire format is the postcard 1.x format (LEB128 varints for integers, a varint length before
//! strings, byte strings and sequences, a varint variant index before enum payloads, fields in
//! declaration order). What makes it *canonical* is the rule enforced here: a decoder re-encodes
//! what it decoded and rejects the input unless the bytes are identical, so overlong varints,
//! trailing bytes and any other alternative spelling are refused. `docs/protocol.md` gives the
//! byte layout of every type.

use serde::{de::DeserializeOwned, Serialize};

/// Largest encoded record (header, signatures and body) accepted from anywhere.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Largest record body. Papers larger than this travel as content-addressed blobs.
pub const MAX_BODY_BYTES: usize = 768 * 1024;
/// Longest free-text string in any body (titles, names, descriptions).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Most elements in any list inside a body (members, keys, changes, votes named by a closing).
pub const MAX_LIST_LEN: usize = 4096;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than the limit for what it claims to be.
    #[error("{what} is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// What was being decoded.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a valid encoding of the type.
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's explanation.
        reason: String,
    },
    /// The bytes decode, but are not the one canonical encoding of the value.
    #[error("{what} is not canonically encoded")]
    NotCanonical {
        /// What was being decoded.
        what: &'static str,
    },
}

/// Encodes a value canonically.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("encoding to a Vec cannot fail for protocol types")
}

/// Decodes `bytes` as a `T`, refusing input over `max` bytes before looking at it, and refusing
/// any input that is not the canonical encoding of the decoded value.
pub fn decode<T: Serialize + DeserializeOwned>(what: &'static str, bytes: &[u8], max: usize) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge { what, len: bytes.len(), max });
    }
    let value: T = postcard::from_bytes(bytes).map_err(|e| DecodeError::Malformed { what, reason: e.to_string() })?;
    if encode(&value) != bytes {
        return Err(DecodeError::NotCanonical { what });
    }
    Ok(value)
}

/// Checks a list length against [`MAX_LIST_LEN`].
pub fn check_list(what: &'static str, len: usize) -> Result<(), DecodeError> {
    if len > MAX_LIST_LEN {
        return Err(DecodeError::TooLarge { what, len, max: MAX_LIST_LEN });
    }
    Ok(())
}

/// Checks a text length against [`MAX_TEXT_BYTES`].
pub fn check_text(what: &'static str, text: &str) -> Result<(), DecodeError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(DecodeError::TooLarge { what, len: text.len(), max: MAX_TEXT_BYTES });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_overlong_varint() {
        // 5 encoded as the two-byte varint 0x85 0x00 instead of the single byte 0x05.
        assert_eq!(decode::<u64>("number", &[0x85, 0x00], 16), Err(DecodeError::NotCanonical { what: "number" }));
        assert_eq!(decode::<u64>("number", &[0x05], 16), Ok(5));
    }

    #[test]
    fn rejects_trailing_bytes() {
        assert_eq!(decode::<u64>("number", &[0x05, 0x00], 16), Err(DecodeError::NotCanonical { what: "number" }));
    }

    #[test]
    fn refuses_input_over_the_limit_before_decoding() {
        assert!(matches!(
            decode::<Vec<u8>>("blob", &[0u8; 17], 16),
            Err(DecodeError::TooLarge { len: 17, max: 16, .. })
        ));
    }
}
