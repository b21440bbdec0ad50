//! The desk's side of TLS to the hub: the hub's certificate is pinned by its SHA-256
//! fingerprint, not trusted through a CA. A hall's hub usually has a self-signed certificate;
//! the administrator reads its fingerprint off `onewindow-hub enrol` and the desk's first-run
//! screen takes it with the enrolment code. From then on the desk talks only to a hub
//! presenting that very certificate: a stolen hub name, a proxy or a DNS trick is refused.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Part of the handshake error when the hub's certificate is not the pinned one (the error
/// chain is searched for it to tell the clerk what happened).
pub const PIN_MISMATCH: &str = "hub certificate does not match the pinned fingerprint";
/// Part of the handshake error when the desk has no fingerprint for an https hub.
pub const NO_PIN: &str = "no certificate fingerprint pinned for this hub";

/// The fewest hex digits of a fingerprint the desk accepts at enrolment (64 bits).
pub const MIN_PIN_HEX: usize = 32;

pub use onewindow_proto::cert::{fingerprint, grouped};

/// A fingerprint as the administrator may type it (`AB:CD:…`, groups with dashes or spaces,
/// any case), as lowercase hex: at least [`MIN_PIN_HEX`] digits of the start, or all 64.
pub fn normalise_pin(typed: &str) -> Result<String, String> {
    let hex: String = typed
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' ' | '\t'))
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.is_empty() {
        return Err("请填写中心证书指纹（SHA-256，管理员注册本窗口时一并提供）".into());
    }
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("证书指纹只含 0-9 和 A-F（可用冒号或空格分组）".into());
    }
    if hex.len() < MIN_PIN_HEX || hex.len() > 64 {
        return Err(format!(
            "证书指纹应为 {MIN_PIN_HEX}–64 位十六进制数字，现在是 {} 位",
            hex.len()
        ));
    }
    Ok(hex)
}

/// Accepts exactly the certificate whose fingerprint starts with the pin (the whole
/// fingerprint once the desk has seen it), with the handshake's signatures checked against
/// that certificate's key as usual.
#[derive(Debug)]
struct PinVerifier {
    pin: Option<String>,
    provider: Arc<CryptoProvider>,
    seen: Arc<Mutex<Option<SeenCert>>>,
}

/// The certificate a hub last presented: its fingerprint, and the certificate itself (DER),
/// which `--system` gives apt as the hub's `CAInfo`.
#[derive(Debug, Clone)]
pub struct SeenCert {
    pub fingerprint: String,
    pub der: Vec<u8>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity);
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(SeenCert {
            fingerprint: fp.clone(),
            der: end_entity.to_vec(),
        });
        match &self.pin {
            Some(pin) if fp.starts_with(pin.as_str()) => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(rustls::Error::General(PIN_MISMATCH.into())),
            None => Err(rustls::Error::General(NO_PIN.into())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS configuration of a client of one hub: only the pinned certificate is accepted;
/// `seen` gets each certificate a hub presents.
pub fn client_config(
    pin: Option<String>,
    seen: Arc<Mutex<Option<SeenCert>>>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinVerifier {
        pin,
        provider: provider.clone(),
        seen,
    });
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the provider supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// Whether an error (anywhere in its chain) is the pin refusing a certificate, or the lack
/// of a pin.
pub fn pin_problem(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if text.contains(PIN_MISMATCH) {
            return Some(PIN_MISMATCH);
        }
        if text.contains(NO_PIN) {
            return Some(NO_PIN);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_read_however_they_are_typed() {
        let fp = "3f2a9c01deadbeef00112233445566778899aabbccddeeff0011223344556677";
        assert_eq!(
            normalise_pin("3F:2A:9C:01:DE:AD:BE:EF:00:11:22:33:44:55:66:77").unwrap(),
            &fp[..32]
        );
        assert_eq!(
            normalise_pin("3F2A-9C01-DEAD-BEEF-0011-2233-4455-6677").unwrap(),
            &fp[..32]
        );
        // 64 bits are not enough to pin a certificate.
        assert!(
            normalise_pin("3F2A-9C01-DEAD-BEEF")
                .unwrap_err()
                .contains("现在是 16 位")
        );
        assert_eq!(normalise_pin(&grouped(fp)).unwrap(), fp);
        assert!(normalise_pin("").unwrap_err().contains("请填写"));
        assert!(
            normalise_pin("3F2A 9C01")
                .unwrap_err()
                .contains("现在是 8 位")
        );
        assert!(
            normalise_pin("3F2A 9C01 DEAD BEEG 0011 2233 4455 6677")
                .unwrap_err()
                .contains("0-9")
        );
        assert!(normalise_pin(&"a".repeat(65)).is_err());
        assert_eq!(grouped("3f2a9c01"), "3F2A 9C01");
    }
}
