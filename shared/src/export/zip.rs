//! A zip archive (with ZIP64 records, so no size limit) written as a stream
//! by a job that may stop and be continued by another process (PRIV-1).
//!
//! Why zip written here rather than `tar` + `flate2` or the `zip` crate: a tar
//! header states its entry's size before the data, and an export learns the
//! size of `bookings.jsonl` only after paging through every booking, so a
//! streamed tar would need each kind held whole (memory) or read twice. Zip
//! puts sizes and CRC after the data (a data descriptor, general purpose bit
//! 3) and in the central directory at the end. The `zip` crate writes that
//! too, but keeps its state inside one writer object that cannot outlive the
//! process; a continued export must restart from a few numbers stored in the
//! export item. So the framing (four fixed records) is written here and the
//! compression is `flate2`'s raw deflate: at a checkpoint the deflate stream
//! is sync-flushed (byte-aligned, every input byte emitted), and the next run
//! continues the same entry with a fresh compressor, which is valid deflate
//! because a fresh compressor never refers back to data it has not seen. The
//! CRC-32 continues from its stored value.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// ZIP64 (4.5): sizes and offsets are 64-bit.
const VERSION: u16 = 45;
/// Unix, so that the external attributes (file mode) are read.
const MADE_BY: u16 = (3 << 8) | VERSION;
/// Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8.
const FLAGS: u16 = 0x0808;
const DEFLATE: u16 = 8;
/// A regular file, `rw-r--r--`.
const FILE_MODE: u32 = 0o100_644 << 16;

/// One entry as the central directory lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its name in the archive.
    pub name: String,
    /// Where its local header starts.
    pub offset: u64,
    /// CRC-32 of its content so far.
    pub crc: u32,
    /// Compressed bytes so far.
    pub compressed: u64,
    /// Content bytes so far.
    pub size: u64,
}

/// Everything needed to continue an archive in another process: small
/// enough to store in the export item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipState {
    /// Bytes of archive produced so far (uploaded or pending).
    pub written: u64,
    /// Finished entries, in order.
    pub done: Vec<Entry>,
    /// The entry being written, if any.
    pub open: Option<Entry>,
    /// MS-DOS date and time stamped on every entry.
    pub dos_date: u16,
    /// See `dos_date`.
    pub dos_time: u16,
}

/// Misuse of the writer (an entry begun twice, data outside an entry): a
/// bug, reported rather than written as a corrupt archive.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// The call does not fit the writer's state.
    #[error("zip writer misused: {0}")]
    Misuse(&'static str),
    /// The compressor failed (only on allocation failure).
    #[error("compression failed")]
    Compression(#[from] std::io::Error),
}

/// Writes an archive into an in-memory buffer that the caller drains into
/// upload parts; only what is not yet drained is held.
pub struct ZipWriter {
    state: ZipState,
    out: Vec<u8>,
    open: Option<(DeflateEncoder<Vec<u8>>, crc32fast::Hasher)>,
}

impl ZipWriter {
    /// A new archive whose entries carry the time `unix` (UTC).
    pub fn new(unix: i64) -> Self {
        let (dos_date, dos_time) = dos_stamp(unix);
        Self {
            state: ZipState {
                dos_date,
                dos_time,
                ..ZipState::default()
            },
            out: Vec::new(),
            open: None,
        }
    }

    /// Continues an archive from a [`ZipWriter::checkpoint`]: its state and
    /// the bytes it had produced but not yet handed out.
    pub fn resume(state: ZipState, pending: Vec<u8>) -> Self {
        let open = state.open.as_ref().map(|e| {
            (
                DeflateEncoder::new(Vec::new(), Compression::default()),
                crc32fast::Hasher::new_with_initial_len(e.crc, e.size),
            )
        });
        Self {
            state,
            out: pending,
            open,
        }
    }

    /// Whether an entry is being written.
    pub fn in_entry(&self) -> bool {
        self.open.is_some()
    }

    /// Starts the entry `name`.
    pub fn begin(&mut self, name: &str) -> Result<(), ZipError> {
        if self.open.is_some() {
            return Err(ZipError::Misuse("an entry is already open"));
        }
        let name_len =
            u16::try_from(name.len()).map_err(|_| ZipError::Misuse("entry name too long"))?;
        let offset = self.state.written;
        let mut h = Vec::with_capacity(50 + name.len());
        put32(&mut h, LOCAL_HEADER);
        put16(&mut h, VERSION);
        put16(&mut h, FLAGS);
        put16(&mut h, DEFLATE);
        put16(&mut h, self.state.dos_time);
        put16(&mut h, self.state.dos_date);
        put32(&mut h, 0);
        put32(&mut h, u32::MAX);
        put32(&mut h, u32::MAX);
        put16(&mut h, name_len);
        put16(&mut h, 20);
        h.extend_from_slice(name.as_bytes());
        // ZIP64 extra field: the sizes follow the data, as 64-bit values.
        put16(&mut h, 1);
        put16(&mut h, 16);
        put64(&mut h, 0);
        put64(&mut h, 0);
        self.emit(&h);
        self.state.open = Some(Entry {
            name: name.to_owned(),
            offset,
            ..Entry::default()
        });
        self.open = Some((
            DeflateEncoder::new(Vec::new(), Compression::default()),
            crc32fast::Hasher::new(),
        ));
        Ok(())
    }

    /// Appends content to the open entry.
    pub fn write(&mut self, data: &[u8]) -> Result<(), ZipError> {
        let (encoder, crc) = self
            .open
            .as_mut()
            .ok_or(ZipError::Misuse("no entry is open"))?;
        encoder.write_all(data)?;
        crc.update(data);
        if let Some(e) = self.state.open.as_mut() {
            e.size += data.len() as u64;
        }
        self.pump();
        Ok(())
    }

    /// Ends the open entry: the rest of its deflate stream and its data
    /// descriptor.
    pub fn end(&mut self) -> Result<(), ZipError> {
        let (encoder, crc) = self
            .open
            .take()
            .ok_or(ZipError::Misuse("no entry is open"))?;
        let tail = encoder.finish()?;
        let mut entry = self
            .state
            .open
            .take()
            .ok_or(ZipError::Misuse("no entry is open"))?;
        entry.compressed += tail.len() as u64;
        entry.crc = crc.finalize();
        self.emit(&tail);
        let mut d = Vec::with_capacity(24);
        put32(&mut d, DATA_DESCRIPTOR);
        put32(&mut d, entry.crc);
        put64(&mut d, entry.compressed);
        put64(&mut d, entry.size);
        self.emit(&d);
        self.state.done.push(entry);
        Ok(())
    }

    /// Writes the central directory and the end records; the archive is then
    /// complete once everything is drained.
    pub fn finish(&mut self) -> Result<(), ZipError> {
        if self.open.is_some() {
            return Err(ZipError::Misuse("an entry is still open"));
        }
        let start = self.state.written;
        let mut c = Vec::new();
        for e in &self.state.done {
            let name_len =
                u16::try_from(e.name.len()).map_err(|_| ZipError::Misuse("entry name too long"))?;
            put32(&mut c, CENTRAL_HEADER);
            put16(&mut c, MADE_BY);
            put16(&mut c, VERSION);
            put16(&mut c, FLAGS);
            put16(&mut c, DEFLATE);
            put16(&mut c, self.state.dos_time);
            put16(&mut c, self.state.dos_date);
            put32(&mut c, e.crc);
            put32(&mut c, u32::MAX);
            put32(&mut c, u32::MAX);
            put16(&mut c, name_len);
            put16(&mut c, 28);
            put16(&mut c, 0);
            put16(&mut c, 0);
            put16(&mut c, 0);
            put32(&mut c, FILE_MODE);
            put32(&mut c, u32::MAX);
            c.extend_from_slice(e.name.as_bytes());
            put16(&mut c, 1);
            put16(&mut c, 24);
            put64(&mut c, e.size);
            put64(&mut c, e.compressed);
            put64(&mut c, e.offset);
        }
        let size = c.len() as u64;
        let end64 = start + size;
        let count = self.state.done.len() as u64;
        put32(&mut c, ZIP64_END);
        put64(&mut c, 44);
        put16(&mut c, MADE_BY);
        put16(&mut c, VERSION);
        put32(&mut c, 0);
        put32(&mut c, 0);
        put64(&mut c, count);
        put64(&mut c, count);
        put64(&mut c, size);
        put64(&mut c, start);
        put32(&mut c, ZIP64_LOCATOR);
        put32(&mut c, 0);
        put64(&mut c, end64);
        put32(&mut c, 1);
        let short = u16::try_from(count).unwrap_or(u16::MAX);
        put32(&mut c, END);
        put16(&mut c, 0);
        put16(&mut c, 0);
        put16(&mut c, short);
        put16(&mut c, short);
        put32(&mut c, u32::try_from(size).unwrap_or(u32::MAX));
        put32(&mut c, u32::MAX);
        put16(&mut c, 0);
        self.emit(&c);
        Ok(())
    }

    /// Makes every byte written so far part of the output (a deflate sync
    /// flush) and returns the state to store; the output still held must be
    /// stored with it (see [`ZipWriter::resume`]).
    pub fn checkpoint(&mut self) -> Result<ZipState, ZipError> {
        if let Some((encoder, crc)) = self.open.as_mut() {
            encoder.flush()?;
            let crc = crc.clone().finalize();
            if let Some(e) = self.state.open.as_mut() {
                e.crc = crc;
            }
        }
        self.pump();
        Ok(self.state.clone())
    }

    /// Bytes produced and not yet taken.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Takes every byte produced so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The finished entries.
    pub fn entries(&self) -> &[Entry] {
        &self.state.done
    }

    /// Moves what the compressor has produced into the output.
    fn pump(&mut self) {
        let Some((encoder, _)) = self.open.as_mut() else {
            return;
        };
        let produced = std::mem::take(encoder.get_mut());
        if let Some(e) = self.state.open.as_mut() {
            e.compressed += produced.len() as u64;
        }
        self.state.written += produced.len() as u64;
        self.out.extend_from_slice(&produced);
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.state.written += bytes.len() as u64;
        self.out.extend_from_slice(bytes);
    }
}

fn put16(v: &mut Vec<u8>, n: u16) {
    v.extend_from_slice(&n.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, n: u32) {
    v.extend_from_slice(&n.to_le_bytes());
}

fn put64(v: &mut Vec<u8>, n: u64) {
    v.extend_from_slice(&n.to_le_bytes());
}

/// MS-DOS date and time of a Unix time (UTC), clamped to what they can say
/// (1980 to 2107).
fn dos_stamp(unix: i64) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
    let year = u16::try_from((t.year() - 1980).clamp(0, 127)).unwrap_or(0);
    let date = (year << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    if t.year() < 1980 {
        return ((1 << 5) | 1, 0);
    }
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    /// Reads an archive back through its central directory (as unzip does),
    /// checking each entry's CRC: name and content of each.
    fn read(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let end = archive.len() - 22;
        assert_eq!(u32_at(archive, end), END);
        let locator = end - 20;
        assert_eq!(u32_at(archive, locator), ZIP64_LOCATOR);
        let end64 = u64_at(archive, locator + 8) as usize;
        assert_eq!(u32_at(archive, end64), ZIP64_END);
        let count = u64_at(archive, end64 + 32) as usize;
        let mut at = u64_at(archive, end64 + 48) as usize;
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(archive, at), CENTRAL_HEADER);
            let crc = u32_at(archive, at + 16);
            let name_len = usize::from(u16_at(archive, at + 28));
            let name = String::from_utf8(archive[at + 46..at + 46 + name_len].to_vec()).unwrap();
            let extra = at + 46 + name_len;
            let size = u64_at(archive, extra + 4) as usize;
            let compressed = u64_at(archive, extra + 12) as usize;
            let offset = u64_at(archive, extra + 20) as usize;
            assert_eq!(u32_at(archive, offset), LOCAL_HEADER);
            let data = offset + 30 + usize::from(u16_at(archive, offset + 26)) + 20;
            let mut content = Vec::new();
            flate2::read::DeflateDecoder::new(&archive[data..data + compressed])
                .read_to_end(&mut content)
                .unwrap();
            assert_eq!(content.len(), size);
            assert_eq!(crc32fast::hash(&content), crc, "{name}");
            let descriptor = data + compressed;
            assert_eq!(u32_at(archive, descriptor), DATA_DESCRIPTOR);
            assert_eq!(u32_at(archive, descriptor + 4), crc);
            out.push((name, content));
            at = extra + 28;
        }
        out
    }

    /// Writes `files`, stopping after every chunk in `stops` (by index over
    /// all chunks) to continue in a new writer, as a resumed job does.
    fn write(files: &[(&str, Vec<Vec<u8>>)], stops: &[usize]) -> Vec<u8> {
        let mut archive = Vec::new();
        let mut w = ZipWriter::new(1_700_000_000);
        let mut chunk = 0;
        for (name, chunks) in files {
            w.begin(name).unwrap();
            for c in chunks {
                w.write(c).unwrap();
                if stops.contains(&chunk) {
                    archive.extend(w.take());
                    let state = w.checkpoint().unwrap();
                    let pending = w.take();
                    w = ZipWriter::resume(state, pending);
                }
                chunk += 1;
            }
            w.end().unwrap();
            archive.extend(w.take());
        }
        w.finish().unwrap();
        archive.extend(w.take());
        archive
    }

    #[test]
    fn an_archive_reads_back_with_every_entry_intact() {
        let files = [
            (
                "a.jsonl",
                vec![b"{\"x\":1}\n".to_vec(), b"{\"x\":2}\n".to_vec()],
            ),
            ("empty.jsonl", vec![]),
            ("b.json", vec![vec![b'z'; 100_000]]),
        ];
        let archive = write(&files, &[]);
        let read = read(&archive);
        assert_eq!(read.len(), 3);
        assert_eq!(
            read[0],
            ("a.jsonl".into(), b"{\"x\":1}\n{\"x\":2}\n".to_vec())
        );
        assert_eq!(read[1], ("empty.jsonl".into(), Vec::new()));
        assert_eq!(read[2].1, vec![b'z'; 100_000]);
    }

    #[test]
    fn dos_stamps_clamp_instead_of_failing() {
        assert_eq!(dos_stamp(0), ((1 << 5) | 1, 0));
        // 2023-11-14 22:13:20 UTC
        let (d, t) = dos_stamp(1_700_000_000);
        assert_eq!((d >> 9, (d >> 5) & 0xf, d & 0x1f), (43, 11, 14));
        assert_eq!((t >> 11, (t >> 5) & 0x3f, (t & 0x1f) * 2), (22, 13, 20));
        let _ = dos_stamp(i64::MAX);
        let _ = dos_stamp(i64::MIN);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// However often a job stops and another continues, the archive holds
        /// exactly what was written.
        #[test]
        fn stopping_anywhere_changes_no_content(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..20),
            stops in proptest::collection::vec(0usize..25, 0..8),
        ) {
            let split = chunks.len() / 2;
            let files = [
                ("first.jsonl", chunks[..split].to_vec()),
                ("second.jsonl", chunks[split..].to_vec()),
            ];
            let archive = write(&files, &stops);
            let read = read(&archive);
            prop_assert_eq!(&read[0].1, &chunks[..split].concat());
            prop_assert_eq!(&read[1].1, &chunks[split..].concat());
        }
    }
}
