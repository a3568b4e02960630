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

/// The conversions of a rule module whose `Violation` keeps the field rules it shares with plans
/// as `Violation::Field(plan::Violation)` (`agreement`, `needs`, `outage`, `support`): its own
/// violation, a plan field violation, and a plan rule's whole answer, each into the module's
/// [`Error`]; and a plan field violation into its `Violation`.
macro_rules! shares_plan_field_rules {
    ($violation:ident) => {
        impl From<$violation> for crate::rule::Error<$violation> {
            fn from(v: $violation) -> crate::rule::Error<$violation> {
                crate::rule::Error::Violation(v)
            }
        }

        impl From<crate::plan::Violation> for $violation {
            fn from(v: crate::plan::Violation) -> $violation {
                $violation::Field(v)
            }
        }

        impl From<crate::plan::Violation> for crate::rule::Error<$violation> {
            fn from(v: crate::plan::Violation) -> crate::rule::Error<$violation> {
                crate::rule::Error::Violation($violation::Field(v))
            }
        }

        impl From<crate::plan::Error> for crate::rule::Error<$violation> {
            fn from(e: crate::plan::Error) -> crate::rule::Error<$violation> {
                match e {
                    crate::plan::Error::Violation(v) => v.into(),
                    crate::plan::Error::MissingDependency { id } => crate::rule::Error::MissingDependency { id },
                    crate::plan::Error::Malformed(e) => crate::rule::Error::Malformed(e),
                }
            }
        }
    };
}
pub(crate) use shares_plan_field_rules;
