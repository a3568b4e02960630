//! The gate: a connection stands only if the peer's node key is certified in our roster.
//!
//! A libp2p peer id is the node's ed25519 key, so the roster's node keys map one to one onto the
//! peer ids allowed in. Inbound connections from anyone else are refused during the handshake.
//! Outbound connections (we dialed: a bootstrap address from the operator or an address a
//! certified peer shared) are let through *provisionally* when the key is not (yet) in our
//! roster, because a node that has only the charter cannot know its peers' keys: the event loop
//! then asks such a peer for roster records only, verifies them against our own chain, and
//! closes the connection unless the key turns out to be certified. Banned peers are refused
//! both ways.

use std::collections::{HashMap, HashSet};
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::swarm::{
    dummy, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent,
    ToSwarm,
};
use libp2p::{identity, Multiaddr, PeerId};
use samverka_protocol::{MemberId, PublicKey, Roster};

/// Why the gate refused a connection.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The peer's key is not a node key in our roster.
    #[error("peer {0} is not a certified node of this federation")]
    NotCertified(PeerId),
    /// The peer was banned.
    #[error("peer {0} is banned")]
    Banned(PeerId),
}

/// The peer id of a node key.
pub fn peer_id(key: &PublicKey) -> Option<PeerId> {
    let public = identity::ed25519::PublicKey::try_from_bytes(&key.0).ok()?;
    Some(identity::PublicKey::from(public).to_peer_id())
}

/// The gate behaviour.
#[derive(Default)]
pub struct Gate {
    certified: HashMap<PeerId, MemberId>,
    banned: HashSet<PeerId>,
    /// Inbound connections refused (for tests and metrics).
    pub refused: u64,
}

impl Gate {
    /// Replaces the certified set with the node keys of `roster`.
    pub fn set_roster(&mut self, roster: &Roster) {
        self.certified = roster
            .keys
            .iter()
            .filter(|(k, _)| roster.is_node_key(k))
            .filter_map(|(k, g)| Some((peer_id(k)?, g.member.clone())))
            .collect();
    }

    /// The member whose certified node key `peer` is.
    pub fn member(&self, peer: &PeerId) -> Option<&MemberId> {
        self.certified.get(peer)
    }

    /// Whether `peer` is certified.
    pub fn is_certified(&self, peer: &PeerId) -> bool {
        self.certified.contains_key(peer)
    }

    /// Refuses `peer` from now on.
    pub fn ban(&mut self, peer: PeerId) {
        self.banned.insert(peer);
    }

    /// Lifts a ban.
    pub fn unban(&mut self, peer: &PeerId) {
        self.banned.remove(peer);
    }

    /// Whether `peer` is banned.
    pub fn is_banned(&self, peer: &PeerId) -> bool {
        self.banned.contains(peer)
    }

    fn admit(&mut self, peer: &PeerId, inbound: bool) -> Result<(), ConnectionDenied> {
        if self.banned.contains(peer) {
            self.refused += 1;
            return Err(ConnectionDenied::new(Refusal::Banned(*peer)));
        }
        if inbound && !self.certified.contains_key(peer) {
            self.refused += 1;
            return Err(ConnectionDenied::new(Refusal::NotCertified(*peer)));
        }
        Ok(())
    }
}

impl NetworkBehaviour for Gate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = std::convert::Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(&peer, true)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: Option<PeerId>,
        _: &[Multiaddr],
        _: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        if let Some(peer) = peer.filter(|p| self.banned.contains(p)) {
            return Err(ConnectionDenied::new(Refusal::Banned(peer)));
        }
        Ok(Vec::new())
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit(&peer, false)?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, _: FromSwarm) {}

    fn on_connection_handler_event(&mut self, _: PeerId, _: ConnectionId, event: THandlerOutEvent<Self>) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_is_the_node_key() {
        let key = samverka_protocol::testkit::key("gate/node");
        let keypair = identity::Keypair::ed25519_from_bytes(key.to_seed()).expect("32-byte seed");
        assert_eq!(peer_id(&key.public()), Some(keypair.public().to_peer_id()));
    }
}
