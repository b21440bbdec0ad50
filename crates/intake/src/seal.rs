//! Files at rest on the desk, sealed: AES-256-GCM in 64 KiB segments, each authenticated on
//! its own, so a file is written and read a segment at a time and any byte range can be read
//! without the rest (the upload lane sends 8 MiB chunks from the middle of a scan).
//!
//! A sealed file is a 16-byte header — the magic `OWSEAL1\0`, a random 7-byte nonce prefix
//! and the segment size's log2 — then the segments, each its ciphertext and 16-byte tag.
//! Segment `i`'s nonce is the prefix, `i` (big-endian u32) and a last-segment flag (the STREAM
//! construction), and the header is the associated data of every segment: segments cannot be
//! reordered, dropped, cut off at the end or moved between files without the tag failing.
//!
//! The key is derived (HKDF-SHA256) from the cache key the OS keyring holds, so a stolen disk
//! carries neither the database nor a readable scan, thumbnail or document.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{AeadInPlace, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

/// The first bytes of every sealed file.
pub const MAGIC: &[u8; 8] = b"OWSEAL1\0";
const HEADER: usize = 16;
const SEGMENT_LOG2: u8 = 16;
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 1 << SEGMENT_LOG2;
const TAG: usize = 16;
const SEALED_SEGMENT: usize = SEGMENT + TAG;

/// Whether these are the first bytes of a sealed file.
pub fn is_sealed(head: &[u8]) -> bool {
    head.len() >= HEADER && head.starts_with(MAGIC) && head[15] == SEGMENT_LOG2
}

/// The key files are sealed with; cheap to clone.
#[derive(Clone)]
pub struct Seal {
    cipher: Arc<Aes256Gcm>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seal(..)")
    }
}

fn bad_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn nonce(prefix: &[u8], index: u64, last: bool) -> io::Result<Nonce<aes_gcm::aead::consts::U12>> {
    let index = u32::try_from(index).map_err(|_| bad_data("sealed file too large"))?;
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(&prefix[..7]);
    n[7..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Ok(*Nonce::from_slice(&n))
}

/// How many plaintext bytes a sealed file of `sealed_len` bytes holds, if that length can be
/// one.
pub fn plain_len(sealed_len: u64) -> Option<u64> {
    let body = sealed_len.checked_sub(HEADER as u64)?;
    let full = body / SEALED_SEGMENT as u64;
    let rest = body % SEALED_SEGMENT as u64;
    match (full, rest) {
        (0, 0) => None,
        (_, 0) => Some(full * SEGMENT as u64),
        (_, r) if r >= TAG as u64 => Some(full * SEGMENT as u64 + r - TAG as u64),
        _ => None,
    }
}

/// Reads up to one segment into `buf` (less only at the end of the reader).
fn fill(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    r.take(SEGMENT as u64).read_to_end(buf)?;
    Ok(())
}

/// How many segments a plaintext of `len` bytes is sealed in (an empty one still has one).
fn segments(len: u64) -> u64 {
    len.div_ceil(SEGMENT as u64).max(1)
}

impl Seal {
    /// The file key derived from the desk's 32-byte cache key.
    pub fn from_cache_key(cache_key: &[u8; 32]) -> Seal {
        let mut key = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, cache_key)
            .expand(b"onewindow desk files v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Seal {
            cipher: Arc::new(Aes256Gcm::new_from_slice(&key).expect("32-byte key")),
        }
    }

    /// Seals what `plain` yields into `out`, a segment at a time (a segment is known to be the
    /// last once the reader has nothing more after it).
    pub fn seal_stream(&self, plain: &mut impl Read, out: &mut impl Write) -> io::Result<()> {
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        OsRng.fill_bytes(&mut header[8..15]);
        header[15] = SEGMENT_LOG2;
        out.write_all(&header)?;
        let mut current = Vec::with_capacity(SEALED_SEGMENT);
        let mut next = Vec::with_capacity(SEALED_SEGMENT);
        fill(plain, &mut current)?;
        for i in 0u64.. {
            next.clear();
            if current.len() == SEGMENT {
                fill(plain, &mut next)?;
            }
            let last = next.is_empty();
            let tag = self
                .cipher
                .encrypt_in_place_detached(&nonce(&header[8..], i, last)?, &header, &mut current)
                .map_err(|_| bad_data("segment cannot be sealed"))?;
            current.extend_from_slice(&tag);
            out.write_all(&current)?;
            if last {
                break;
            }
            std::mem::swap(&mut current, &mut next);
        }
        Ok(())
    }

    /// `plain`, sealed, in memory.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEADER + plain.len() + TAG * segments(plain.len() as u64) as usize);
        self.seal_stream(&mut &plain[..], &mut out)
            .expect("reading and writing memory");
        out
    }

    /// The plaintext of a whole sealed file held in memory; any change, cut or foreign key is
    /// an `InvalidData` error.
    pub fn open(&self, sealed: &[u8]) -> io::Result<Vec<u8>> {
        let len = plain_len(sealed.len() as u64).ok_or_else(|| bad_data("not a sealed file"))?;
        if !is_sealed(sealed) {
            return Err(bad_data("not a sealed file"));
        }
        let header = &sealed[..HEADER];
        let count = segments(len);
        let mut plain = Vec::with_capacity(len as usize);
        for (i, seg) in sealed[HEADER..].chunks(SEALED_SEGMENT).enumerate() {
            let i = i as u64;
            let (body, tag) = seg.split_at(seg.len() - TAG);
            let start = plain.len();
            plain.extend_from_slice(body);
            self.cipher
                .decrypt_in_place_detached(
                    &nonce(&header[8..], i, i + 1 == count)?,
                    header,
                    &mut plain[start..],
                    Tag::from_slice(tag),
                )
                .map_err(|_| bad_data("sealed file is damaged or sealed with another key"))?;
        }
        Ok(plain)
    }

    /// Writes `plain` sealed to `path` whole or not at all: a temporary file beside it, synced,
    /// then renamed over it.
    pub fn write_file(&self, path: &Path, plain: &[u8]) -> io::Result<()> {
        self.write_file_from(path, &mut &plain[..])
    }

    /// Like [`Seal::write_file`], from a reader (a file too large to hold in memory).
    pub fn write_file_from(&self, path: &Path, plain: &mut impl Read) -> io::Result<()> {
        let tmp = path.with_file_name(format!(
            ".{}.sealing",
            path.file_name()
                .map_or("file".into(), |n| n.to_string_lossy())
        ));
        let written = (|| {
            let mut f = io::BufWriter::with_capacity(SEALED_SEGMENT, fs::File::create(&tmp)?);
            self.seal_stream(plain, &mut f)?;
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// The plaintext of a sealed file.
    pub fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.open(&fs::read(path)?)
    }

    /// How many plaintext bytes the sealed file at `path` holds.
    pub fn file_len(&self, path: &Path) -> io::Result<u64> {
        plain_len(fs::metadata(path)?.len()).ok_or_else(|| bad_data("not a sealed file"))
    }

    /// `len` plaintext bytes from `offset` of the sealed file at `path`, decrypting only the
    /// segments they lie in.
    pub fn read_range(&self, path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut f = fs::File::open(path)?;
        let total = plain_len(f.metadata()?.len()).ok_or_else(|| bad_data("not a sealed file"))?;
        let end = offset
            .checked_add(len as u64)
            .filter(|e| *e <= total)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "range past the end"))?;
        let mut header = [0u8; HEADER];
        f.read_exact(&mut header)?;
        if !is_sealed(&header) {
            return Err(bad_data("not a sealed file"));
        }
        let count = segments(total);
        let first = offset / SEGMENT as u64;
        let last = (end - 1) / SEGMENT as u64;
        f.seek(SeekFrom::Start(
            HEADER as u64 + first * SEALED_SEGMENT as u64,
        ))?;
        let mut plain = Vec::with_capacity(((last - first + 1) as usize) * SEGMENT);
        let mut seg = vec![0u8; SEALED_SEGMENT];
        for i in first..=last {
            let seg_len = if i + 1 == count {
                (total - i * SEGMENT as u64) as usize + TAG
            } else {
                SEALED_SEGMENT
            };
            f.read_exact(&mut seg[..seg_len])?;
            let (body, tag) = seg[..seg_len].split_at(seg_len - TAG);
            let start = plain.len();
            plain.extend_from_slice(body);
            self.cipher
                .decrypt_in_place_detached(
                    &nonce(&header[8..], i, i + 1 == count)?,
                    &header,
                    &mut plain[start..],
                    Tag::from_slice(tag),
                )
                .map_err(|_| bad_data("sealed file is damaged or sealed with another key"))?;
        }
        let skip = (offset - first * SEGMENT as u64) as usize;
        plain.drain(..skip);
        plain.truncate(len);
        Ok(plain)
    }
}

/// Whether `name` is one of [`Seal::write_file`]'s temporary files.
pub fn is_unfinished(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".sealing")
}

/// Removes, under `root` (recursively), the temporary files of sealed writes a crash cut
/// short; the file each was to replace is whole where it is. Returns how many.
pub fn remove_unfinished(root: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            removed += remove_unfinished(&entry.path())?;
        } else if kind.is_file() && is_unfinished(&entry.file_name().to_string_lossy()) {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Seals, in place, every file under `root` (recursively) that is not sealed yet: the blobs,
/// thumbnails, staging, quarantine and documents an earlier version left in plaintext. Each
/// file is replaced whole (sealed copy synced, then renamed over it), so a crash leaves it
/// either plaintext or sealed, never half. Returns how many files were sealed.
pub fn seal_legacy_files(seal: &Seal, root: &Path) -> io::Result<usize> {
    let mut sealed = 0;
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            sealed += seal_legacy_files(seal, &path)?;
        } else if kind.is_file() {
            if is_unfinished(&name) {
                // A write cut short: the original it was replacing is still there.
                fs::remove_file(&path)?;
                continue;
            }
            let mut head = [0u8; HEADER];
            let n = fs::File::open(&path)?.read(&mut head)?;
            if !is_sealed(&head[..n]) {
                let plain = fs::read(&path)?;
                seal.write_file(&path, &plain)?;
                sealed += 1;
            }
        }
    }
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal() -> Seal {
        Seal::from_cache_key(&[7u8; 32])
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn files_of_every_size_round_trip_and_ranges_read_alone() {
        let s = seal();
        let dir = tempfile::tempdir().unwrap();
        for n in [
            0,
            1,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            3 * SEGMENT,
            3 * SEGMENT + 17,
        ] {
            let plain = bytes(n);
            let sealed = s.seal(&plain);
            assert!(is_sealed(&sealed));
            assert_eq!(plain_len(sealed.len() as u64), Some(n as u64), "{n}");
            assert_eq!(s.open(&sealed).unwrap(), plain, "{n}");
            let path = dir.path().join(format!("f{n}"));
            s.write_file(&path, &plain).unwrap();
            assert_eq!(s.file_len(&path).unwrap(), n as u64);
            for (off, len) in [(0, n), (n / 3, n / 2), (n.saturating_sub(5), n.min(5))] {
                assert_eq!(
                    s.read_range(&path, off as u64, len).unwrap(),
                    &plain[off..off + len],
                    "{n} {off} {len}"
                );
            }
            assert!(s.read_range(&path, n as u64, 1).is_err());
        }
    }

    #[test]
    fn the_plaintext_is_nowhere_in_the_file() {
        let plain = b"370102199001011234 ZHANG SAN ".repeat(5000);
        let sealed = seal().seal(&plain);
        assert!(!sealed.windows(18).any(|w| w == &plain[..18]));
        // Two seals of the same bytes differ (a fresh nonce prefix each time).
        assert_ne!(sealed, seal().seal(&plain));
    }

    #[test]
    fn changes_cuts_reorders_and_foreign_keys_are_refused() {
        let s = seal();
        let plain = bytes(3 * SEGMENT + 100);
        let sealed = s.seal(&plain);
        // One bit flipped anywhere: header, body, tag.
        for at in [3, 10, HEADER + 5, HEADER + SEGMENT + 3, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert!(s.open(&bad).is_err(), "flip at {at}");
        }
        // Cut after whole segments: the new last segment lacks the last flag.
        let cut = &sealed[..HEADER + 2 * SEALED_SEGMENT];
        assert!(s.open(cut).is_err());
        // Two segments swapped.
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER, HEADER + SEALED_SEGMENT);
        let first = sealed[a..b].to_vec();
        swapped.copy_within(b..b + SEALED_SEGMENT, a);
        swapped[b..b + SEALED_SEGMENT].copy_from_slice(&first);
        assert!(s.open(&swapped).is_err());
        // Another desk's key.
        assert!(Seal::from_cache_key(&[8u8; 32]).open(&sealed).is_err());
        // Plaintext is not a sealed file.
        assert!(s.open(b"%PDF-1.7 plain").is_err());
    }

    #[test]
    fn legacy_plaintext_is_sealed_in_place_once() {
        let s = seal();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blobs/ab")).unwrap();
        fs::write(dir.path().join("blobs/ab/cdef"), b"\xFF\xD8\xFF scan").unwrap();
        fs::write(dir.path().join("top.pdf"), b"%PDF-1.7 notice").unwrap();
        fs::write(dir.path().join(".top.pdf.sealing"), b"half").unwrap();
        assert_eq!(seal_legacy_files(&s, dir.path()).unwrap(), 2);
        assert_eq!(seal_legacy_files(&s, dir.path()).unwrap(), 0);
        assert!(!dir.path().join(".top.pdf.sealing").exists());
        assert_eq!(
            s.read_file(&dir.path().join("blobs/ab/cdef")).unwrap(),
            b"\xFF\xD8\xFF scan"
        );
        assert_eq!(
            s.read_file(&dir.path().join("top.pdf")).unwrap(),
            b"%PDF-1.7 notice"
        );
        assert_eq!(
            seal_legacy_files(&s, &dir.path().join("missing")).unwrap(),
            0
        );
    }
}
