//! A load generator's HTTP/1.1 client: one keep-alive connection, one request at a time, the
//! request written by hand and the answer read by its `Content-Length`.
//!
//! The benchmark's clients share the two cores with the node they measure, so they should cost
//! as little as a load generator such as wrk does; a general client (reqwest: pools, URL
//! parsing, header maps, body streams) took a tenth of the cores in the vote run.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest answer head read.
const MAX_HEAD: usize = 16 * 1024;

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

/// An answer: its status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Connection { stream, host: addr.to_string(), buf: Vec::with_capacity(4096) })
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<Answer> {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.write_all(head.as_bytes()).await?;
        self.answer().await
    }

    /// `POST path` with `body` as `application/octet-stream`.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<Answer> {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.stream.write_all(&request).await?;
        self.answer().await
    }

    /// Reads one answer: the head up to its blank line, then `Content-Length` bytes of body.
    async fn answer(&mut self) -> Result<Answer> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if self.buf.len() > MAX_HEAD {
                bail!("an answer's head is over {MAX_HEAD} bytes");
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..end]).context("an answer's head is not text")?;
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).context("an answer without a status")?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok()).flatten()
            })
            .context("an answer without Content-Length")?;
        while self.buf.len() < end + length {
            self.fill().await?;
        }
        let body = self.buf[end..end + length].to_vec();
        self.buf.drain(..end + length);
        Ok(Answer { status, body })
    }

    async fn fill(&mut self) -> Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the node closed the connection");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}
