//! The peer-to-peer network: libp2p (TCP + Noise + Yamux), gossip, catch-up sync, peer gating.
//! Only this module imports libp2p.
//!
//! INTERFACE (kept stable for the API): [`Handle`] with `peers()` and `holders()`.

use samverka_protocol::{MemberId, RecordId};

/// A connected peer as the API shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Peer {
    /// libp2p peer id.
    pub peer_id: String,
    /// The member whose certified node key this peer uses.
    pub member: MemberId,
    /// The remote address.
    pub address: String,
}

/// A cloneable handle to the task that owns the swarm.
#[derive(Clone, Debug, Default)]
pub struct Handle {}

impl Handle {
    /// Peers connected now.
    pub async fn peers(&self) -> Vec<Peer> {
        Vec::new()
    }

    /// Members whose nodes have confirmed holding `id` (replication receipts), this node's
    /// member included when it holds the record.
    pub async fn holders(&self, _id: &RecordId) -> Vec<MemberId> {
        Vec::new()
    }
}
