//! Checks of the store's bytes: what damage to a record or to an index file looks like, the
//! checks opening runs over the index files, and the scrub report.
//!
//! The index files are derived from the record log, so a damaged one is rebuilt, never trusted:
//! opening checks every entry of `records/offsets`, the kind files and the chain files against
//! rules that a single changed, cut or lost entry breaks (see [`check_indexes`]).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use samverka_protocol::encoding::MAX_RECORD_BYTES;
use samverka_protocol::{Kind, PublicKey, RecordId};

use super::{io, u32_at, u64_at, Error, Files, CHAIN_ENTRY, FRAME_HEADER, KIND_ENTRY, OFFSET_ENTRY};

/// What is wrong with the stored bytes of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// Its offsets entry names bytes outside the log, or an impossible length.
    #[error("its offsets entry points outside the record log")]
    OutOfBounds,
    /// The length in its frame's header differs from its offsets entry.
    #[error("its frame's length differs from its offsets entry")]
    Length,
    /// Its frame check does not match its bytes.
    #[error("its frame check does not match its bytes")]
    Check,
    /// Its bytes pass the frame check but do not decode as a record.
    #[error("its bytes do not decode as a record")]
    Undecodable,
    /// The index named another record than the one stored there.
    #[error("the index names record {expected}, the log holds {found} there")]
    WrongId {
        /// The id the index named.
        expected: RecordId,
        /// The id of the record stored at that number.
        found: RecordId,
    },
    /// A kind index listed a record of another kind.
    #[error("the kind index lists a {found:?} record as {expected:?}")]
    WrongKind {
        /// The kind the index lists.
        expected: Kind,
        /// The kind of the record stored at that number.
        found: Kind,
    },
}

impl Damage {
    /// A stable code for machines (`scrub --json`).
    pub fn code(&self) -> &'static str {
        match self {
            Damage::OutOfBounds => "out_of_bounds",
            Damage::Length => "frame_length",
            Damage::Check => "frame_check",
            Damage::Undecodable => "undecodable",
            Damage::WrongId { .. } => "wrong_id",
            Damage::WrongKind { .. } => "wrong_kind",
        }
    }
}

/// A damaged record found in the store: never served, and fetched again from peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged {
    /// The record's local number.
    pub n: u64,
    /// Its id, when an index names it.
    pub id: Option<RecordId>,
    /// Its author and chain position, when a chain index names it.
    pub position: Option<(PublicKey, u64)>,
    /// What is wrong.
    pub damage: Damage,
}

/// What is wrong with an index file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexFault {
    /// The offsets file holds fewer entries than the checkpoint covers (cut short or deleted).
    #[error("records/offsets holds {entries} entries, the checkpoint covers {next}")]
    OffsetsShort {
        /// Whole entries in the file.
        entries: u64,
        /// Records the checkpoint covers.
        next: u64,
    },
    /// An offsets entry does not start where the frame before it ends.
    #[error("records/offsets: entry {n} does not start where the frame before it ends")]
    OffsetsChain {
        /// The record number of the entry.
        n: u64,
    },
    /// The offsets entries end elsewhere than the log the checkpoint covers.
    #[error("records/offsets: its entries end at byte {end} of the log, the checkpoint covers {log}")]
    OffsetsEnd {
        /// Where the last entry's record ends.
        end: u64,
        /// The log length the checkpoint covers.
        log: u64,
    },
    /// An entry out of order, or naming a record beyond the checkpoint.
    #[error("records/{file}: entry {entry} is out of order or names a record beyond the store")]
    Order {
        /// The index file's name.
        file: String,
        /// The entry's position in the file.
        entry: u64,
    },
    /// The kind files do not list every record exactly once.
    #[error("the kind index files do not list every record exactly once")]
    KindCover,
    /// The chain files and out-of-order positions do not name every record exactly once, with
    /// the ids the checkpoint recorded.
    #[error("the chain index files do not match the ids the checkpoint recorded")]
    ChainFingerprint,
    /// A kind file lists a record of another kind (found by scrub).
    #[error("records/kind-{kind:04x} lists record {n}, which is of another kind")]
    KindEntry {
        /// The kind's code.
        kind: u16,
        /// The record number listed.
        n: u64,
    },
    /// A chain entry names another id than the record stored at its number (found by scrub).
    #[error("the chain index of {author} names another record at seq {seq} than the log holds")]
    ChainEntry {
        /// The chain's author.
        author: PublicKey,
        /// The position.
        seq: u64,
    },
    /// The id index names another number for a record than the one it is stored at (found by
    /// scrub).
    #[error("the id index names another number for record {n}")]
    IdEntry {
        /// The record number.
        n: u64,
    },
}

impl IndexFault {
    /// A stable code for machines (`scrub --json`).
    pub fn code(&self) -> &'static str {
        match self {
            IndexFault::OffsetsShort { .. } => "offsets_short",
            IndexFault::OffsetsChain { .. } => "offsets_chain",
            IndexFault::OffsetsEnd { .. } => "offsets_end",
            IndexFault::Order { .. } => "index_order",
            IndexFault::KindCover => "kind_cover",
            IndexFault::ChainFingerprint => "chain_fingerprint",
            IndexFault::KindEntry { .. } => "kind_entry",
            IndexFault::ChainEntry { .. } => "chain_entry",
            IndexFault::IdEntry { .. } => "id_entry",
        }
    }
}

/// What `samverka scrub` found.
#[derive(Clone, Debug, Default)]
pub struct Scrub {
    /// Records read and checked.
    pub records: u64,
    /// Damaged records.
    pub damaged: Vec<Damaged>,
    /// Index entries that name the wrong record.
    pub faults: Vec<IndexFault>,
    /// The index damage opening found and repaired by rebuilding the indexes from the log.
    pub rebuilt: Option<IndexFault>,
}

impl Scrub {
    /// Whether the store holds damage that was not repaired.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty() && self.faults.is_empty()
    }
}

/// A record's contribution to the fingerprint of the chain indexes: a mix of its number, its
/// chain position and its whole id. The fingerprint is the wrapping sum over every record, so it
/// grows by one addition per record and does not depend on the order records are listed in.
pub(super) fn fingerprint(n: u64, seq: u64, id: &RecordId) -> u64 {
    let mix = |h: u64, word: u64| {
        let x = (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (x ^ (x >> 31)).wrapping_mul(0xd6e8_feb8_6659_fd93)
    };
    let words = [n, seq, u64_at(&id.0, 0), u64_at(&id.0, 8), u64_at(&id.0, 16), u64_at(&id.0, 24)];
    words.into_iter().fold(0, mix)
}

/// Reads `len` bytes of `path` in entries of `entry` bytes, calling `each` with every entry's
/// position and bytes; stops with the first fault it returns.
fn each_entry(
    path: &Path,
    len: u64,
    entry: u64,
    mut each: impl FnMut(u64, &[u8]) -> Option<IndexFault>,
) -> Result<Option<IndexFault>, Error> {
    let file = File::open(path).map_err(io(path))?;
    let mut reader = BufReader::with_capacity(1 << 20, file.take(len));
    let mut buf = vec![0u8; entry as usize];
    for i in 0..len / entry {
        reader.read_exact(&mut buf).map_err(io(path))?;
        if let Some(fault) = each(i, &buf) {
            return Ok(Some(fault));
        }
    }
    Ok(None)
}

/// Checks the index files as a checkpoint left them (`next` records, `log` bytes of log) and the
/// chain positions kept in sled (`exceptions`: n, seq and id of each, below `next`):
/// - offsets: at least `next` entries; entry 0 starts at byte [`FRAME_HEADER`], each later entry
///   where the frame before it ends, and the last ends where the log the checkpoint covers ends
///   (frames lie back to back);
/// - kind files: each ascending, below `next`, and together listing every number below `next`
///   exactly once (count, sum and sum of squares match 0..next);
/// - chain files: each ascending in seq, below `next`, and with `exceptions` naming `next`
///   records whose fingerprint ([`fingerprint`]) is `expected` (when the checkpoint recorded one).
///
/// Returns the first fault found and the chain fingerprint computed.
pub(super) fn check_indexes(
    files: &Files,
    exceptions: &[(u64, u64, RecordId)],
    expected: Option<u64>,
) -> Result<(Option<IndexFault>, u64), Error> {
    let (next, log) = files.checkpointed;
    let mut end = 0u64;
    let offsets = files.dir.join("offsets");
    let entries = std::fs::metadata(&offsets).map_err(io(&offsets))?.len() / OFFSET_ENTRY;
    if entries < next {
        return Ok((Some(IndexFault::OffsetsShort { entries, next }), 0));
    }
    let fault = each_entry(&offsets, next * OFFSET_ENTRY, OFFSET_ENTRY, |n, e| {
        let (at, len) = (u64_at(e, 0), u64::from(u32_at(e, 8)));
        if at != end + FRAME_HEADER || len == 0 || len > MAX_RECORD_BYTES as u64 {
            return Some(IndexFault::OffsetsChain { n });
        }
        end = at + len;
        None
    })?;
    if fault.is_some() {
        return Ok((fault, 0));
    }
    if end != log {
        return Ok((Some(IndexFault::OffsetsEnd { end, log }), 0));
    }
    let (mut count, mut sum, mut squares) = (0u64, 0u128, 0u128);
    for (code, kind) in &files.kinds {
        let name = format!("kind-{code:04x}");
        let mut last = None;
        let fault = each_entry(&files.dir.join(&name), kind.len, KIND_ENTRY, |i, e| {
            let n = u64_at(e, 0);
            if n >= next || last.is_some_and(|l| n <= l) {
                return Some(IndexFault::Order { file: name.clone(), entry: i });
            }
            last = Some(n);
            (count, sum, squares) = (count + 1, sum + u128::from(n), squares + u128::from(n) * u128::from(n));
            None
        })?;
        if fault.is_some() {
            return Ok((fault, 0));
        }
    }
    let n = u128::from(next);
    let whole = n * n.saturating_sub(1) / 2;
    let whole_squares = n.saturating_sub(1) * n * (2 * n).saturating_sub(1) / 6;
    if count != next || sum != whole || squares != whole_squares {
        return Ok((Some(IndexFault::KindCover), 0));
    }
    let mut print = 0u64;
    let mut count = 0u64;
    for (no, len) in &files.chain_len {
        let name = format!("chain-{no:08x}");
        let mut last = None;
        let fault = each_entry(&files.dir.join(&name), *len, CHAIN_ENTRY, |i, e| {
            let (seq, n) = (u64_at(e, 0), u64_at(e, 8));
            if n >= next || last.is_some_and(|l| seq <= l) {
                return Some(IndexFault::Order { file: name.clone(), entry: i });
            }
            last = Some(seq);
            count += 1;
            print = print.wrapping_add(fingerprint(n, seq, &super::id_at(e, 16)));
            None
        })?;
        if fault.is_some() {
            return Ok((fault, 0));
        }
    }
    for (n, seq, id) in exceptions {
        count += 1;
        print = print.wrapping_add(fingerprint(*n, *seq, id));
    }
    if count != next || expected.is_some_and(|e| e != print) {
        return Ok((Some(IndexFault::ChainFingerprint), print));
    }
    Ok((None, print))
}
