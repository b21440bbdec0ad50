//! TLS for the hub (rustls). A hub listening anywhere but loopback speaks only HTTPS; on
//! loopback (the hub and a desk on one PC, the tests) plain HTTP is allowed and `--tls` turns
//! TLS on. The certificate is `DATA/tls/cert.pem` with its key `DATA/tls/key.pem`: one from
//! the city's CA placed there, or a self-signed one the hub makes on first use. Desks do not
//! trust a CA; they pin the certificate's SHA-256 fingerprint, which `enrol` and `tls-cert`
//! print for the administrator to give with the enrolment code.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take over its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub fn tls_dir(data: &Path) -> PathBuf {
    data.join("tls")
}

fn cert_path(data: &Path) -> PathBuf {
    tls_dir(data).join("cert.pem")
}

fn key_path(data: &Path) -> PathBuf {
    tls_dir(data).join("key.pem")
}

pub use onewindow_proto::cert::{fingerprint, grouped};

/// The fingerprint of the hub's certificate, if it has one.
pub fn existing_fingerprint(data: &Path) -> Result<Option<String>, String> {
    if !cert_path(data).exists() {
        return Ok(None);
    }
    let (certs, _) = load(data)?;
    Ok(Some(fingerprint(&certs[0])))
}

/// The hub's certificate, made (self-signed, for `names` and `localhost`) when there is none.
/// Returns the fingerprint and whether it was made now.
pub fn ensure_certificate(data: &Path, names: &[String]) -> Result<(String, bool), String> {
    if let Some(fp) = existing_fingerprint(data)? {
        return Ok((fp, false));
    }
    let mut sans: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    for n in names {
        let n = n.trim();
        if !n.is_empty() && !sans.iter().any(|s| s == n) {
            sans.push(n.to_string());
        }
    }
    let made =
        rcgen::generate_simple_self_signed(sans).map_err(|e| format!("无法生成自签名证书：{e}"))?;
    let dir = tls_dir(data);
    std::fs::create_dir_all(&dir).map_err(|e| format!("无法创建 {}：{e}", dir.display()))?;
    write_private(&key_path(data), made.signing_key.serialize_pem().as_bytes())
        .map_err(|e| format!("无法写入私钥 {}：{e}", key_path(data).display()))?;
    std::fs::write(cert_path(data), made.cert.pem())
        .map_err(|e| format!("无法写入证书 {}：{e}", cert_path(data).display()))?;
    let fp = fingerprint(made.cert.der());
    tracing::info!(fingerprint = %fp, "self-signed TLS certificate made");
    Ok((fp, true))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn load(data: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let cert = cert_path(data);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("证书文件 {} 无法读取：{e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("证书文件 {} 中没有证书", cert.display()));
    }
    let key = key_path(data);
    let key = PrivateKeyDer::from_pem_file(&key)
        .map_err(|e| format!("私钥文件 {} 无法读取：{e}", key.display()))?;
    Ok((certs, key))
}

/// The acceptor for the hub's certificate, and that certificate's fingerprint.
pub fn acceptor(data: &Path) -> Result<(TlsAcceptor, String), String> {
    let (certs, key) = load(data)?;
    let fp = fingerprint(&certs[0]);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS 配置错误：{e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("证书与私钥不匹配或无法使用：{e}"))?;
    // HTTP/1.1 only: the server speaks no HTTP/2, and offering h2 breaks clients that take it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), fp))
}

/// Connections that finished their TLS handshake. Handshakes run on their own tasks, so a
/// slow or broken client never holds up the others.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_made_once_and_its_key_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(existing_fingerprint(dir.path()).unwrap(), None);
        let (fp, made) = ensure_certificate(dir.path(), &["hub.example".into()]).unwrap();
        assert!(made);
        assert_eq!(fp.len(), 64);
        let (again, made) = ensure_certificate(dir.path(), &[]).unwrap();
        assert_eq!((again.as_str(), made), (fp.as_str(), false));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key readable by others: {mode:o}");
        }
        let (_, served) = acceptor(dir.path()).unwrap();
        assert_eq!(served, fp);
        // A damaged key is a clear error, not a panic.
        std::fs::write(key_path(dir.path()), "not a key").unwrap();
        match acceptor(dir.path()) {
            Err(e) => assert!(e.contains("私钥"), "{e}"),
            Ok(_) => panic!("a damaged key was accepted"),
        }
    }
}
