//! Files at rest on the desk, sealed: AES-256-GCM in 64 KiB segments, each authenticated on
//! its own, so a file is written and read a segment at a time and any byte range can be read
//! without the rest (the upload lane sends 8 MiB chunks from the middle of a scan).
//!
//! Every file has its own key. A sealed file is a 48-byte header — the magic `OWSEAL2\0`, a
//! random 32-byte salt, the segment size's log2 and seven zero bytes — then the segments, each
//! its ciphertext and 16-byte tag. The file's key is HKDF-SHA256 of the desk's file key with the
//! salt, so no two files share a key and the nonces need no randomness: segment `i` is sealed
//! at position `i` of the STREAM construction (`aead::stream::StreamBE32`: a fixed prefix, `i`
//! big-endian and a last-segment flag). The header is the associated data of every segment:
//! segments cannot be reordered, dropped, cut off at the end or moved between files without
//! the tag failing.
//!
//! The first format (`OWSEAL1\0`, a 16-byte header) sealed every file under one key with a
//! random 56-bit nonce prefix, which passes the safe bound for random nonces after a few
//! thousand files. Such files still open, and the desk reseals them once at start
//! ([`seal_legacy_files`]).
//!
//! The desk's file key is derived (HKDF-SHA256) from the cache key the OS keyring holds, so a
//! stolen disk carries neither the database nor a readable scan, thumbnail or document. No
//! primitive here is ours: AES-GCM, STREAM and HKDF are RustCrypto's, through their public APIs.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::{KeyInit, OsRng};

/// The first bytes of every file sealed now.
pub const MAGIC: &[u8; 8] = b"OWSEAL2\0";
/// The first bytes of a file sealed in the first format (one key for every file).
pub const MAGIC_V1: &[u8; 8] = b"OWSEAL1\0";
const HEADER: usize = 48;
const HEADER_V1: usize = 16;
const SALT: usize = 32;
const SEGMENT_LOG2: u8 = 16;
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 1 << SEGMENT_LOG2;
const TAG: usize = 16;
const SEALED_SEGMENT: usize = SEGMENT + TAG;
const FILE_KEY_INFO: &[u8] = b"onewindow desk file v2";

/// The format a sealed file's header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One key per file (the salt in the header).
    PerFileKey,
    /// The first format: one key for every file, a random nonce prefix per file.
    SharedKey,
}

impl Format {
    fn header_len(self) -> usize {
        match self {
            Format::PerFileKey => HEADER,
            Format::SharedKey => HEADER_V1,
        }
    }
}

/// The format of a sealed file whose first bytes are `head`, if it is one.
pub fn format_of(head: &[u8]) -> Option<Format> {
    if head.len() >= HEADER
        && head.starts_with(MAGIC)
        && head[8 + SALT] == SEGMENT_LOG2
        && head[8 + SALT + 1..HEADER].iter().all(|b| *b == 0)
    {
        Some(Format::PerFileKey)
    } else if head.len() >= HEADER_V1 && head.starts_with(MAGIC_V1) && head[15] == SEGMENT_LOG2 {
        Some(Format::SharedKey)
    } else {
        None
    }
}

/// Whether these are the first bytes of a sealed file (of either format).
pub fn is_sealed(head: &[u8]) -> bool {
    format_of(head).is_some()
}

/// The desk's file key; cheap to clone.
#[derive(Clone)]
pub struct Seal {
    /// The key each file's own key is derived from (with the file's salt).
    files: Arc<[u8; 32]>,
    /// The first format's single key, to open what it sealed.
    shared: Arc<Aes256Gcm>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seal(..)")
    }
}

fn bad_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn hkdf(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(salt, ikm)
        .expand(info, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// How many plaintext bytes a sealed file of `sealed_len` bytes holds, if that length can be
/// one of the format.
fn body_len(format: Format, sealed_len: u64) -> Option<u64> {
    let body = sealed_len.checked_sub(format.header_len() as u64)?;
    let full = body / SEALED_SEGMENT as u64;
    let rest = body % SEALED_SEGMENT as u64;
    match (full, rest) {
        (0, 0) => None,
        (_, 0) => Some(full * SEGMENT as u64),
        (_, r) if r >= TAG as u64 => Some(full * SEGMENT as u64 + r - TAG as u64),
        _ => None,
    }
}

/// How many plaintext bytes a file sealed now, of `sealed_len` bytes, holds.
pub fn plain_len(sealed_len: u64) -> Option<u64> {
    body_len(Format::PerFileKey, sealed_len)
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

fn position(index: u64) -> io::Result<u32> {
    u32::try_from(index).map_err(|_| bad_data("sealed file too large"))
}

/// One file's STREAM: its key and nonce prefix, from its header.
struct FileStream {
    stream: StreamBE32<Aes256Gcm>,
    header: Vec<u8>,
}

impl FileStream {
    fn seal_segment(&self, index: u64, last: bool, buf: &mut Vec<u8>) -> io::Result<()> {
        self.stream
            .encrypt_in_place(position(index)?, last, &self.header, buf)
            .map_err(|_| bad_data("segment cannot be sealed"))
    }

    fn open_segment(&self, index: u64, last: bool, buf: &mut Vec<u8>) -> io::Result<()> {
        self.stream
            .decrypt_in_place(position(index)?, last, &self.header, buf)
            .map_err(|_| bad_data("sealed file is damaged or sealed with another key"))
    }
}

impl Seal {
    /// The file key derived from the desk's 32-byte cache key.
    pub fn from_cache_key(cache_key: &[u8; 32]) -> Seal {
        let shared = hkdf(None, cache_key, b"onewindow desk files v1");
        Seal {
            files: Arc::new(hkdf(None, cache_key, b"onewindow desk files v2")),
            shared: Arc::new(Aes256Gcm::new_from_slice(&shared).expect("32-byte key")),
        }
    }

    /// The STREAM of the file whose header is `header` (already checked by [`format_of`]).
    fn stream(&self, format: Format, header: &[u8]) -> FileStream {
        let stream = match format {
            Format::PerFileKey => {
                let key = hkdf(Some(&header[8..8 + SALT]), &self.files[..], FILE_KEY_INFO);
                let cipher = Aes256Gcm::new_from_slice(&key).expect("32-byte key");
                // The key is the file's own: a fixed prefix never meets itself under one key.
                StreamBE32::from_aead(cipher, &Default::default())
            }
            Format::SharedKey => {
                StreamBE32::from_aead((*self.shared).clone(), header[8..15].into())
            }
        };
        FileStream {
            stream,
            header: header[..format.header_len()].to_vec(),
        }
    }

    /// Seals what `plain` yields into `out`, a segment at a time (a segment is known to be the
    /// last once the reader has nothing more after it).
    pub fn seal_stream(&self, plain: &mut impl Read, out: &mut impl Write) -> io::Result<()> {
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        OsRng.fill_bytes(&mut header[8..8 + SALT]);
        header[8 + SALT] = SEGMENT_LOG2;
        out.write_all(&header)?;
        let file = self.stream(Format::PerFileKey, &header);
        let mut current = Vec::with_capacity(SEALED_SEGMENT);
        let mut next = Vec::with_capacity(SEALED_SEGMENT);
        fill(plain, &mut current)?;
        for i in 0u64.. {
            next.clear();
            if current.len() == SEGMENT {
                fill(plain, &mut next)?;
            }
            let last = next.is_empty();
            file.seal_segment(i, last, &mut current)?;
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
        let format = format_of(sealed).ok_or_else(|| bad_data("not a sealed file"))?;
        let len =
            body_len(format, sealed.len() as u64).ok_or_else(|| bad_data("not a sealed file"))?;
        let file = self.stream(format, sealed);
        let count = segments(len);
        let mut plain = Vec::with_capacity(len as usize);
        let mut seg = Vec::with_capacity(SEALED_SEGMENT);
        for (i, body) in sealed[format.header_len()..]
            .chunks(SEALED_SEGMENT)
            .enumerate()
        {
            let i = i as u64;
            seg.clear();
            seg.extend_from_slice(body);
            file.open_segment(i, i + 1 == count, &mut seg)?;
            plain.extend_from_slice(&seg);
        }
        Ok(plain)
    }

    /// `plain` sealed in the first format (the shared key, a random 7-byte nonce prefix), as
    /// an earlier version wrote it: only for the tests that such files open and are resealed.
    #[doc(hidden)]
    pub fn seal_first_format(&self, plain: &[u8]) -> Vec<u8> {
        let mut header = [0u8; HEADER_V1];
        header[..8].copy_from_slice(MAGIC_V1);
        OsRng.fill_bytes(&mut header[8..15]);
        header[15] = SEGMENT_LOG2;
        let file = self.stream(Format::SharedKey, &header);
        let mut out = header.to_vec();
        let count = segments(plain.len() as u64) as usize;
        for i in 0..count {
            let mut seg = plain
                [(i * SEGMENT).min(plain.len())..((i + 1) * SEGMENT).min(plain.len())]
                .to_vec();
            file.seal_segment(i as u64, i + 1 == count, &mut seg)
                .expect("sealing memory");
            out.extend_from_slice(&seg);
        }
        out
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
        let mut f = fs::File::open(path)?;
        let (format, _) = read_header(&mut f)?;
        body_len(format, f.metadata()?.len()).ok_or_else(|| bad_data("not a sealed file"))
    }

    /// `len` plaintext bytes from `offset` of the sealed file at `path`, decrypting only the
    /// segments they lie in.
    pub fn read_range(&self, path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut f = fs::File::open(path)?;
        let (format, header) = read_header(&mut f)?;
        let total =
            body_len(format, f.metadata()?.len()).ok_or_else(|| bad_data("not a sealed file"))?;
        let end = offset
            .checked_add(len as u64)
            .filter(|e| *e <= total)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "range past the end"))?;
        let file = self.stream(format, &header);
        let count = segments(total);
        let first = offset / SEGMENT as u64;
        let last = (end - 1) / SEGMENT as u64;
        f.seek(SeekFrom::Start(
            format.header_len() as u64 + first * SEALED_SEGMENT as u64,
        ))?;
        let mut plain = Vec::with_capacity(((last - first + 1) as usize) * SEGMENT);
        let mut seg = Vec::with_capacity(SEALED_SEGMENT);
        for i in first..=last {
            let seg_len = if i + 1 == count {
                (total - i * SEGMENT as u64) as usize + TAG
            } else {
                SEALED_SEGMENT
            };
            seg.resize(seg_len, 0);
            f.read_exact(&mut seg)?;
            file.open_segment(i, i + 1 == count, &mut seg)?;
            plain.extend_from_slice(&seg);
        }
        let skip = (offset - first * SEGMENT as u64) as usize;
        plain.drain(..skip);
        plain.truncate(len);
        Ok(plain)
    }
}

/// A sealed file's format and header, read from its start.
fn read_header(f: &mut fs::File) -> io::Result<(Format, Vec<u8>)> {
    let mut head = Vec::with_capacity(HEADER);
    f.take(HEADER as u64).read_to_end(&mut head)?;
    let format = format_of(&head).ok_or_else(|| bad_data("not a sealed file"))?;
    head.truncate(format.header_len());
    Ok((format, head))
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

/// What [`seal_legacy_files`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Plaintext files an earlier version left, now sealed.
    pub sealed: usize,
    /// Files of the first sealed format (one key for all), now sealed under their own key.
    pub resealed: usize,
}

/// Seals, in place, every file under `root` (recursively) that is not sealed under its own key
/// yet: the blobs, thumbnails, staging, quarantine and documents an earlier version left in
/// plaintext, and the files of the first sealed format. Each file is replaced whole (sealed
/// copy synced, then renamed over it), so a crash leaves it either as it was or sealed anew,
/// never half. A first-format file that does not open (damaged, or another key's) is left
/// as it is.
pub fn seal_legacy_files(seal: &Seal, root: &Path) -> io::Result<Resealed> {
    let mut done = Resealed::default();
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(done);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            let below = seal_legacy_files(seal, &path)?;
            done.sealed += below.sealed;
            done.resealed += below.resealed;
        } else if kind.is_file() {
            if is_unfinished(&name) {
                // A write cut short: the original it was replacing is still there.
                fs::remove_file(&path)?;
                continue;
            }
            let mut head = [0u8; HEADER];
            let n = fs::File::open(&path)?.read(&mut head)?;
            match format_of(&head[..n]) {
                Some(Format::PerFileKey) => {}
                Some(Format::SharedKey) => match seal.read_file(&path) {
                    Ok(plain) => {
                        seal.write_file(&path, &plain)?;
                        done.resealed += 1;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a first-format sealed file does not open; left as it is");
                    }
                },
                None => {
                    let plain = fs::read(&path)?;
                    seal.write_file(&path, &plain)?;
                    done.sealed += 1;
                }
            }
        }
    }
    Ok(done)
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
            assert_eq!(format_of(&sealed), Some(Format::PerFileKey));
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
            // A first-format file of the same bytes reads the same way.
            let old = dir.path().join(format!("v1-{n}"));
            fs::write(&old, s.seal_first_format(&plain)).unwrap();
            assert_eq!(s.read_file(&old).unwrap(), plain, "v1 {n}");
            assert_eq!(s.file_len(&old).unwrap(), n as u64);
            let (off, len) = (n / 3, n / 2);
            assert_eq!(
                s.read_range(&old, off as u64, len).unwrap(),
                &plain[off..off + len]
            );
        }
    }

    #[test]
    fn every_file_has_its_own_key() {
        let s = seal();
        let plain = b"370102199001011234 ZHANG SAN ".repeat(5000);
        let a = s.seal(&plain);
        let b = s.seal(&plain);
        assert!(!a.windows(18).any(|w| w == &plain[..18]));
        // Fresh salts: the two files' keys differ, so their first segments share nothing
        // although the nonce of segment 0 is the same in both.
        assert_ne!(a[8..8 + SALT], b[8..8 + SALT]);
        assert_ne!(a[HEADER..HEADER + 64], b[HEADER..HEADER + 64]);
        // A segment moved into another file (same position, same nonce) does not open there:
        // its key is the other file's.
        let mut moved = b.clone();
        moved[HEADER..HEADER + SEALED_SEGMENT].copy_from_slice(&a[HEADER..HEADER + SEALED_SEGMENT]);
        assert!(s.open(&moved).is_err());
        // The salt is the file's key: another salt with the same body does not open.
        let mut resalted = a.clone();
        resalted[8..8 + SALT].copy_from_slice(&b[8..8 + SALT]);
        assert!(s.open(&resalted).is_err());
    }

    #[test]
    fn changes_cuts_reorders_and_foreign_keys_are_refused() {
        let s = seal();
        let plain = bytes(3 * SEGMENT + 100);
        let sealed = s.seal(&plain);
        // One bit flipped anywhere: magic, salt, segment size, reserved, body, tag.
        for at in [
            3,
            10,
            40,
            44,
            HEADER + 5,
            HEADER + SEGMENT + 3,
            sealed.len() - 1,
        ] {
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
        // Another desk's key, for both formats.
        let other = Seal::from_cache_key(&[8u8; 32]);
        assert!(other.open(&sealed).is_err());
        assert!(other.open(&s.seal_first_format(&plain)).is_err());
        // Plaintext is not a sealed file.
        assert!(s.open(b"%PDF-1.7 plain").is_err());
    }

    #[test]
    fn plaintext_and_first_format_files_are_sealed_in_place_once() {
        let s = seal();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blobs/ab")).unwrap();
        fs::write(dir.path().join("blobs/ab/cdef"), b"\xFF\xD8\xFF scan").unwrap();
        fs::write(dir.path().join("top.pdf"), b"%PDF-1.7 notice").unwrap();
        fs::write(dir.path().join(".top.pdf.sealing"), b"half").unwrap();
        let v1 = bytes(2 * SEGMENT + 9);
        fs::write(dir.path().join("blobs/ab/v1"), s.seal_first_format(&v1)).unwrap();
        // A first-format file of another key stays as it is (it is not this desk's to open).
        let foreign = Seal::from_cache_key(&[9u8; 32]).seal_first_format(b"x");
        fs::write(dir.path().join("foreign"), &foreign).unwrap();
        assert_eq!(
            seal_legacy_files(&s, dir.path()).unwrap(),
            Resealed {
                sealed: 2,
                resealed: 1
            }
        );
        assert_eq!(
            seal_legacy_files(&s, dir.path()).unwrap(),
            Resealed::default()
        );
        assert!(!dir.path().join(".top.pdf.sealing").exists());
        for (name, plain) in [
            ("blobs/ab/cdef", &b"\xFF\xD8\xFF scan"[..]),
            ("top.pdf", b"%PDF-1.7 notice"),
            ("blobs/ab/v1", &v1),
        ] {
            let path = dir.path().join(name);
            let head = fs::read(&path).unwrap();
            assert_eq!(format_of(&head), Some(Format::PerFileKey), "{name}");
            assert_eq!(s.read_file(&path).unwrap(), plain, "{name}");
        }
        assert_eq!(fs::read(dir.path().join("foreign")).unwrap(), foreign);
        assert_eq!(
            seal_legacy_files(&s, &dir.path().join("missing")).unwrap(),
            Resealed::default()
        );
    }
}
