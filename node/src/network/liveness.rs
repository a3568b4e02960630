//! Which connections still answer pings. libp2p's ping reports failures but closes nothing, and
//! its first failure on a connection is silent, so a frozen peer (stopped with SIGSTOP, a hung
//! host) would stay "connected" for minutes. The swarm task closes every connection that has
//! answered no ping for [`FROZEN_AFTER`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::swarm::ConnectionId;
use libp2p::PeerId;

/// How often each connection is pinged.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long one ping may wait for its answer.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection whose peer answered no ping (nor completed its first one) for this long is
/// closed. With pings every [`PING_INTERVAL`], a live peer answers several times within it.
pub const FROZEN_AFTER: Duration = Duration::from_secs(20);

/// The last time each open connection answered a ping (or opened, before its first answer).
/// Connections to peers that do not speak ping are not watched.
#[derive(Default)]
pub struct Liveness {
    answered: HashMap<ConnectionId, (PeerId, Instant)>,
}

impl Liveness {
    /// Starts watching a connection opened at `now`.
    pub fn opened(&mut self, connection: ConnectionId, peer: PeerId, now: Instant) {
        self.answered.insert(connection, (peer, now));
    }

    /// The connection answered a ping at `now`.
    pub fn answered(&mut self, connection: ConnectionId, now: Instant) {
        if let Some((_, at)) = self.answered.get_mut(&connection) {
            *at = now;
        }
    }

    /// Stops watching a connection: it closed, or its peer does not speak ping.
    pub fn forget(&mut self, connection: ConnectionId) {
        self.answered.remove(&connection);
    }

    /// Connections silent for [`FROZEN_AFTER`] at `now`, no longer watched once returned (the
    /// caller closes them).
    pub fn frozen(&mut self, now: Instant) -> Vec<(ConnectionId, PeerId)> {
        let frozen: Vec<(ConnectionId, PeerId)> = self
            .answered
            .iter()
            .filter(|(_, (_, at))| now.saturating_duration_since(*at) >= FROZEN_AFTER)
            .map(|(c, (p, _))| (*c, *p))
            .collect();
        for (connection, _) in &frozen {
            self.answered.remove(connection);
        }
        frozen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_silent_for_frozen_after_is_returned_once() {
        let mut liveness = Liveness::default();
        let start = Instant::now();
        let (quiet, chatty) = (ConnectionId::new_unchecked(1), ConnectionId::new_unchecked(2));
        let peer = PeerId::random();
        liveness.opened(quiet, peer, start);
        liveness.opened(chatty, peer, start);
        liveness.answered(chatty, start + FROZEN_AFTER / 2);
        assert!(liveness.frozen(start + FROZEN_AFTER - Duration::from_millis(1)).is_empty());
        assert_eq!(liveness.frozen(start + FROZEN_AFTER), vec![(quiet, peer)]);
        assert!(liveness.frozen(start + FROZEN_AFTER).is_empty(), "returned once");
        liveness.forget(chatty);
        assert!(liveness.frozen(start + FROZEN_AFTER * 3).is_empty(), "a forgotten connection is not watched");
    }
}
