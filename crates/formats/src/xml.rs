//! A small pull tokenizer for the XML that camt files use, over any
//! [`Read`], with its own buffer: tokens are byte ranges in that buffer, so
//! no token is copied and no event is built. Comments, processing
//! instructions (the XML declaration) and `<!DOCTYPE …>` are skipped;
//! `<![CDATA[…]]>` is returned raw; text is trimmed of XML whitespace and
//! returned raw (undecoded, entities not expanded) when anything is left. A
//! leading UTF-8 byte-order mark is skipped. Well-formedness beyond the
//! token syntax (matching end tags) is the caller's job.

use std::io::Read;
use std::ops::Range;

/// One token; ranges index [`Scanner::bytes`] until the next call.
pub(crate) enum Tok {
    /// `<name attrs>`, or `<name attrs/>` with `empty`; the local name
    /// (after any `prefix:`) starts at `local`.
    Start {
        name: Range<usize>,
        local: usize,
        attrs: Range<usize>,
        empty: bool,
    },
    End {
        name: Range<usize>,
        local: usize,
    },
    /// Trimmed, never empty.
    Text(Range<usize>),
    CData(Range<usize>),
    Eof,
}

/// The buffer and positions are open to the camt reader's fast path, which
/// reads the commonest tokens straight from `buf[pos..len]` and leaves the
/// rest to [`Scanner::next`].
pub(crate) struct Scanner<R> {
    input: R,
    pub(crate) buf: Vec<u8>,
    /// Start of the unread bytes.
    pub(crate) pos: usize,
    /// End of the bytes read into `buf`.
    pub(crate) len: usize,
    eof: bool,
    /// The leading byte-order mark has been dealt with.
    pub(crate) started: bool,
}

/// Twice a `BufReader`'s default capacity and more, so that reads bypass a
/// `BufReader`'s own buffer instead of copying through it.
const CHUNK: usize = 256 * 1024;

/// For the fast path's tag names: 0 for a name byte, 1 for `:` (a prefix
/// ends), 2 for a byte that ends the name or makes the fast path give up.
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let stops = b" \t\r\n/><\"'=";
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = 2;
        i += 1;
    }
    t[b':' as usize] = 1;
    t
};

/// The high bit of each byte of `w` that may end a fast-path name: below
/// `0` (controls, space, quotes, `/`, but also `-` and `.`) or one of
/// `:;<=>` — all the bytes [`NAME_CLASS`] does not give 0, and a few more,
/// which send the tag to the general path. Exact for the lowest such byte
/// (the borrows of the first test only run upwards; the second is exact).
#[inline]
pub(crate) fn name_stops(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = LO * 0x7F;
    let below = w.wrapping_sub(LO * 0x30) & !w & HI;
    // Bytes in 0x3A..=0x3E, on the low seven bits (no borrows between
    // bytes), excluding bytes with the high bit set.
    let x = w & LOW7;
    let between = (LO * (0x7F + 0x3F)).wrapping_sub(x) & !w & (x + LO * (0x7F - 0x39)) & HI;
    below | between
}

#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first `needle` in `hay`, eight bytes at a time.
#[inline]
pub(crate) fn find(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&hay[i..i + 8]);
        let w = u64::from_le_bytes(word) ^ pattern;
        // The lowest byte of `w` that is zero sets the lowest bit here.
        let zero = w.wrapping_sub(LO) & !w & HI;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == needle).map(|p| i + p)
}

fn find_seq(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut from = 0;
    while let Some(p) = find(&hay[from..], first) {
        let at = from + p;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        if hay.len() - at < needle.len() {
            return None;
        }
        from = at + 1;
    }
    None
}

/// What the markup at the current position is, and where it ends (the
/// index after its last byte).
enum Markup {
    Start {
        name: Range<usize>,
        attrs: Range<usize>,
        empty: bool,
    },
    End(Range<usize>),
    CData(Range<usize>),
    Skip,
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(input: R) -> Self {
        Scanner {
            input,
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            started: false,
        }
    }

    #[inline]
    pub(crate) fn bytes(&self, r: Range<usize>) -> &[u8] {
        &self.buf[r]
    }

    /// The bytes of `r` (at most 15) and its length as one number (see
    /// [`key`]), read with one load where the buffer allows.
    #[inline]
    pub(crate) fn key(&self, r: Range<usize>) -> u128 {
        let n = r.len();
        if n > 15 {
            return LONG;
        }
        match self.buf.get(r.start..r.start + 16) {
            Some(w) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(w);
                (u128::from_le_bytes(a) & KEY_MASK[n]) | ((n as u128) << 120)
            }
            None => key(&self.buf[r]),
        }
    }

    /// Reads more input, keeping the unread bytes; false at the end.
    fn fill(&mut self) -> Result<bool, String> {
        refill(
            &mut self.input,
            &mut self.buf,
            &mut self.pos,
            &mut self.len,
            &mut self.eof,
        )
        .map_err(|e| format!("read error: {e}"))
    }

    #[inline(always)]
    pub(crate) fn next(&mut self) -> Result<Tok, String> {
        if !self.started {
            while self.len < 3 && self.fill()? {}
            if self.buf[..self.len].starts_with(b"\xEF\xBB\xBF") {
                self.pos = 3;
            }
            self.started = true;
        }
        loop {
            if self.pos == self.len && !self.fill()? {
                return Ok(Tok::Eof);
            }
            let start = self.pos;
            if self.buf[start] == b'<' {
                // Fast path for the common tags, `<Name>`, `</Name>` and
                // `<Name/>`: anything else (attributes, markup that the
                // buffer cuts, malformed tags) goes the general way below,
                // which gives the same tokens.
                let b = &self.buf[..self.len];
                let closing = b.get(start + 1) == Some(&b'/');
                let from = start + 1 + usize::from(closing);
                let mut i = from;
                let mut local = from;
                loop {
                    // Eight bytes at a time while the buffer has them.
                    if let Some(w) = b.get(i..i + 8) {
                        let mut word = [0u8; 8];
                        word.copy_from_slice(w);
                        let m = name_stops(u64::from_le_bytes(word));
                        if m == 0 {
                            i += 8;
                            continue;
                        }
                        i += (m.trailing_zeros() / 8) as usize;
                        if b[i] == b':' {
                            i += 1;
                            if local == from {
                                local = i;
                            }
                            continue;
                        }
                        break;
                    }
                    while i < b.len() {
                        match NAME_CLASS[usize::from(b[i])] {
                            0 => i += 1,
                            1 => {
                                i += 1;
                                if local == from {
                                    local = i;
                                }
                            }
                            _ => break,
                        }
                    }
                    break;
                }
                if i > from && i < b.len() {
                    match b[i] {
                        b'>' if closing => {
                            self.pos = i + 1;
                            return Ok(Tok::End {
                                name: from..i,
                                local,
                            });
                        }
                        b'>' if b[from] != b'?' && b[from] != b'!' => {
                            self.pos = i + 1;
                            return Ok(Tok::Start {
                                name: from..i,
                                local,
                                attrs: i..i,
                                empty: false,
                            });
                        }
                        b'/' if !closing
                            && b.get(i + 1) == Some(&b'>')
                            && b[from] != b'?'
                            && b[from] != b'!' =>
                        {
                            self.pos = i + 2;
                            return Ok(Tok::Start {
                                name: from..i,
                                local,
                                attrs: i..i,
                                empty: true,
                            });
                        }
                        // Attributes: up to the first `>` outside quotes
                        // (a `<` outside quotes is left to the general way).
                        b' ' | b'\t' | b'\r' | b'\n'
                            if !closing && b[from] != b'?' && b[from] != b'!' =>
                        {
                            let mut quote = 0u8;
                            let mut j = i;
                            while let Some(&c) = b.get(j) {
                                if quote != 0 {
                                    if c == quote {
                                        quote = 0;
                                    }
                                } else if c == b'"' || c == b'\'' {
                                    quote = c;
                                } else if c == b'>' || c == b'<' {
                                    break;
                                }
                                j += 1;
                            }
                            if b.get(j) == Some(&b'>') {
                                let empty = b[j - 1] == b'/';
                                self.pos = j + 1;
                                return Ok(Tok::Start {
                                    name: from..i,
                                    local,
                                    attrs: i..j - usize::from(empty),
                                    empty,
                                });
                            }
                        }
                        _ => {}
                    }
                }
            } else {
                let end = match find(&self.buf[start..self.len], b'<') {
                    Some(i) => start + i,
                    None if self.eof => self.len,
                    None => {
                        self.fill()?;
                        continue;
                    }
                };
                self.pos = end;
                let text = &self.buf[start..end];
                let Some(first) = text.iter().position(|&b| !is_space(b)) else {
                    continue;
                };
                let last = text.iter().rposition(|&b| !is_space(b)).unwrap_or(first);
                return Ok(Tok::Text(start + first..start + last + 1));
            }
            match self.markup(start)? {
                None => {
                    if !self.fill()? {
                        // `markup` has seen the end of input and found no
                        // terminator either.
                        return Err(self.unterminated(self.pos));
                    }
                }
                Some((m, end)) => {
                    self.pos = end;
                    match m {
                        Markup::Start { name, attrs, empty } => {
                            let local = local_start(&self.buf[name.clone()]) + name.start;
                            return Ok(Tok::Start {
                                name,
                                local,
                                attrs,
                                empty,
                            });
                        }
                        Markup::End(name) => {
                            let local = local_start(&self.buf[name.clone()]) + name.start;
                            return Ok(Tok::End { name, local });
                        }
                        Markup::CData(r) => return Ok(Tok::CData(r)),
                        Markup::Skip => {}
                    }
                }
            }
        }
    }

    fn unterminated(&self, start: usize) -> String {
        let head = &self.buf[start..self.len.min(start + 20)];
        format!(
            "unexpected end of file in markup starting {:?}",
            String::from_utf8_lossy(head)
        )
    }

    /// The markup starting at `start` (a `<`), or `None` if the buffer ends
    /// before it does.
    fn markup(&self, start: usize) -> Result<Option<(Markup, usize)>, String> {
        let b = &self.buf[..self.len];
        let rest = &b[start..];
        let more = || {
            if self.eof {
                Err(self.unterminated(start))
            } else {
                Ok(None)
            }
        };
        let Some(&kind) = rest.get(1) else {
            return more();
        };
        match kind {
            b'/' => {
                let Some(gt) = find(&rest[2..], b'>') else {
                    return more();
                };
                let mut name = start + 2..start + 2 + gt;
                while name.end > name.start && is_space(b[name.end - 1]) {
                    name.end -= 1;
                }
                if name.is_empty() || b[name.clone()].iter().any(|&c| is_space(c) || c == b'<') {
                    return Err(format!(
                        "invalid end tag {:?}",
                        String::from_utf8_lossy(&rest[..gt + 3])
                    ));
                }
                Ok(Some((Markup::End(name), start + 3 + gt)))
            }
            b'?' => match find_seq(&rest[2..], b"?>") {
                Some(p) => Ok(Some((Markup::Skip, start + 4 + p))),
                None => more(),
            },
            b'!' => {
                if rest.len() < 9 && !self.eof {
                    return Ok(None);
                }
                if rest.starts_with(b"<!--") {
                    match find_seq(&rest[4..], b"-->") {
                        Some(p) => Ok(Some((Markup::Skip, start + 7 + p))),
                        None => more(),
                    }
                } else if rest.starts_with(b"<![CDATA[") {
                    match find_seq(&rest[9..], b"]]>") {
                        Some(p) => Ok(Some((
                            Markup::CData(start + 9..start + 9 + p),
                            start + 12 + p,
                        ))),
                        None => more(),
                    }
                } else {
                    // `<!DOCTYPE …>`, possibly with an internal subset `[…]`.
                    let Some(gt) = find(rest, b'>') else {
                        return more();
                    };
                    match find(&rest[..gt], b'[') {
                        None => Ok(Some((Markup::Skip, start + gt + 1))),
                        Some(_) => match find_seq(rest, b"]>") {
                            Some(p) => Ok(Some((Markup::Skip, start + p + 2))),
                            None => more(),
                        },
                    }
                }
            }
            _ => {
                let gt = tag_end(rest)?;
                let Some(gt) = gt else {
                    return more();
                };
                let empty = gt > 1 && rest[gt - 1] == b'/';
                let inner_end = start + if empty { gt - 1 } else { gt };
                let name_end = b[start + 1..inner_end]
                    .iter()
                    .position(|&c| is_space(c) || c == b'/')
                    .map_or(inner_end, |p| start + 1 + p);
                if name_end == start + 1 {
                    return Err(format!(
                        "invalid tag {:?}",
                        String::from_utf8_lossy(&rest[..gt + 1])
                    ));
                }
                Ok(Some((
                    Markup::Start {
                        name: start + 1..name_end,
                        attrs: name_end..inner_end,
                        empty,
                    },
                    start + gt + 1,
                )))
            }
        }
    }
}

/// The index of the `>` that ends the start tag at the beginning of `rest`:
/// the first one outside quoted attribute values.
#[inline]
fn tag_end(rest: &[u8]) -> Result<Option<usize>, String> {
    // Fast path: the first `>`, when no quote or `<` comes before it.
    if let Some(g) = find(&rest[1..], b'>').map(|p| p + 1) {
        if !rest[1..g].iter().any(|&c| matches!(c, b'"' | b'\'' | b'<')) {
            return Ok(Some(g));
        }
    }
    let mut quote = None;
    for (i, &c) in rest.iter().enumerate().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Ok(Some(i)),
            (None, b'<') => {
                return Err(format!(
                    "'<' inside the tag {:?}",
                    String::from_utf8_lossy(&rest[..i])
                ))
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The low `n` bytes of a u128, for `n` up to 15.
pub(crate) static KEY_MASK: [u128; 16] = {
    let mut t = [0u128; 16];
    let mut n = 0;
    while n < 16 {
        t[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    t
};

/// The key of a name longer than 15 bytes: such names are compared byte by byte.
pub(crate) const LONG: u128 = 0;

/// A name of up to 15 bytes as one number: its bytes (little-endian) and,
/// in the top byte, its length; [`LONG`] for longer names. Equal keys are
/// equal names.
pub(crate) const fn key(name: &[u8]) -> u128 {
    if name.len() > 15 {
        return LONG;
    }
    let mut k = (name.len() as u128) << 120;
    let mut i = 0;
    while i < name.len() {
        k |= (name[i] as u128) << (8 * i);
        i += 1;
    }
    k
}

/// The name a [`key`] stands for (not for [`LONG`]).
pub(crate) fn key_bytes(k: u128) -> Vec<u8> {
    let n = ((k >> 120) as usize).min(15);
    k.to_le_bytes()[..n].to_vec()
}

/// Where the local part of a qualified name starts (after the first `:`).
fn local_start(name: &[u8]) -> usize {
    name.iter().position(|&c| c == b':').map_or(0, |p| p + 1)
}

/// The local part of a qualified name (`ns:Amt` → `Amt`).
#[inline]
pub(crate) fn local_name(name: &[u8]) -> &[u8] {
    match name.iter().position(|&c| c == b':') {
        Some(p) => &name[p + 1..],
        None => name,
    }
}

/// The raw value of the attribute whose local name is `key`.
pub(crate) fn attribute<'a>(attrs: &'a [u8], key: &[u8]) -> Result<Option<&'a [u8]>, String> {
    let mut i = 0;
    let bad = || format!("malformed attributes {:?}", String::from_utf8_lossy(attrs));
    loop {
        while attrs.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if i >= attrs.len() {
            return Ok(None);
        }
        let k_start = i;
        while attrs.get(i).is_some_and(|&c| c != b'=' && !is_space(c)) {
            i += 1;
        }
        let k = &attrs[k_start..i];
        while attrs.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if attrs.get(i) != Some(&b'=') {
            return Err(bad());
        }
        i += 1;
        while attrs.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        let q = match attrs.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(bad()),
        };
        i += 1;
        let v_start = i;
        let Some(len) = find(&attrs[i..], q) else {
            return Err(bad());
        };
        i += len + 1;
        if local_name(k) == key {
            return Ok(Some(&attrs[v_start..v_start + len]));
        }
    }
}

/// Reads more of `input` into `buf[..len]`, first moving the unread bytes
/// `buf[pos..len]` to the front (and doubling `buf` when it is full); false
/// at the end of the input. The streaming readers (this tokenizer, OFX)
/// share it.
pub(crate) fn refill<R: Read>(
    input: &mut R,
    buf: &mut Vec<u8>,
    pos: &mut usize,
    len: &mut usize,
    eof: &mut bool,
) -> std::io::Result<bool> {
    if *eof {
        return Ok(false);
    }
    if *pos > 0 {
        buf.copy_within(*pos..*len, 0);
        *len -= *pos;
        *pos = 0;
    }
    if *len == buf.len() {
        buf.resize(buf.len() * 2, 0);
    }
    loop {
        match input.read(&mut buf[*len..]) {
            Ok(0) => {
                *eof = true;
                return Ok(false);
            }
            Ok(n) => {
                *len += n;
                return Ok(true);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &[u8], chunk: usize) -> Result<Vec<String>, String> {
        let mut s = Scanner::new(input);
        s.buf = vec![0; chunk];
        let mut out = Vec::new();
        loop {
            let t = match s.next()? {
                Tok::Start {
                    name, attrs, empty, ..
                } => format!(
                    "<{}|{}{}>",
                    String::from_utf8_lossy(s.bytes(name)),
                    String::from_utf8_lossy(s.bytes(attrs)),
                    if empty { "/" } else { "" }
                ),
                Tok::End { name, .. } => format!("</{}>", String::from_utf8_lossy(s.bytes(name))),
                Tok::Text(r) => format!("T({})", String::from_utf8_lossy(s.bytes(r))),
                Tok::CData(r) => format!("C({})", String::from_utf8_lossy(s.bytes(r))),
                Tok::Eof => break,
            };
            out.push(t);
        }
        Ok(out)
    }

    #[test]
    fn tokens_across_any_buffer_boundary() {
        let xml = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY x \"y\">]><!-- c -->\n<a:Doc xmlns:a=\"u\">\n  <Amt Ccy=\"EUR\" x='>'>1.00</Amt><E/><F a=\"1\" />text &amp; more <![CDATA[<raw>]]></a:Doc >";
        let want = [
            "<a:Doc| xmlns:a=\"u\">",
            "<Amt| Ccy=\"EUR\" x='>'>",
            "T(1.00)",
            "</Amt>",
            "<E|/>",
            "<F| a=\"1\" />",
            "T(text &amp; more)",
            "C(<raw>)",
            "</a:Doc>",
        ];
        for chunk in [1, 2, 3, 5, 8, 64, 4096] {
            assert_eq!(tokens(xml, chunk).unwrap(), want, "chunk {chunk}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// Where the buffer happens to end never changes the tokens.
        #[test]
        fn buffer_size_does_not_matter(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "<a>", "</a>", "<b x=\"1>2\">", "</b>", "<c/>", "text", " ", "\n", "&amp;",
                "<!-- c -->", "<![CDATA[d]]>", "<?pi?>", "<!DOCTYPE x>", "<", ">", "\"", "'",
                "\u{fc}", "\u{feff}",
            ]), 0..40),
            chunk in 1usize..40,
        ) {
            let xml = parts.concat();
            let small = tokens(xml.as_bytes(), chunk);
            let large = tokens(xml.as_bytes(), 1 << 16);
            proptest::prop_assert_eq!(small.is_ok(), large.is_ok());
            if let (Ok(s), Ok(l)) = (small, large) {
                proptest::prop_assert_eq!(s, l);
            }
        }
    }

    #[test]
    fn unterminated_markup_is_an_error() {
        for bad in [
            &b"<a"[..],
            b"<a><!-- x",
            b"<a><![CDATA[x",
            b"<?xml",
            b"</a",
            b"<",
            b"<a <b>",
            b"<>",
            b"</ >",
        ] {
            assert!(
                tokens(bad, 4096).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn attributes() {
        assert_eq!(
            attribute(b" x=\"1\" ns:Ccy = 'EUR'", b"Ccy").unwrap(),
            Some(&b"EUR"[..])
        );
        assert_eq!(attribute(b" x=\"1\"", b"Ccy").unwrap(), None);
        assert!(attribute(b" Ccy", b"Ccy").is_err());
        assert!(attribute(b" Ccy=\"EUR", b"Ccy").is_err());
    }
}
