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
//!
//! A node that cannot join is told why at INFO, once per cause ([`Diagnosis`]): its own key not
//! certified in its roster, or a peer closing every connection before any exchange (the peer's
//! gate refused us: its roster does not certify our key).

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

/// Most peers remembered as "closed before any exchange, already explained in the log".
pub const MAX_EXPLAINED: usize = 1024;

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

/// Why this node is not joining, logged at INFO once per cause, with what to do.
#[derive(Debug, Default)]
pub struct Diagnosis {
    /// The roster version in which our key was last found uncertified (and said so).
    uncertified: Option<u64>,
    /// Peers that have answered or asked something on their current connection.
    exchanged: HashSet<PeerId>,
    /// Peers whose closing before any exchange was logged (until they exchange again).
    explained: HashSet<PeerId>,
}

impl Diagnosis {
    /// Notes our roster; logs once per version if `own` (this node's key) is not certified in it.
    /// Returns whether it is certified.
    pub fn roster(&mut self, roster: &Roster, own: &PublicKey) -> bool {
        if roster.is_node_key(own) {
            self.uncertified = None;
            return true;
        }
        if self.uncertified != Some(roster.version) {
            self.uncertified = Some(roster.version);
            tracing::info!(
                node_key = %own,
                roster_version = roster.version,
                "this node's key is not certified in roster version {}: peers refuse its connections. Ask \
                 your member's organisation to certify it (`samverka roster propose --certify-node \
                 \"<member id>;{own}\"`, docs/ops.md) and store that roster version here",
                roster.version,
            );
        }
        false
    }

    /// A new connection to `peer`: nothing exchanged on it yet.
    pub fn connected(&mut self, peer: &PeerId) {
        self.exchanged.remove(peer);
    }

    /// `peer` sent a sync request or answer: the connection carries traffic.
    pub fn exchanged(&mut self, peer: PeerId) {
        self.explained.remove(&peer);
        self.exchanged.insert(peer);
    }

    /// The last connection to `peer` closed, by the peer or the transport when `remote`. Logs
    /// (once until the peer exchanges again) when it closed before any exchange: the peer's gate
    /// refused this node.
    pub fn closed(&mut self, peer: PeerId, remote: bool, roster: &Roster) {
        let exchanged = self.exchanged.remove(&peer);
        if exchanged || !remote || self.explained.contains(&peer) || self.explained.len() >= MAX_EXPLAINED {
            return;
        }
        self.explained.insert(peer);
        let hint = match self.uncertified {
            Some(_) => "this node's own key is not certified in our roster either (see the message above)",
            None => {
                "its roster does not certify this node's key: it has not adopted our roster version yet, or the \
                     roster forked (two records for one version); compare GET /api/v1/roster on both nodes"
            }
        };
        tracing::info!(
            %peer,
            roster_version = roster.version,
            roster = %roster.head,
            "peer closed the connection before any exchange: {hint}",
        );
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

    #[test]
    fn a_peer_closing_before_any_exchange_is_explained_once_until_it_exchanges() {
        let fed = samverka_protocol::testkit::Federation::found("F", &samverka_protocol::testkit::kommuner(2), "1000");
        let roster = fed.chain.current();
        let peer = PeerId::random();
        let mut d = Diagnosis::default();
        d.closed(peer, true, roster);
        assert!(d.explained.contains(&peer), "closed before any exchange: explained");
        d.connected(&peer);
        d.exchanged(peer);
        assert!(!d.explained.contains(&peer), "an exchange clears it");
        d.closed(peer, true, roster);
        assert!(!d.explained.contains(&peer), "closed after an exchange: nothing to explain");
        d.closed(PeerId::random(), false, roster);
        assert!(d.explained.is_empty(), "closed by this node: nothing to explain");
        assert!(!d.roster(roster, &samverka_protocol::testkit::key("stranger").public()));
        assert_eq!(d.uncertified, Some(roster.version));
    }
}
