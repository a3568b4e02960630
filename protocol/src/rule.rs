//! What a record kind's rules answer besides "valid", shared by the rule modules (`governance`,
//! `plan`, `agreement`): the kind's own violation, a referenced record not held yet, or a body
//! that does not decode. `crate::validate` maps it into its `Rejection`.

use crate::encoding::DecodeError;
use crate::record::RecordId;

/// A rule's answer besides "valid", over the rule module's violation type `V`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error<V: std::error::Error + 'static> {
    /// The body breaks a rule of its kind.
    #[error(transparent)]
    Violation(V),
    /// A record the body names is not held: the record waits for it.
    #[error("record {id} that this one depends on is not known yet")]
    MissingDependency {
        /// The record named but not held.
        id: RecordId,
    },
    /// The body, or a free-text field in it, is not within the encoding's limits.
    #[error("malformed: {0}")]
    Malformed(DecodeError),
}

impl<V: std::error::Error + 'static> From<DecodeError> for Error<V> {
    fn from(e: DecodeError) -> Error<V> {
        Error::Malformed(e)
    }
}
